/** The global rate limit is a pure token bucket: table-tested with explicit times. */
import { describe, expect, it } from 'vitest';
import { createBucket, reserve, type TokenBucket } from '../../../src/spool/rate.js';

describe('token bucket', () => {
  const limit = { perSecond: 10, burst: 1 };

  it.each([
    // reservations at these times (ms) → waits (ms), for 10/s with no burst
    [[0], [0]],
    [
      [0, 0],
      [0, 100],
    ],
    [
      [0, 0, 0, 0],
      [0, 100, 200, 300],
    ],
    [
      [0, 100, 200],
      [0, 0, 0],
    ],
    [
      [0, 50],
      [0, 50],
    ],
    [
      [0, 1000, 1000],
      [0, 0, 100],
    ], // idle time refills at most `burst` tokens
  ])('reservations at %j wait %j', (times, waits) => {
    let bucket: TokenBucket = createBucket(limit, 0);
    const got = times.map((t) => {
      const r = reserve(bucket, limit, t);
      bucket = r.bucket;
      return r.waitMs;
    });
    expect(got).toEqual(waits);
  });

  it('a burst allows that many at once, then spaces them', () => {
    const l = { perSecond: 2, burst: 3 };
    let bucket = createBucket(l, 0);
    const waits = [0, 0, 0, 0, 0].map(() => {
      const r = reserve(bucket, l, 0);
      bucket = r.bucket;
      return r.waitMs;
    });
    expect(waits).toEqual([0, 0, 0, 500, 1000]);
  });

  it('never sends more than the rate over a long run', () => {
    let bucket = createBucket(limit, 0);
    let t = 0;
    const sendTimes: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = reserve(bucket, limit, t);
      bucket = r.bucket;
      sendTimes.push(t + r.waitMs);
      t += 3; // callers arrive much faster than the rate
    }
    const span = sendTimes[sendTimes.length - 1]! - sendTimes[0]!;
    expect(span).toBeGreaterThanOrEqual(99 * 100);
  });
});
