/**
 * What renderWith remembers between jobs (language resolution per languages list, the validity
 * text per language and duration) answers exactly what the functions it stands for answer, in
 * any order of calls, and a refused tag is refused every time.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { resolveLanguage } from '../../../src/templates/lang.js';
import { renderWith, validityText, type RenderRequest } from '../../../src/templates/render.js';
import { defaultStore, type TemplateStore } from '../../../src/templates/store.js';

const job = (over: Partial<RenderRequest>): RenderRequest => ({
  type: 'reset-password',
  vars: { code: '123456' },
  branding: { whiteLabel: false },
  ...over,
});

function refusal(store: TemplateStore, lang: string): unknown {
  try {
    renderWith(store, job({ lang }));
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('renderWith remembers, and answers as the functions themselves', () => {
  it('the language and its warning, per languages list, in any order', () => {
    const base = defaultStore();
    const withGerman: TemplateStore = { ...base, languages: () => GERMAN };
    const GERMAN = [...base.languages(), 'de-DE'];
    const tags = [undefined, '', 'zh', 'zh-Hans', 'ZH-cn', 'en-GB', 'ja', 'zh-TW', 'de', 'de-DE', 'fr'];
    for (let round = 0; round < 2; round += 1)
      for (const tag of round === 0 ? tags : [...tags].reverse())
        for (const store of [base, withGerman]) {
          const expected = resolveLanguage(tag, store.languages());
          const r = renderWith(store, job({ lang: tag }));
          expect([tag, r.lang, r.warnings]).toEqual([
            tag,
            expected.lang,
            expected.warning === undefined ? [] : [expected.warning],
          ]);
        }
    for (let round = 0; round < 2; round += 1)
      for (const bad of ['en_US', '../x', '123']) {
        const err = refusal(base, bad);
        expect(err).toBeInstanceOf(UsageError);
        expect((err as Error).message).toBe(`--lang ${JSON.stringify(bad)} is not a language tag`);
      }
  });

  it('the validity text, per language and duration, in any order', () => {
    const ttls = [1, 30_000, 90_000, 600_000, 3_600_000, 5_400_000, 2 * 86_400_000];
    for (let round = 0; round < 2; round += 1)
      for (const lang of ['en-US', 'zh-CN', 'ja-JP'])
        for (const codeTtlMs of round === 0 ? ttls : [...ttls].reverse()) {
          const r = renderWith(defaultStore(), job({ lang, codeTtlMs }));
          expect(r.text).toContain(validityText(lang, codeTtlMs));
        }
    // not the same text for every duration: the memo is keyed by both
    expect(renderWith(defaultStore(), job({ codeTtlMs: 60_000 })).text).toContain('valid for 1 minute.');
    expect(renderWith(defaultStore(), job({ codeTtlMs: 120_000 })).text).toContain('valid for 2 minutes.');
  });
});
