/** escapeHtml: the five characters as numeric references, everything else as it is. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../src/templates/escape.js';

/** The definition, one character at a time. */
const reference = (value: string): string =>
  [...value].map((c) => ('&<>"\''.includes(c) ? `&#${c.charCodeAt(0)};` : c)).join('');

describe('escapeHtml', () => {
  it.each([
    ['123456', '123456'],
    ['', ''],
    ['<b>"Tom" & \'Jerry\'</b>', '&#60;b&#62;&#34;Tom&#34; &#38; &#39;Jerry&#39;&#60;/b&#62;'],
    ['验证码 & 😀', '验证码 &#38; 😀'],
  ])('%j → %j', (value, escaped) => {
    expect(escapeHtml(value)).toBe(escaped);
  });

  it('equals the one-character-at-a-time definition for any text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.constantFrom('', '&', '<', '>', '"', "'"),
        (s, c) => {
          const value = `${s}${c}${s}`;
          expect(escapeHtml(value)).toBe(reference(value));
        },
      ),
      { seed: 20261206, numRuns: 300 },
    );
  });
});
