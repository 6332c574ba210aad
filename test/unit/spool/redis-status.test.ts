/**
 * The pure parts of `queue status` on large Redis sets: where the sample is drawn, how sampled
 * counts are scaled, and how the three output formats mark what is estimated.
 */
import { describe, expect, it } from 'vitest';
import { prometheusText, statusText } from '../../../src/commands/queue.js';
import { emptyStatus, type SpoolStatus } from '../../../src/spool/contract.js';
import { sampleRanks, scaleCounts } from '../../../src/spool/redis/status.js';

describe('sampleRanks', () => {
  it.each([
    [0, 10, 5, [1, 3, 5, 7, 9]],
    [100, 103, 5, [100, 101, 102]],
    [0, 1_000_000, 4, [125_000, 375_000, 625_000, 875_000]],
    [7, 7, 3, []],
  ])('ranks %i..%i, %i of them: %j', (from, to, k, want) => {
    expect(sampleRanks(from, to, k)).toEqual(want);
  });
});

describe('scaleCounts', () => {
  it.each([
    [
      'proportional',
      [
        ['a', 1],
        ['b', 3],
      ],
      1000,
      [
        ['a', 250],
        ['b', 750],
      ],
    ],
    [
      'rounded to add up to the total',
      [
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ],
      100,
      [
        ['a', 34],
        ['b', 33],
        ['c', 33],
      ],
    ],
    [
      'a total smaller than the sample',
      [
        ['a', 5],
        ['b', 5],
      ],
      3,
      [
        ['a', 2],
        ['b', 1],
      ],
    ],
    ['nothing seen', [], 50, []],
  ] as [string, [string, number][], number, [string, number][]][])('%s', (_, seen, total, want) => {
    const out = scaleCounts(new Map(seen), total);
    expect([...out]).toEqual(want);
    if (seen.length) expect([...out.values()].reduce((a, b) => a + b, 0)).toBe(total);
  });
});

function sampledStatus(): SpoolStatus {
  const s = emptyStatus(true);
  Object.assign(s, { incoming: 1_000_000, dead: 3, backlog: 1_000_000, oldestAgeSeconds: 90, oldestId: 'X' });
  s.byType = { 'reset-password': { incoming: 600_000, dead: 3 }, custom: { incoming: 400_000 } };
  s.sampled = { jobs: 1000, of: 1_000_000, estimated: ['byType.incoming'] };
  return s;
}

describe('estimates in the output', () => {
  it('text marks each estimate with ~ and says how large the sample was', () => {
    const text = statusText(sampledStatus(), 'redis://h:6379/0');
    expect(text).toContain('incoming  1000000\n'); // Redis's count: exact
    expect(text).toContain('types     custom: ~400000 incoming; reset-password: ~600000 incoming, 3 dead\n');
    expect(text).toContain('sampled   ~ estimated from 1000 of 1000000 jobs\n');
  });

  it('text of an exact status has no mark and no sample line', () => {
    const s = sampledStatus();
    delete s.sampled;
    const text = statusText(s, '/spool');
    expect(text).not.toMatch(/~|sampled/);
  });

  it('prometheus keeps estimates out of the exact metric', () => {
    const text = prometheusText(sampledStatus());
    expect(text).toContain('mailctl_spool_type_jobs{type="reset-password",state="dead"} 3\n');
    expect(text).not.toMatch(/mailctl_spool_type_jobs\{[^}]*state="incoming"/);
    expect(text).toContain('mailctl_spool_type_jobs_estimated{type="custom",state="incoming"} 400000\n');
    expect(text).toContain('mailctl_spool_type_jobs_estimated{type="reset-password",state="incoming"} 600000\n');
    expect(text).toContain('mailctl_spool_sampled_jobs 1000\n');
    expect(text).toContain('mailctl_spool_sampled_from_jobs 1000000\n');
    expect(text).toContain('mailctl_spool_jobs{state="incoming"} 1000000\n');
  });

  it('prometheus of an exact status has no estimate metrics', () => {
    const s = sampledStatus();
    delete s.sampled;
    expect(prometheusText(s)).not.toContain('estimated');
    expect(prometheusText(s)).not.toContain('sampled');
  });
});
