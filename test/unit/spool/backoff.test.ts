/** Backoff is a pure function of attempt, policy, now and a random source: table-tested. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, nextAttemptAt } from '../../../src/spool/backoff.js';

const policy = { minBackoffMs: 30_000, maxBackoffMs: 3_600_000 };
const fixed = (r: number) => () => r;

describe('backoffDelay', () => {
  it.each([
    // attempt, random, expected delay: base = min * 2^(attempt-1), jittered over 0.5x–1.5x, kept in [min, max]
    [1, 0.5, 30_000],
    [1, 0, 30_000], // 15 s jittered is below the minimum
    [1, 0.999, 44_970],
    [2, 0.5, 60_000],
    [2, 0, 30_000],
    [3, 0.5, 120_000],
    [4, 0.25, 180_000],
    [7, 0.5, 1_920_000],
    [8, 0.5, 3_600_000], // 3 840 s base is capped at the maximum
    [8, 0, 1_800_000], // the cap applies to the base, jitter can still bring it below
    [30, 1, 3_600_000],
    [0, 0.5, 30_000], // attempt < 1 counts as the first
  ])('attempt %i, random %f → %i ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, policy, fixed(r))).toBe(expected);
  });

  it('always stays between the minimum and the maximum', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      for (const r of [0, 0.1, 0.5, 0.9, 0.9999]) {
        const d = backoffDelay(attempt, policy, fixed(r));
        expect(d).toBeGreaterThanOrEqual(policy.minBackoffMs);
        expect(d).toBeLessThanOrEqual(policy.maxBackoffMs);
      }
    }
  });

  it('jitters: two jobs that failed together come back at different times', () => {
    expect(backoffDelay(3, policy, fixed(0.1))).not.toBe(backoffDelay(3, policy, fixed(0.8)));
  });

  it('grows with the attempt number (same random draw)', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy, fixed(0.5)));
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
    expect(new Set(delays).size).toBe(delays.length);
  });

  it('nextAttemptAt adds the delay to now', () => {
    expect(nextAttemptAt(2, policy, 1_000_000, fixed(0.5))).toBe(1_060_000);
  });

  it('a minimum equal to the maximum gives a fixed delay', () => {
    expect(backoffDelay(5, { minBackoffMs: 1000, maxBackoffMs: 1000 }, fixed(0.7))).toBe(1000);
  });
});
