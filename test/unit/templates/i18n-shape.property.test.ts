/**
 * Property tests (fast-check, fixed seed) for the translator's compiled strings
 * (src/templates/i18n.ts): for every locale string of every built-in mail type, in every shipped
 * language and both modes, what the cache answers equals what i18next answers on its own
 * (`compile: false`), for values full of HTML specials, `{{…}}`, `$t(…)`, empty, very long and
 * non-BMP text, and with values left out (the same names then reported missing).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { createTranslator, type Resources } from '../../../src/templates/i18n.js';
import { DEFAULT_LANGUAGE } from '../../../src/templates/lang.js';
import { defaultStore } from '../../../src/templates/store.js';
import { LANGUAGES } from '../../helpers/catalog.js';

const RUNS = { seed: 20261206, numRuns: 3000 };
const MODES = ['html', 'text'] as const;

interface Case {
  lang: string;
  ns: string;
  key: string;
  /** The placeholder names of the string in `lang` (or the fallback's, which i18next then uses). */
  names: string[];
  resources: Resources;
  fallback: Resources;
}

/** `footer.sent_by`-style keys of every string in a namespace, with the string. */
function strings(tree: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([k, v]): [string, string][] =>
    typeof v === 'string'
      ? [[prefix + k, v]]
      : v && typeof v === 'object'
        ? strings(v as Record<string, unknown>, `${prefix}${k}.`)
        : [],
  );
}

const store = defaultStore();
const CASES: Case[] = LANGUAGES.flatMap((lang) =>
  MAIL_TYPE_DEFS.flatMap((def) => {
    const namespaces = ['common', def.id];
    const resources = store.resources(lang, namespaces);
    const fallback = store.resources(DEFAULT_LANGUAGE, namespaces);
    return namespaces.flatMap((ns) => {
      const own = new Map(strings(resources[ns] ?? {}));
      return strings(fallback[ns] ?? {}).map(([key, english]) => {
        const text = own.get(key) ?? english;
        const names = [...new Set([...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!))];
        return { lang, ns, key, names, resources, fallback };
      });
    });
  }),
);

const SPECIALS = [
  '',
  '<b>&amp;"\'</b>',
  '{{code}}',
  '{{- code}}',
  '{{application_title, uppercase}}',
  '$t(common:footer.automated)',
  '$t(',
  '}}{{',
  '\uE0000&\uE001',
  '\uE000',
  '😀 𠮷 🇨🇳',
  '\uD800',
  '%%t:subject%%',
  'a\nb\r\n',
];
const value = fc.oneof(
  fc.constantFrom(...SPECIALS),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.constantFrom(...SPECIALS, 'x'), { maxLength: 30 }).map((xs) => xs.join('')),
  fc.string({ unit: 'grapheme', minLength: 2000, maxLength: 5000 }),
);

/** Values for `names`, some left out (`null`), plus names the string does not use. */
function valuesArb(names: string[]): fc.Arbitrary<Record<string, string>> {
  return fc
    .tuple(
      fc.array(fc.option(value, { freq: 8 }), { minLength: names.length, maxLength: names.length }),
      fc.dictionary(fc.constantFrom('code', 'extra', 'lng', 'count', 'ns'), value, { maxKeys: 3 }),
    )
    .map(([picked, extra]) => {
      const values = Object.assign(Object.create(null) as Record<string, string>, extra);
      names.forEach((n, i) => {
        const v = picked[i];
        if (v === null || v === undefined) delete values[n];
        else values[n] = v;
      });
      return values;
    });
}

/** The cache's answer and i18next's own, each with what it reported missing. */
function both(c: Case, values: Record<string, string>, mode: 'html' | 'text') {
  const fallback = { lang: DEFAULT_LANGUAGE, resources: c.fallback };
  const cached = createTranslator(c.lang, c.resources, fallback);
  const plain = createTranslator(c.lang, c.resources, fallback, { compile: false });
  return {
    cached: { out: cached.t(c.ns, c.key, values, mode), missing: [...cached.missing] },
    plain: { out: plain.t(c.ns, c.key, values, mode), missing: [...plain.missing] },
    kind: cached.compiled(c.ns, c.key, mode),
  };
}

describe('compiled locale strings (properties)', () => {
  it('covers every shipped string, and every one is answered without i18next (kept whole or a shape)', () => {
    expect(CASES.length).toBeGreaterThan(LANGUAGES.length * MAIL_TYPE_DEFS.length * 3);
    expect(CASES.some((c) => c.names.length > 1)).toBe(true);
    for (const c of CASES)
      for (const mode of MODES)
        expect([c.lang, c.ns, c.key, mode, both(c, {}, mode).kind]).toEqual([
          c.lang,
          c.ns,
          c.key,
          mode,
          c.names.length === 0 ? 'fixed' : 'shape',
        ]);
  });

  it('equal i18next for every shipped string with each awkward value, in both modes', () => {
    for (const c of CASES)
      for (const mode of MODES)
        for (const special of SPECIALS) {
          const values = Object.fromEntries(c.names.map((n) => [n, special]));
          const r = both(c, values, mode);
          expect(r.cached).toEqual(r.plain);
        }
  });

  it('equal i18next for random values, some left out (the same names reported missing)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES).chain((c) => fc.tuple(fc.constant(c), valuesArb(c.names), fc.constantFrom(...MODES))),
        ([c, values, mode]) => {
          const r = both(c, values, mode);
          expect(r.cached).toEqual(r.plain);
        },
      ),
      RUNS,
    );
  });
});

describe('shipped strings need no i18next instance', () => {
  it('every shipped string of every type and language is answered without creating one', async () => {
    const i18next = (await import('i18next')).default;
    const spy = vi.spyOn(i18next, 'createInstance');
    try {
      for (const c of CASES) {
        // Copies: a translator entry of their own, not one an earlier test made.
        const tr = createTranslator(c.lang, structuredClone(c.resources), {
          lang: DEFAULT_LANGUAGE,
          resources: structuredClone(c.fallback),
        });
        const values = Object.fromEntries(c.names.map((n) => [n, `<${n}>`]));
        expect(tr.has(c.ns, c.key)).toBe(true);
        tr.t(c.ns, c.key, values, 'html');
        tr.t(c.ns, c.key, values, 'text');
      }
      expect(spy).not.toHaveBeenCalled();
      // A string that needs i18next (a format) still gets one, made then.
      const tr = createTranslator('en-US', { x: { f: '{{n, uppercase}}' } }, undefined);
      expect(tr.t('x', 'f', { n: 'a' }, 'text')).toBe('a');
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
