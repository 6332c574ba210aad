/**
 * The only i18next importer. A fresh instance per render (the style guide's rule): it costs
 * microseconds with synchronous init and in-memory resources (see bench/render.bench.js), and no
 * state leaks from one mail to the next.
 */
import i18next from 'i18next';

export type Resources = Record<string, Record<string, unknown>>;

export interface Translator {
  /**
   * Translates `ns:key`, interpolating `values`. In `html` mode values are HTML-escaped; in
   * `text` mode they are inserted as they are. A `{{name}}` with no value is recorded in
   * `missing` and rendered empty (the caller turns it into a DataError naming it).
   */
  t(ns: string, key: string, values: Record<string, string>, mode: 'html' | 'text'): string;
  /** Whether `ns:key` exists in the language or its fallback. */
  has(ns: string, key: string): boolean;
  readonly missing: Set<string>;
}

export function createTranslator(lang: string, resources: Resources, fallback: { lang: string; resources: Resources } | undefined): Translator {
  const missing = new Set<string>();
  const instance = i18next.createInstance();
  const store: Record<string, Resources> = { [lang]: resources };
  if (fallback && fallback.lang !== lang) store[fallback.lang] = fallback.resources;
  void instance.init({
    lng: lang,
    fallbackLng: fallback?.lang ?? false,
    resources: store,
    ns: Object.keys(resources),
    defaultNS: false,
    initAsync: false,
    returnNull: false,
    returnEmptyString: true,
    // Keys are `a.b` paths inside one namespace file; `:` separates the namespace.
    keySeparator: '.',
    nsSeparator: ':',
    interpolation: {
      escapeValue: true,
      // A value is never re-scanned for {{…}} or $t(…): substitutions cannot inject templates.
      skipOnVariables: true,
    },
    missingInterpolationHandler: (_text: string, match: unknown) => {
      const name = Array.isArray(match) ? String(match[1]).trim() : String(match);
      missing.add(name);
      return '';
    },
  });
  return {
    missing,
    has: (ns, key) => instance.exists(key, { ns }),
    t(ns, key, values, mode) {
      // `replace` keeps caller variables apart from i18next's own options (lng, count, context…).
      return instance.t(key, {
        ns,
        replace: values,
        interpolation: { escapeValue: mode === 'html' },
      }) as string;
    },
  };
}
