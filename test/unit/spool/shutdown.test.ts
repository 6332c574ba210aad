/** sendUnlessShutdown: after SIGTERM an in-flight delivery gets its grace, then is abandoned. */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/context.js';
import type { OutgoingMessage } from '../../../src/message/types.js';
import type { Provider, SendOptions } from '../../../src/providers/types.js';
import { sendUnlessShutdown } from '../../../src/spool/shutdown.js';

const message = {} as OutgoingMessage;

/** A clock whose sleeps end when the test says so (or on abort). */
function manualClock(): Clock & { elapse(): void; sleeps: number[] } {
  const pending: (() => void)[] = [];
  const sleeps: number[] = [];
  return {
    now: () => 0,
    sleeps,
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve) => {
        pending.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    },
    elapse() {
      for (const r of pending.splice(0)) r();
    },
  };
}

/** A provider stuck until its signal aborts (a server that trickles), or until `finish()`. */
function stuckProvider(): Provider & { finish(): void; fail(err: Error): void } {
  let finish: () => void = () => {};
  let fail: (err: Error) => void = () => {};
  return {
    name: 'stuck',
    send: (_m, options: SendOptions = {}) =>
      new Promise((resolve, reject) => {
        finish = () => resolve({ provider: 'stuck', messageId: '<x>', accepted: [], rejected: [] });
        fail = reject;
        options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      }),
    close: async () => {},
    finish: () => finish(),
    fail: (err) => fail(err),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('sendUnlessShutdown', () => {
  it('true when delivered; no grace timer without a shutdown', async () => {
    const clock = manualClock();
    const p = stuckProvider();
    const result = sendUnlessShutdown(p, message, new AbortController().signal, clock, 5000);
    await tick();
    p.finish();
    expect(await result).toBe(true);
    expect(clock.sleeps).toEqual([]);
  });

  it('after a shutdown the delivery may still finish within the grace: true', async () => {
    const clock = manualClock();
    const p = stuckProvider();
    const shutdown = new AbortController();
    const result = sendUnlessShutdown(p, message, shutdown.signal, clock, 5000);
    await tick();
    shutdown.abort();
    expect(clock.sleeps).toEqual([5000]);
    p.finish();
    expect(await result).toBe(true);
  });

  it('a delivery still stuck when the grace ends is abandoned: false (the caller releases the job)', async () => {
    const clock = manualClock();
    const p = stuckProvider();
    const shutdown = new AbortController();
    const result = sendUnlessShutdown(p, message, shutdown.signal, clock, 5000);
    await tick();
    shutdown.abort();
    clock.elapse();
    expect(await result).toBe(false);
  });

  it("a provider's own failure is thrown as it is", async () => {
    const clock = manualClock();
    const p = stuckProvider();
    const result = sendUnlessShutdown(p, message, new AbortController().signal, clock, 5000);
    await tick();
    p.fail(new Error('451 try later'));
    await expect(result).rejects.toThrow('451 try later');
  });
});

describe('sendUnlessShutdown: one grace for the whole drain', () => {
  it('two deliveries in flight share one grace timer, counted from the shutdown; both are abandoned', async () => {
    const clock = manualClock();
    const a = stuckProvider();
    const b = stuckProvider();
    const shutdown = new AbortController();
    const first = sendUnlessShutdown(a, message, shutdown.signal, clock, 5000);
    const second = sendUnlessShutdown(b, message, shutdown.signal, clock, 5000);
    await tick();
    shutdown.abort();
    expect(clock.sleeps).toEqual([5000]);
    clock.elapse();
    expect([await first, await second]).toEqual([false, false]);
  });

  it('the grace timer is cancelled once nothing is in flight, and a later send waits for its own grace', async () => {
    const clock = manualClock();
    const shutdown = new AbortController();
    const a = stuckProvider();
    const first = sendUnlessShutdown(a, message, shutdown.signal, clock, 5000);
    await tick();
    shutdown.abort();
    a.finish();
    expect(await first).toBe(true);
    // The cancelled sleep resolved without abandoning anything: a send started now still gets a grace.
    await tick();
    const b = stuckProvider();
    const second = sendUnlessShutdown(b, message, shutdown.signal, clock, 5000);
    await tick();
    expect(clock.sleeps).toEqual([5000, 5000]);
    b.finish();
    expect(await second).toBe(true);
  });
});
