import { describe, expect, it } from 'vitest';
import { DeliveryError, ExitCode, type FailureKind } from '../../../src/errors.js';
import { decideAfterFailure } from '../../../src/spool/after-failure.js';
import type { RetryPolicy } from '../../../src/spool/backoff.js';
import type { Job } from '../../../src/spool/job.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;
const policy: RetryPolicy = { maxAttempts: 3, minBackoffMs: MIN, maxBackoffMs: 60 * MIN, maxLifetimeMs: 24 * 60 * MIN };

function job(over: Partial<Job> = {}): Job {
  return {
    version: 1,
    id: '01M8STDSAQ4YF60YMS4PJ786Z7',
    type: 'reset-password',
    to: 'a@example.com',
    lang: 'en-US',
    vars: { code: '1' },
    priority: 1,
    createdAt: new Date(T0).toISOString(),
    attempts: 0,
    nextAttemptAt: new Date(T0).toISOString(),
    history: [],
    messageId: '<x@example.com>',
    ...over,
  } as Job;
}

function smtp(code: number, kind: FailureKind, exitCode: number, retryAfterMs?: number): DeliveryError {
  return new DeliveryError(`smtp ${code}`, {
    kind,
    exitCode: exitCode as never,
    reply: { provider: 'smtp', responseCode: code, reply: `${code} nope` },
    retryAfterMs,
  });
}

describe('decideAfterFailure: the retry policy, one table for both backends', () => {
  it.each<[string, unknown, Partial<Job>, number, string, number | string]>([
    // name, error, job, now offset, action, attempts after | dead reason
    ['451: transient, one attempt, backoff', smtp(451, 'transient', ExitCode.TEMPFAIL), {}, 0, 'defer', 1],
    ['550: permanent, dead', smtp(550, 'permanent', ExitCode.UNAVAILABLE), {}, 0, 'dead', 'permanent'],
    [
      '535: a refused login waits for the operator, not dead',
      smtp(535, 'permanent', ExitCode.NOPERM),
      {},
      0,
      'defer',
      1,
    ],
    [
      'the last allowed attempt: dead',
      smtp(451, 'transient', ExitCode.TEMPFAIL),
      { attempts: 2 },
      0,
      'dead',
      'max-attempts',
    ],
    [
      'a retry that would outlive the lifetime: dead',
      smtp(451, 'transient', ExitCode.TEMPFAIL),
      {},
      24 * 60 * MIN - 1000,
      'dead',
      'max-lifetime',
    ],
    ['an unclassified error (a bug, a raw socket error): retried, never lost', new Error('boom'), {}, 0, 'defer', 1],
    [
      '421 with a wait: back-pressure burns no attempt',
      smtp(421, 'transient', ExitCode.TEMPFAIL, 5 * MIN),
      { attempts: 2 },
      0,
      'defer',
      2,
    ],
  ])('%s', (_name, err, over, offset, action, expected) => {
    const j = job(over);
    const now = T0 + offset;
    const { decision, backpressure } = decideAfterFailure(j, err, policy, now, () => 0.5);
    expect(decision.action).toBe(action);
    if (decision.action === 'dead') expect(decision.reason).toBe(expected);
    else {
      expect(j.attempts).toBe(expected);
      expect(decision.at).toBeGreaterThan(now);
      expect(j.nextAttemptAt).toBe(new Date(decision.at).toISOString());
    }
    expect(j.history).toHaveLength(1);
    expect(j.history[0]).toMatchObject({ ok: false });
    expect(j.lastError?.message).toBeTruthy();
    expect(backpressure !== undefined).toBe(String(_name).startsWith('421'));
  });

  it("back-pressure defers to exactly the provider's time and keeps its reply", () => {
    const j = job();
    const { decision, backpressure } = decideAfterFailure(
      j,
      smtp(421, 'transient', ExitCode.TEMPFAIL, 90_000),
      policy,
      T0,
      () => 0.5,
    );
    expect(decision).toEqual({ action: 'defer', at: T0 + 90_000 });
    expect(backpressure).toEqual({ until: T0 + 90_000, retryAfterMs: 90_000 });
    expect(j.history[0]).toMatchObject({ backpressure: true, code: 421, reply: '421 nope' });
  });

  it('back-pressure is capped at MAILCTL_BACKOFF_MAX: Retry-After 99999999999 s defers, burns no attempt, is not dead', () => {
    const j = job();
    const { decision, backpressure } = decideAfterFailure(
      j,
      smtp(421, 'transient', ExitCode.TEMPFAIL, 99_999_999_999 * 1000),
      policy,
      T0,
      () => 0.5,
    );
    expect(decision).toEqual({ action: 'defer', at: T0 + policy.maxBackoffMs });
    expect(backpressure).toEqual({ until: T0 + policy.maxBackoffMs, retryAfterMs: policy.maxBackoffMs });
    expect([j.attempts, j.nextAttemptAt]).toEqual([0, new Date(T0 + policy.maxBackoffMs).toISOString()]);
  });

  it('back-pressure whose capped wait still outlives the lifetime is dead (max-lifetime), not deferred forever', () => {
    const { decision } = decideAfterFailure(
      job(),
      smtp(421, 'transient', ExitCode.TEMPFAIL, 25 * 60 * MIN),
      policy,
      T0 + 24 * 60 * MIN - 30 * MIN,
      () => 0.5,
    );
    expect(decision).toMatchObject({ action: 'dead', reason: 'max-lifetime' });
  });
});
