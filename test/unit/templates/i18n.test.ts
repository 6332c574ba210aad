/** The translator cache (src/templates/i18n.ts): fast, and never wrong across renders. */
import { describe, expect, it } from 'vitest';
import { createTranslator, type Resources } from '../../../src/templates/i18n.js';

const resources = (fixedText = 'Hello & welcome'): Resources => ({
  mail: { fixed: fixedText, greet: 'Hi {{name}} <3', two: '{{a}} and {{b}}' },
});
const none = Object.create(null) as Record<string, string>;

describe('createTranslator', () => {
  it('interpolates every call with its own values (placeholder strings are never cached)', () => {
    const r = resources();
    const t1 = createTranslator('en-US', r, undefined);
    expect(t1.t('mail', 'greet', { name: 'Ana' }, 'text')).toBe('Hi Ana <3');
    expect(t1.t('mail', 'greet', { name: 'Bob' }, 'text')).toBe('Hi Bob <3');
    expect(createTranslator('en-US', r, undefined).t('mail', 'greet', { name: 'Cy' }, 'text')).toBe('Hi Cy <3');
  });

  it('escapes values in html mode only; fixed strings come out the same in both', () => {
    const t = createTranslator('en-US', resources(), undefined);
    expect(t.t('mail', 'greet', { name: '<b>' }, 'html')).toBe('Hi &#60;b&#62; <3');
    expect(t.t('mail', 'greet', { name: '<b>' }, 'text')).toBe('Hi <b> <3');
    expect(t.t('mail', 'fixed', none, 'html')).toBe('Hello & welcome');
    expect(t.t('mail', 'fixed', { name: 'x' }, 'text')).toBe('Hello & welcome');
  });

  it('records a missing value in this render only, also after the string was probed', () => {
    const r = resources();
    const a = createTranslator('en-US', r, undefined);
    const b = createTranslator('en-US', r, undefined);
    expect(a.t('mail', 'two', { a: '1' }, 'text')).toBe('1 and ');
    expect(b.t('mail', 'two', { a: '1', b: '2' }, 'text')).toBe('1 and 2');
    expect([...a.missing]).toEqual(['b']);
    expect([...b.missing]).toEqual([]);
    // the probe that found `fixed` fixed reported nothing into anyone's render
    a.t('mail', 'fixed', none, 'text');
    expect([...a.missing]).toEqual(['b']);
  });

  it('sees edited resources (preview --serve reloads them as new objects)', () => {
    expect(createTranslator('en-US', resources('Old text'), undefined).t('mail', 'fixed', none, 'text')).toBe(
      'Old text',
    );
    expect(createTranslator('en-US', resources('New text'), undefined).t('mail', 'fixed', none, 'text')).toBe(
      'New text',
    );
  });

  it('falls back to the fallback language for a key the language lacks', () => {
    const t = createTranslator(
      'zh-CN',
      { mail: { greet: '你好 {{name}}' } },
      { lang: 'en-US', resources: resources() },
    );
    expect(t.t('mail', 'greet', { name: '安' }, 'text')).toBe('你好 安');
    expect(t.has('mail', 'fixed')).toBe(true);
    expect(t.t('mail', 'fixed', none, 'text')).toBe('Hello & welcome');
    expect(t.has('mail', 'nope')).toBe(false);
  });
});
