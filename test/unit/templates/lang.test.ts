import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../../src/errors.js';
import { resolveLanguage } from '../../../src/templates/lang.js';
import { defaultDirs, discoverLanguages } from '../../../src/templates/store.js';

const AVAILABLE = ['en-US', 'zh-CN'];

describe('resolveLanguage', () => {
  it.each([
    [undefined, 'en-US'],
    ['en-US', 'en-US'],
    ['EN-us', 'en-US'],
    ['zh-CN', 'zh-CN'],
    ['zh-cn', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh-SG', 'zh-CN'],
    ['en', 'en-US'],
    ['en-GB', 'en-US'],
    ['en-AU', 'en-US'],
  ])('%s → %s without a warning', (requested, lang) => {
    expect(resolveLanguage(requested, AVAILABLE)).toEqual({ lang, warning: undefined });
  });

  it.each(['fr', 'ja-JP', 'zh-TW', 'zh-Hant'])('%s falls back to en-US with a warning', (requested) => {
    const r = resolveLanguage(requested, AVAILABLE);
    expect(r.lang).toBe('en-US');
    expect(r.warning).toMatch(new RegExp(`no ${requested} translation.*using en-US`));
  });

  it.each(['../x', '123', 'en_US', 'zh-CN/../../etc', '', ' en', 'a', 'toolongprimary-x'])(
    '%j is a usage error (64)',
    (requested) => {
      if (requested === '') return expect(resolveLanguage(requested, AVAILABLE).lang).toBe('en-US');
      let err: unknown;
      try {
        resolveLanguage(requested, AVAILABLE);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(ExitCode.USAGE);
      expect((err as Error).message).toContain('is not a language tag');
    },
  );

  it('serves a dropped-in language by its short tag too', () => {
    expect(resolveLanguage('ja', [...AVAILABLE, 'ja-JP']).lang).toBe('ja-JP');
    expect(resolveLanguage('pt-PT', [...AVAILABLE, 'pt-BR']).lang).toBe('pt-BR');
  });
});

describe('the shipped languages are the locales folders', () => {
  const shipped = discoverLanguages(defaultDirs().localesDir);
  it.each([
    ['ja', 'ja-JP'],
    ['JA-jp', 'ja-JP'],
    ['ja-Jpan-JP', 'ja-JP'],
    ['zh-Hans', 'zh-CN'],
  ])('%s → %s', (requested, lang) => {
    expect(resolveLanguage(requested, shipped)).toEqual({ lang, warning: undefined });
  });
});
