/**
 * The shipped catalog as the tests count it: languages are the locales folders and brands the ones
 * `templates check` renders, so adding a mail type or a language changes no test's literals.
 */
import { CHECK_BRANDS } from '../../src/templates/check.js';
import { defaultDirs, discoverLanguages } from '../../src/templates/store.js';

/** The shipped languages, sorted (`en-US, ja-JP, zh-CN` today). */
export const LANGUAGES: readonly string[] = discoverLanguages(defaultDirs().localesDir);

/** The shipped languages plus `extra` (an operator directory's), sorted as mailctl lists them. */
export function languagesWith(...extra: string[]): string[] {
  return [...LANGUAGES, ...extra].sort();
}

/** The line `templates check` prints when every type × language × brand renders. */
export function checkPassedLine(types: number, languages: readonly string[]): string {
  const brands = CHECK_BRANDS.length;
  return `ok ${types} types × ${languages.length} languages (${languages.join(', ')}) × ${brands} brands: ${types * languages.length * brands} rendered, strict MJML, locale keys complete\n`;
}
