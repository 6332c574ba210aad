/**
 * Language resolution: exact tag, then aliases (zh-Hans, zh, zh-Hans-CN, zh-SG → zh-CN; en, en-GB,
 * en-* → en-US), then en-US with a warning. Something that is not a BCP 47 tag is a usage error.
 * The available languages are the folders of locales/ (adding one = dropping in a folder), passed
 * in by the caller: this module reads nothing.
 */
import { UsageError } from '../errors.js';

export const DEFAULT_LANGUAGE = 'en-US';

/** Explicit aliases, checked before the likely-subtags rule below. */
const ALIASES: Readonly<Record<string, string>> = {
  zh: 'zh-CN',
  'zh-hans': 'zh-CN',
  'zh-hans-cn': 'zh-CN',
  'zh-sg': 'zh-CN',
  'zh-hans-sg': 'zh-CN',
  en: 'en-US',
};

/** Letters, digits and hyphens only, 2–8 letter primary subtag: refuses `../x`, `123`, `en_US`. */
const TAG_SHAPE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

export interface ResolvedLanguage {
  lang: string;
  /** Set when the requested language was not available and en-US was used instead. */
  warning: string | undefined;
}

/** Canonical forms of tags seen (a drain asks for the same few on every job; Intl is slow). */
const canonicalTags = new Map<string, string>();

/** Throws UsageError (64) unless `tag` is a well-formed language tag. Returns its canonical form. */
export function assertLanguageTag(tag: string): string {
  const known = canonicalTags.get(tag);
  if (known !== undefined) return known;
  if (!TAG_SHAPE.test(tag)) throw notATag(tag);
  let canonical: string | undefined;
  try {
    [canonical] = Intl.getCanonicalLocales(tag);
  } catch {
    throw notATag(tag);
  }
  if (canonical === undefined) throw notATag(tag);
  if (canonicalTags.size < 256) canonicalTags.set(tag, canonical);
  return canonical;
}

function notATag(tag: string): UsageError {
  return new UsageError(
    `--lang ${JSON.stringify(tag)} is not a language tag`,
    {
      hint: 'use a BCP 47 tag such as en-US or zh-CN (see `mailctl templates list`)',
    },
    'usage.language',
  );
}

/** Language + script after adding likely subtags (zh-SG → zh-Hans, zh-TW → zh-Hant, en-GB → en-Latn). */
function languageScript(tag: string): string | undefined {
  try {
    const max = new Intl.Locale(tag).maximize();
    return `${max.language}-${max.script ?? ''}`;
  } catch {
    return undefined;
  }
}

/**
 * Picks one of `available` for `requested` (undefined → en-US, silently).
 * Order: exact (case-insensitive), alias table, same language and script (so a new `ja-JP`
 * folder also serves `ja`; zh-TW, Traditional script, does not get zh-CN), then en-US + warning.
 */
export function resolveLanguage(requested: string | undefined, available: readonly string[]): ResolvedLanguage {
  const fallback = available.includes(DEFAULT_LANGUAGE) ? DEFAULT_LANGUAGE : (available[0] ?? DEFAULT_LANGUAGE);
  if (requested === undefined || requested === '') return { lang: fallback, warning: undefined };
  const canonical = assertLanguageTag(requested);
  const lower = canonical.toLowerCase();
  const exact = available.find((a) => a.toLowerCase() === lower);
  if (exact) return { lang: exact, warning: undefined };
  const alias = ALIASES[lower];
  if (alias && available.includes(alias)) return { lang: alias, warning: undefined };
  const wanted = languageScript(canonical);
  if (wanted) {
    // Prefer the available tag whose own region is the likely one (en → en-US rather than en-GB).
    const likely = new Intl.Locale(canonical).maximize();
    const candidates = available.filter((a) => languageScript(a) === wanted);
    const best = candidates.find((a) => new Intl.Locale(a).region === likely.region) ?? candidates[0];
    if (best) return { lang: best, warning: undefined };
  }
  return {
    lang: fallback,
    warning: `no ${canonical} translation (available: ${available.join(', ')}); using ${fallback}`,
  };
}

/**
 * The `--lang` of a command (preview, send, enqueue): the contract makes an unknown language a
 * usage error (64), unlike a spool job's or the library's `lang`, which falls back to en-US with
 * a warning rather than lose a mail the application already promised its user.
 */
export function requireLanguage(requested: string, available: readonly string[]): string {
  const { lang, warning } = resolveLanguage(requested, available);
  if (warning === undefined) return lang;
  throw new UsageError(
    `no ${assertLanguageTag(requested)} translation: the languages are ${available.join(', ')}`,
    { hint: 'pick one of them, or add one (README "Adding a language"; `mailctl templates init`)' },
    'usage.language',
  );
}
