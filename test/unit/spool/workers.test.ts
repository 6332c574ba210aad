/** drain --workers: every limit the operator set stays global when the spool is shared by N processes. */
import { describe, expect, it } from 'vitest';
import { emptySummary, type DrainSummary } from '../../../src/spool/file/drain.js';
import { defaultWorkers, mergeSummaries, splitLimits } from '../../../src/spool/workers.js';

const sum = (xs: (number | undefined)[]): number => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

describe('splitLimits', () => {
  it('divides concurrency, pool and rate so that their sums are exactly what was asked', () => {
    const plan = splitLimits(3, { concurrency: 10, poolSize: 5, ratePerSecond: 30 });
    expect(plan).toHaveLength(3);
    expect(plan.map((p) => p.concurrency)).toEqual([4, 3, 3]);
    expect(plan.map((p) => p.poolSize)).toEqual([2, 2, 1]);
    expect(sum(plan.map((p) => p.ratePerSecond))).toBeCloseTo(30, 9);
  });

  it('starts no worker that would get no share: never more workers than concurrency or pool', () => {
    expect(splitLimits(8, { concurrency: 2, poolSize: 5 })).toEqual([
      { concurrency: 1, poolSize: 3, ratePerSecond: undefined },
      { concurrency: 1, poolSize: 2, ratePerSecond: undefined },
    ]);
    expect(splitLimits(4, { concurrency: 5, poolSize: 1 })).toHaveLength(1);
    // no pool (an HTTP provider): the concurrency alone bounds the workers
    expect(splitLimits(4, { concurrency: 6 })).toHaveLength(4);
    expect(splitLimits(1, { concurrency: 5, poolSize: 5, ratePerSecond: 7 })).toEqual([
      { concurrency: 5, poolSize: 5, ratePerSecond: 7 },
    ]);
  });
});

describe('mergeSummaries', () => {
  const base: DrainSummary = emptySummary(1);
  it('adds the counts and keeps the first note of each kind', () => {
    const merged = mergeSummaries(
      [
        { ...base, delivered: 5, deferred: 1, lastError: 'first' },
        { ...base, delivered: 7, dead: 2, lastError: 'second', stopped: 'unreachable' },
      ],
      1234,
    );
    expect(merged).toMatchObject({ delivered: 12, deferred: 1, dead: 2, lastError: 'first', stopped: 'unreachable' });
    expect(merged.durationMs).toBe(1234);
  });
});

describe('defaultWorkers (a drain without --workers): one per CPU, never one without a job', () => {
  it.each([
    [1, 1_000_000, 1],
    [2, 1_000_000, 2],
    [2, 2, 2],
    [4, 0, 1],
    [4, 1, 1],
    [4, 3, 3],
    [16, 100_000, 16],
  ])('%i CPUs, %i due jobs: %i', (cpus, due, workers) => {
    expect(defaultWorkers(cpus, due)).toBe(workers);
  });
});
