/**
 * NameTally, the per-type count of `queue status`: it takes a shortcut for names that look like
 * a type already met (same length, same ending), so it must still count exactly the names
 * parseName accepts, whatever order they come in.
 */
import { describe, expect, it } from 'vitest';
import { NameTally, nameOf, newJobId, olderName, parseName, ulidOfName } from '../../../src/spool/job.js';

const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const id = (ms: number, fill: number): string => newJobId(ms, new Uint8Array(10).fill(fill));
const name = (type: string, ms = T, fill = 1, priority = 5): string =>
  nameOf({ priority, nextAttemptAt: new Date(ms).toISOString(), id: id(ms, fill), type });

const good = name('reset-password');
/** Same length and ending as `good`, one character of the head wrong. */
const lookalikes = [
  ['a letter in the priority', `x${good.slice(1)}`],
  ['a letter in the due time', `${good.slice(0, 5)}x${good.slice(6)}`],
  ['no dash after the due time', `${good.slice(0, 16)}_${good.slice(17)}`],
  ['a lower-case ULID', `${good.slice(0, 17)}${good.slice(17, 43).toLowerCase()}${good.slice(43)}`],
  ['an I (not in the ULID alphabet)', `${good.slice(0, 20)}I${good.slice(21)}`],
  ['a U (not in the ULID alphabet)', `${good.slice(0, 42)}U${good.slice(43)}`],
];

describe('NameTally', () => {
  it('counts per type exactly the names parseName accepts, the shortcut included', () => {
    const names = [
      good,
      name('reset-password', T + 1, 2),
      name('invite-member', T + 2, 3, 1),
      // same length as reset-password names, another type
      name('reset-passwort', T + 3, 4),
      name('x', T + 4, 5),
      ...lookalikes.map(([, n]) => n!),
      name('reset-password', T + 5, 6),
      `${good.slice(0, -5)}.txt`,
      good.replace('reset-password', 'Reset-password'),
      'legacy.json',
      '',
      `${good.slice(0, 44)}-bad.json`,
      name('a'.repeat(64), T + 6, 7),
      name('a'.repeat(65), T + 7, 8),
    ];
    for (const order of [names, [...names].reverse(), [...lookalikes.map(([, n]) => n!), ...names]]) {
      const tally = new NameTally();
      const types = order.map((n) => tally.add(n));
      expect(types).toEqual(order.map((n) => parseName(n)?.type));
      const expected = new Map<string, number>();
      for (const n of order) {
        const t = parseName(n)?.type;
        if (t !== undefined) expected.set(t, (expected.get(t) ?? 0) + 1);
      }
      expect(new Map(tally.counts())).toEqual(expected);
    }
  });

  it.each(lookalikes)('a name like a known type but with %s is not counted', (_, bad) => {
    const tally = new NameTally();
    expect(tally.add(good)).toBe('reset-password');
    expect(bad).toHaveLength(good.length);
    expect(tally.add(bad!)).toBeUndefined();
    expect(tally.counts()).toEqual([['reset-password', 1]]);
  });
});

describe('olderName', () => {
  it('orders canonical names by their ULID alone, not by priority or due time', () => {
    const older = name('reset-password', T, 9, 9);
    const newer = name('invite-member', T + 1, 1, 1);
    expect(olderName(older, newer)).toBe(true);
    expect(olderName(newer, older)).toBe(false);
    expect(olderName(older, older)).toBe(false);
    // same millisecond: the randomness decides, as comparing the ULIDs does
    const a = name('x', T, 1);
    const b = name('x', T, 2);
    expect(olderName(a, b)).toBe(ulidOfName(a) < ulidOfName(b));
    expect(ulidOfName(a)).toBe(id(T, 1));
  });
});
