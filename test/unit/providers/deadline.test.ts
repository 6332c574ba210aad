/** Total deadlines: the SMTP budget per message, and the error that names the peer (75). */
import { describe, expect, it } from 'vitest';
import { deadlineError, smtpDeadlineMs, startDeadline } from '../../../src/providers/deadline.js';

describe('smtpDeadlineMs', () => {
  it.each([
    [{ connect: 10_000, greeting: 10_000, socket: 30_000 }, 1, 10_000 + 10_000 + 30_000 * 8],
    [{ connect: 1000, greeting: 1000, socket: 2000 }, 1, 18_000],
    [{ connect: 1000, greeting: 1000, socket: 2000 }, 3, 22_000],
    [{ connect: 1000, greeting: 1000, socket: 2000 }, 0, 18_000],
  ])('%o with %i recipients → %i ms', (timeouts, recipients, ms) => {
    expect(smtpDeadlineMs(timeouts, recipients)).toBe(ms);
  });
});

describe('startDeadline', () => {
  it('tells its own expiry from the caller aborting', async () => {
    const caller = new AbortController();
    const d = startDeadline(60_000, caller.signal);
    caller.abort();
    expect([d.signal.aborted, d.expired]).toEqual([true, false]);
    const e = startDeadline(1);
    await new Promise((r) => setTimeout(r, 20));
    expect([e.signal.aborted, e.expired]).toEqual([true, true]);
  });
});

describe('deadlineError', () => {
  it('is a transient 75 naming the peer and the keys', () => {
    const err = deadlineError('smtp', 'the SMTP server mx.example.com:587', 18_000, 'SMTP_SOCKET_TIMEOUT');
    expect([err.exitCode, err.kind]).toEqual([75, 'transient']);
    expect(err.message).toBe(
      'the SMTP server mx.example.com:587 did not finish the delivery within 18 s, a total deadline that a slow trickle of data does not reset',
    );
    expect(err.hint).toMatch(/SMTP_SOCKET_TIMEOUT/);
    expect(err.reply).toEqual({ provider: 'smtp', errno: 'ETIMEDOUT' });
  });
});

describe('startDeadline: end()', () => {
  it('after end() neither the timer nor the caller aborts the signal any more', async () => {
    const caller = new AbortController();
    const d = startDeadline(5, caller.signal);
    d.end();
    caller.abort();
    await new Promise((r) => setTimeout(r, 30));
    expect([d.signal.aborted, d.expired]).toEqual([false, false]);
  });

  it('a caller already aborted aborts the deadline at once, with the caller reason', () => {
    const caller = new AbortController();
    caller.abort(new Error('shutdown'));
    const d = startDeadline(60_000, caller.signal);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('shutdown');
    expect(d.expired).toBe(false);
    d.end();
  });
});
