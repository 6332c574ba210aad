// The code-validity words come from a table, not Intl (start-up: ICU's unit data costs 55–75 ms).
// Intl stays the yardstick: every shipped language, unit and amount must read as Intl writes it.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/templates/store.js';
import { UNIT_WORDS, validityAmount, validityText, type ValidityUnit } from '../../../src/templates/validity.js';

const SHIPPED = readdirSync(`${packageRoot()}/locales`, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const SIZES: Record<ValidityUnit, number> = { day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1000 };
const AMOUNTS = [1, 2, 3, 5, 10, 11, 15, 21, 30, 59, 90, 100, 101, 999, 1000, 1001, 12_345, 100_000, 1_234_567];

const intl = (lang: string, unit: ValidityUnit, amount: number): string =>
  new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(amount);

describe('validityText', () => {
  it('has words for every shipped language', () => {
    expect(SHIPPED.length).toBeGreaterThan(0);
    expect(Object.keys(UNIT_WORDS).sort()).toEqual([...SHIPPED].sort());
  });

  const cases = SHIPPED.flatMap((lang) => (Object.keys(SIZES) as ValidityUnit[]).map((unit) => [lang, unit] as const));
  it.each(cases)('%s %s reads as Intl.NumberFormat writes it', (lang, unit) => {
    for (const amount of AMOUNTS) {
      // whole durations and ones between units (rounded down), as a TTL of any length gives them
      for (const ms of [amount * SIZES[unit], amount * SIZES[unit] + 1234]) {
        const parts = validityAmount(ms);
        expect(validityText(lang, ms)).toBe(intl(lang, parts.unit, parts.amount));
      }
    }
  });

  it('picks the largest whole unit and rounds down between units', () => {
    expect(validityAmount(2 * 86_400_000)).toEqual({ amount: 2, unit: 'day' });
    expect(validityAmount(36 * 3_600_000)).toEqual({ amount: 36, unit: 'hour' });
    expect(validityAmount(90 * 60_000)).toEqual({ amount: 90, unit: 'minute' });
    expect(validityAmount(61 * 60_000 + 59_000)).toEqual({ amount: 61, unit: 'minute' });
    expect(validityAmount(59_999)).toEqual({ amount: 59, unit: 'second' });
    expect(validityAmount(0)).toEqual({ amount: 1, unit: 'second' });
  });

  it("formats an operator's language the table lacks with Intl", () => {
    expect(UNIT_WORDS['de-DE']).toBeUndefined();
    expect(validityText('de-DE', 10 * 60_000)).toBe(intl('de-DE', 'minute', 10));
    expect(validityText('de-DE', 60_000)).toBe('1 Minute');
  });
});
