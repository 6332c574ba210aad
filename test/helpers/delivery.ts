/**
 * The DeliveryError a send must fail with: `await deliveryFailure(provider.send(msg))` fails the
 * test when the send succeeds or throws anything but a DeliveryError.
 */
import { expect } from 'vitest';
import { DeliveryError } from '../../src/errors.js';

export async function deliveryFailure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('expected the send to fail');
}
