import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConfigError,
  DataError,
  DeliveryError,
  ExitCode,
  exitCodeOf,
  ProtocolError,
  TemporaryError,
  UnavailableError,
  UsageError,
} from '../../src/errors.js';
import { formatError } from '../../src/output/format-error.js';

describe('exit codes', () => {
  it.each([
    [new UsageError('x'), 64],
    [new DataError('x'), 65],
    [new UnavailableError('x'), 69],
    [new TemporaryError('x'), 75],
    [new ProtocolError('x'), 76],
    [new AuthError('x'), 77],
    [new ConfigError('x'), 78],
    [
      new DeliveryError('x', {
        kind: 'transient',
        exitCode: ExitCode.TEMPFAIL,
        reply: { provider: 'smtp', responseCode: 451 },
      }),
      75,
    ],
    [new Error('a bug'), 70],
    ['a thrown string', 70],
  ])('%s → %d', (err, code) => expect(exitCodeOf(err)).toBe(code));
});

describe('formatError', () => {
  it('prints one sentence and a hint, no stack, for an expected error', () => {
    const text = formatError(new ConfigError('SMTP_PORT is required', { hint: 'set SMTP_PORT=587' }), false);
    expect(text).toBe('mailctl: SMTP_PORT is required\nhint: set SMTP_PORT=587');
  });

  it('shows the stack and the cause only with --debug', () => {
    const err = new UnavailableError('cannot connect', { cause: new Error('ECONNREFUSED 127.0.0.1:1') });
    expect(formatError(err, false)).not.toContain('ECONNREFUSED');
    const debug = formatError(err, true);
    expect(debug).toContain('caused by: Error: ECONNREFUSED');
    expect(debug).toMatch(/\n\s+at /);
  });

  it("prints the provider's own words", () => {
    const err = new DeliveryError('the server refused the recipient', {
      kind: 'permanent',
      exitCode: ExitCode.UNAVAILABLE,
      reply: { provider: 'smtp', responseCode: 550, reply: '550 5.1.1 <x@example.com>: Recipient address rejected' },
    });
    expect(formatError(err, false)).toContain('smtp said: 550 5.1.1 <x@example.com>: Recipient address rejected');
  });

  it('treats anything else as a bug: exit 70, stack, and a request to report it', () => {
    const text = formatError(new TypeError('undefined is not a function'), false);
    expect(text).toMatch(/^mailctl: internal error: undefined is not a function/);
    expect(text).toMatch(/\n\s+at /);
    expect(text).toContain('Please report it');
  });
});
