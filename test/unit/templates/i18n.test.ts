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

/** A cached translator and i18next's own answer for one string, with what each reported missing. */
function compare(text: string, values: Record<string, unknown>, mode: 'html' | 'text', extra: Resources['mail'] = {}) {
  const r: Resources = { mail: { s: text, ...extra } };
  const cached = createTranslator('en-US', r, undefined);
  const plain = createTranslator('en-US', r, undefined, { compile: false });
  const vals = values as Record<string, string>;
  return {
    kind: cached.compiled('mail', 's', mode),
    out: cached.t('mail', 's', vals, mode),
    missing: [...cached.missing],
    i18next: { out: plain.t('mail', 's', vals, mode), missing: [...plain.missing] },
  };
}

describe('compiled strings (a shape: static text and slots)', () => {
  it('fills a shape exactly as i18next: each use of a name, escaped in html only, values never re-scanned', () => {
    const values = { a: '<{{b}}> & $t(mail:x)', b: '"B"' };
    for (const mode of ['html', 'text'] as const) {
      const r = compare('{{a}}, {{ b }} and {{a}}!', values, mode);
      expect(r.kind).toBe('shape');
      expect({ out: r.out, missing: r.missing }).toEqual(r.i18next);
    }
    expect(compare('{{a}}|{{b}}', values, 'html').out).toBe('&#60;{{b}}&#62; &#38; $t(mail:x)|&#34;B&#34;');
  });

  // Each refused string still comes out as i18next makes it, on every call.
  it.each([
    ['a format', 'Total: {{n, number}}', { n: '1234.5' }],
    ['an unescaped placeholder', 'Hi {{- name}}', { name: '<b>' }],
    ['a path', 'Hi {{user.name}}', { user: { name: '<b>' } }],
    ['nesting text next to a placeholder', 'See $t(mail:other) {{name}}', { name: 'x' }],
    ['a lone {{ in the static text', '{{name}} has {{ braces', { name: 'x' }],
    ['a lone }} in the static text', '{{name}} has }} braces', { name: 'x' }],
    ['a literal sentinel in the string', '\uE0000&\uE001 {{name}}', { name: 'x' }],
    ['a stray private-use character', '\uE000 {{name}}', { name: 'x' }],
    ['a non-ASCII placeholder name', 'Hi {{名前}}', { 名前: 'x' }],
  ])('refuses %s: i18next answers every call', (_what, text, values) => {
    for (const mode of ['html', 'text'] as const) {
      const r = compare(text, values, mode, { other: 'Other' });
      expect(r.kind).toBe('i18next');
      expect({ out: r.out, missing: r.missing }).toEqual(r.i18next);
    }
  });

  it('hands a call with a value missing, or not a string, to i18next: the same output and missing names', () => {
    for (const values of [{ a: '1' }, { a: '1', b: 2 }, { a: '1', b: undefined }, Object.create({ b: 'inherited' })]) {
      const r = compare('{{a}} and {{b}}', values as Record<string, unknown>, 'html');
      expect(r.kind).toBe('shape');
      expect({ out: r.out, missing: r.missing }).toEqual(r.i18next);
    }
    expect(compare('{{a}} and {{b}}', { a: '1' }, 'text').missing).toEqual(['b']);
  });

  it.each(['constructor', '__proto__', 'toString'])('{{%s}} of a plain object is missing, as in i18next', (name) => {
    const r = compare(`Hi {{${name}}}`, {}, 'text');
    expect(r.missing).toEqual([name]);
    expect({ out: r.out, missing: r.missing }).toEqual(r.i18next);
  });

  it('a value called count or context selects no plural or context form', () => {
    const extra = { s_one: 'one {{count}}', s_other: 'many {{count}}', s_male: 'he {{context}}' };
    const r = compare('{{count}} {{context}}', { count: '1', context: 'male' }, 'text', extra);
    expect(r.kind).toBe('shape');
    expect(r.out).toBe('1 male');
    expect({ out: r.out, missing: r.missing }).toEqual(r.i18next);
  });

  it('answers every key right past the bound on remembered keys (4,096 per entry)', () => {
    const mail = Object.fromEntries(Array.from({ length: 4200 }, (_, i) => [`k${i}`, `#${i} {{v}}`]));
    const t = createTranslator('en-US', { mail }, undefined);
    for (let round = 0; round < 2; round += 1)
      for (let i = 0; i < 4200; i += 1) {
        expect(t.has('mail', `k${i}`)).toBe(true);
        expect(t.t('mail', `k${i}`, { v: '<x>' }, 'html')).toBe(`#${i} &#60;x&#62;`);
      }
    expect(t.has('mail', 'k4200')).toBe(false);
  });

  it('sees an edit to a later namespace while the first stays the same object', () => {
    const common = { hi: 'Hi {{name}}' };
    const before = createTranslator('en-US', { common, mail: { s: 'Old {{name}}' } }, undefined);
    expect(before.t('mail', 's', { name: 'A' }, 'text')).toBe('Old A');
    const after = createTranslator('en-US', { common, mail: { s: 'New {{name}}' } }, undefined);
    expect(after.t('mail', 's', { name: 'A' }, 'text')).toBe('New A');
    expect(after.t('common', 'hi', { name: 'A' }, 'text')).toBe('Hi A');
  });

  it('keeps languages that share resource objects apart', () => {
    const en: Resources = { mail: { s: 'Hello {{name}}', only: 'English only' } };
    const zh: Resources = { mail: { s: '你好 {{name}}' } };
    const fallback = { lang: 'en-US', resources: en };
    for (let round = 0; round < 2; round += 1) {
      expect(createTranslator('en-US', en, fallback).t('mail', 's', { name: 'A' }, 'text')).toBe('Hello A');
      expect(createTranslator('zh-CN', zh, fallback).t('mail', 's', { name: 'A' }, 'text')).toBe('你好 A');
      expect(createTranslator('zh-CN', zh, fallback).t('mail', 'only', {}, 'text')).toBe('English only');
      expect(createTranslator('ja-JP', en, undefined).has('mail', 'only')).toBe(true);
    }
  });

  it('sees edited placeholder strings (the shapes go with the old entry)', () => {
    const before = createTranslator('en-US', { mail: { s: 'Old {{name}}' } }, undefined);
    expect(before.t('mail', 's', { name: 'A' }, 'html')).toBe('Old A');
    const after = createTranslator('en-US', { mail: { s: 'New {{name}}' } }, undefined);
    expect(after.t('mail', 's', { name: 'A' }, 'html')).toBe('New A');
  });
});
