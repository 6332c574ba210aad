/**
 * How long a code stays valid, in the mail's language ("10 minutes", "1 時間", "10分钟").
 *
 * The shipped languages are spelled from a small table instead of `Intl.NumberFormat`: the first
 * NumberFormat of a process loads ICU's unit data, 55–75 ms of a `send` or `preview` on the
 * reference machine, for four words per language. test/unit/templates/validity.test.ts holds the
 * table to Intl's own output for every shipped language, unit and a range of amounts, so the two
 * cannot drift apart. An operator's language that the table lacks is formatted by Intl, as before.
 */

export type ValidityUnit = 'day' | 'hour' | 'minute' | 'second';

interface UnitWords {
  /** between the number and the unit word */
  gap: string;
  one: Record<ValidityUnit, string>;
  other: Record<ValidityUnit, string>;
}

/** The long unit names CLDR gives for each language mailctl ships (locales/). */
export const UNIT_WORDS: Readonly<Record<string, UnitWords>> = {
  'en-US': {
    gap: ' ',
    one: { day: 'day', hour: 'hour', minute: 'minute', second: 'second' },
    other: { day: 'days', hour: 'hours', minute: 'minutes', second: 'seconds' },
  },
  'ja-JP': {
    gap: ' ',
    one: { day: '日', hour: '時間', minute: '分', second: '秒' },
    other: { day: '日', hour: '時間', minute: '分', second: '秒' },
  },
  'zh-CN': {
    gap: '',
    one: { day: '天', hour: '小时', minute: '分钟', second: '秒钟' },
    other: { day: '天', hour: '小时', minute: '分钟', second: '秒钟' },
  },
};

const UNITS: readonly [ValidityUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/**
 * The largest whole unit of `ms`; a duration between units is rounded down (to minutes), so that
 * a mail never promises more time than it has. Never less than 1 second.
 */
export function validityAmount(ms: number): { amount: number; unit: ValidityUnit } {
  for (const [unit, size] of UNITS) {
    if (ms >= size && (ms % size === 0 || unit === 'minute')) return { amount: Math.floor(ms / size), unit };
  }
  return { amount: Math.max(1, Math.floor(ms / 1000)), unit: 'second' };
}

/** Digits grouped by three with a comma, as en-US, ja-JP and zh-CN all write them. */
function grouped(amount: number): string {
  return String(amount).replace(/\B(?=(\d{3})+$)/g, ',');
}

const intlFormats = new Map<string, Intl.NumberFormat>();

/** A duration in the mail's language, e.g. `validityText('zh-CN', 600_000)` → `10分钟`. */
export function validityText(lang: string, ms: number): string {
  const { amount, unit } = validityAmount(ms);
  const words = UNIT_WORDS[lang];
  if (words) return `${grouped(amount)}${words.gap}${(amount === 1 ? words.one : words.other)[unit]}`;
  const key = `${lang}\u0000${unit}`;
  let format = intlFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' });
    intlFormats.set(key, format);
  }
  return format.format(amount);
}
