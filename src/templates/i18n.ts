/**
 * The only i18next importer.
 *
 * Instances are cached per (language, namespaces) and rebuilt whenever the resource objects
 * change (the live store of `preview --serve` reloads them). A fresh instance costs ~0.6 ms, a
 * `t()` call ~10 µs (bench/render.bench.js). Caching is side-effect free here because nothing
 * about a render is stored on an instance: there are two instances per language, one escaping
 * values for HTML and one not (so no per-call `interpolation` options, which i18next applies by
 * re-initialising its interpolator), values go in through `replace` (so a variable called `lng`
 * or `count` cannot steer i18next), and the missing-variable handler writes into a collector
 * that belongs to one synchronous render. test/unit/templates/i18n.test.ts checks that
 * interleaved renders do not see each other.
 */
import i18next, { type i18n } from 'i18next';
import { escapeHtml } from './escape.js';

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

interface Entry {
  deps: unknown[];
  /** `exists()` answers, per `ns:key`: resources of an entry never change (a change makes a new entry). */
  known: Map<string, boolean>;
  /** Results of strings without a `{{…}}` placeholder, per mode and `ns:key`: they never vary. */
  fixed: Map<string, string | null>;
  html: i18n;
  text: i18n;
  collector: { missing: Set<string> | undefined };
}

const cache = new Map<string, Entry>();

function makeInstance(
  lang: string,
  store: Record<string, Resources>,
  namespaces: string[],
  fallbackLang: string | false,
  escape: boolean,
  collector: Entry['collector'],
): i18n {
  const instance = i18next.createInstance();
  void instance.init({
    lng: lang,
    fallbackLng: fallbackLang,
    resources: store,
    ns: namespaces,
    defaultNS: false,
    initAsync: false,
    returnNull: false,
    returnEmptyString: true,
    keySeparator: '.',
    nsSeparator: ':',
    interpolation: {
      escapeValue: escape,
      // The same escaping as the renderer's own markers, so that every value looks alike.
      escape: escapeHtml,
      // A value is never re-scanned for {{…}} or $t(…): substitutions cannot inject templates.
      skipOnVariables: true,
    },
    missingInterpolationHandler: (_text: string, match: unknown) => {
      const name = Array.isArray(match) ? String(match[1]).trim() : String(match);
      collector.missing?.add(name);
      return '';
    },
  });
  return instance;
}

export function createTranslator(
  lang: string,
  resources: Resources,
  fallback: { lang: string; resources: Resources } | undefined,
): Translator {
  const namespaces = Object.keys(resources).sort();
  const key = `${lang}\u0000${fallback?.lang ?? ''}\u0000${namespaces.join('\u0000')}`;
  const deps = [...namespaces.map((ns) => resources[ns]), ...namespaces.map((ns) => fallback?.resources[ns])];
  let entry = cache.get(key);
  if (!entry || entry.deps.length !== deps.length || entry.deps.some((d, i) => d !== deps[i])) {
    const store: Record<string, Resources> = { [lang]: resources };
    if (fallback && fallback.lang !== lang) store[fallback.lang] = fallback.resources;
    const fallbackLang = fallback && fallback.lang !== lang ? fallback.lang : false;
    const collector: Entry['collector'] = { missing: undefined };
    entry = {
      deps,
      known: new Map(),
      fixed: new Map(),
      collector,
      html: makeInstance(lang, store, namespaces, fallbackLang, true, collector),
      text: makeInstance(lang, store, namespaces, fallbackLang, false, collector),
    };
    cache.set(key, entry);
  }
  const { html, text, collector, known, fixed } = entry;
  const translate = (
    instance: i18n,
    ns: string,
    k: string,
    values: Record<string, string>,
    into: Set<string>,
  ): string => {
    collector.missing = into;
    try {
      // nest: false: locale strings never use $t(…) nesting; no value or string can pull in another key.
      return instance.t(k, { ns, replace: values, nest: false }) as string;
    } finally {
      collector.missing = undefined;
    }
  };
  const missing = new Set<string>();
  return {
    missing,
    has(ns, k) {
      const id = `${ns}:${k}`;
      let yes = known.get(id);
      if (yes === undefined) {
        yes = html.exists(k, { ns });
        known.set(id, yes);
      }
      return yes;
    },
    t(ns, k, values, mode) {
      const instance = mode === 'html' ? html : text;
      // Most strings of a template have no placeholder: translated once per entry, then reused
      // (i18next's t() is most of a render's cost). A string is fixed when, given no values at
      // all, no placeholder reported itself missing.
      const id = `${mode}\u0000${ns}:${k}`;
      let result = fixed.get(id);
      if (result === undefined) {
        const probe = new Set<string>();
        const out = translate(instance, ns, k, Object.create(null) as Record<string, string>, probe);
        result = probe.size === 0 ? out : null;
        fixed.set(id, result);
      }
      return result ?? translate(instance, ns, k, values, missing);
    },
  };
}
