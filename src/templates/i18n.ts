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
 *
 * Each string is translated by i18next once per entry and mode (see `compile`): kept whole when it
 * has no placeholder, else split into static text and slots when i18next did nothing but put
 * (escaped) values in place, which a join then repeats for ~1 µs instead of a t() call. Anything
 * else (formats, `{{- x}}`, paths, a value that is missing or not a string) still goes through
 * i18next on every call. test/unit/templates/i18n-shape.property.test.ts compares the two on every
 * shipped string.
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
  /** How t() answers `ns:key` in `mode`: kept whole, filled from a shape, or i18next each time (for tests). */
  compiled(ns: string, key: string, mode: 'html' | 'text'): Compiled['kind'];
}

/**
 * How `t()` answers one `ns:key` in one mode, worked out on the first call: a string without
 * placeholders (`fixed`), a shape (static text around named slots), or i18next on every call.
 */
export type Compiled =
  { kind: 'fixed'; text: string } | { kind: 'shape'; statics: string[]; names: string[] } | { kind: 'i18next' };

/** What an entry knows of one `ns:key`: resources of an entry never change (a change makes a new entry). */
interface StringFacts {
  exists: boolean | undefined;
  html: Compiled | undefined;
  text: Compiled | undefined;
}

interface Entry {
  deps: unknown[];
  /**
   * Per namespace, then key: nested maps rather than one keyed by `ns:key`, so that a lookup
   * hashes the caller's own strings (template markers: hashed once) instead of a new one per call.
   * At most {@link MAX_COMPILED} keys; dropped with the entry.
   */
  strings: Map<string, Map<string, StringFacts>>;
  size: number;
  /** The i18next instances, made on first need: most renders need none (see rawCompiled). */
  html: () => i18n;
  text: () => i18n;
  collector: {
    missing: Set<string> | undefined;
    /** Set while compiling: each placeholder i18next meets is recorded and stands in as a sentinel. */
    slots: string[] | undefined;
  };
}

/** Keys remembered per entry; a template uses a few dozen, so this is only a guard. */
const MAX_COMPILED = 4096;
/** Slots per string; i18next itself stops substituting after 1000 (`maxReplaces`). */
const MAX_SLOTS = 64;

/**
 * A slot's stand-in while compiling: private-use characters no locale string or escaping makes,
 * around the slot's number and an `&`, which shows whether i18next HTML-escaped the value there.
 */
const sentinel = (i: number): string => `\uE000${i}&\uE001`;
const SENTINEL = /\uE000(\d+)([^\uE000\uE001]*)\uE001/g;
/** The only placeholder form that is pure substitution: no format, no `-` (unescaped), no path. */
const PLAIN_PLACEHOLDER = /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$/;
/** Left in the static text, these would mean i18next saw more than plain placeholders. */
const NOT_PLAIN = /\{\{|\}\}|\$t\(|[\uE000\uE001]/;

/**
 * The shape of `out`, what i18next made of a string whose placeholders `slots` (the matches in
 * order) each returned `sentinel(i)`; or undefined unless it is pure substitution that a join of
 * static text and (escaped) values reproduces exactly.
 */
function shapeOf(out: string, slots: string[], escape: boolean): Compiled | undefined {
  if (slots.length > MAX_SLOTS) return undefined;
  const names: string[] = [];
  for (const match of slots) {
    const name = PLAIN_PLACEHOLDER.exec(match)?.[1];
    if (name === undefined) return undefined;
    names.push(name);
  }
  const statics: string[] = [];
  let last = 0;
  for (const m of out.matchAll(SENTINEL)) {
    const i = statics.length;
    // Each sentinel exactly once, in order, escaped exactly as a value would be.
    if (i >= names.length || m[0] !== (escape ? escapeHtml(sentinel(i)) : sentinel(i))) return undefined;
    statics.push(out.slice(last, m.index));
    last = m.index + m[0].length;
  }
  statics.push(out.slice(last));
  if (statics.length !== names.length + 1 || statics.some((s) => NOT_PLAIN.test(s))) return undefined;
  return { kind: 'shape', statics, names };
}

/** The shape filled with `values`, or undefined when a value is not a string of its own (i18next decides). */
function fillShape(
  shape: { statics: string[]; names: string[] },
  values: Record<string, string>,
  escape: boolean,
): string | undefined {
  const { statics, names } = shape;
  let out = statics[0]!;
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i]!;
    const value: unknown = Object.hasOwn(values, name) ? values[name] : undefined;
    if (typeof value !== 'string') return undefined;
    out += (escape ? escapeHtml(value) : value) + statics[i + 1]!;
  }
  return out;
}

const cache = new Map<string, Entry>();

/** `make()`, called once and only when first asked for. */
function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * The string `key` has in `resources[ns]` as i18next resolves it (keySeparator `.` into nested
 * objects): the string, `undefined` when the key is not there at all, or `null` when i18next might
 * do something this lookup does not (a value that is not a string, a flat key with a dot in it).
 */
function rawLookup(resources: Resources | undefined, ns: string, key: string): string | undefined | null {
  let node: unknown = resources?.[ns];
  if (node === undefined) return undefined;
  if (key.includes('.') && Object.hasOwn(node as object, key)) return null;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return null;
    if (!Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : null;
}

/**
 * How t() answers a locale string, read from the string itself: kept whole, or a shape of plain
 * `{{name}}` placeholders; undefined for anything else (i18next then compiles it as before). What
 * i18next does with such a string is exactly this substitution (values escaped in HTML mode,
 * never re-scanned); test/unit/templates/i18n-shape.property.test.ts checks every shipped string
 * against i18next itself. Making an i18next instance costs ~1 ms a language, a fifth of a
 * `mailctl send`'s own work; a render of the built-in templates now needs none.
 */
function rawCompiled(raw: string): Compiled | undefined {
  const statics: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of raw.matchAll(/\{\{(.+?)\}\}/g)) {
    const name = PLAIN_PLACEHOLDER.exec(m[0])?.[1];
    if (name === undefined) return undefined;
    statics.push(raw.slice(last, m.index));
    names.push(name);
    last = m.index + m[0].length;
  }
  statics.push(raw.slice(last));
  if (names.length > MAX_SLOTS || statics.some((s) => NOT_PLAIN.test(s))) return undefined;
  return names.length === 0 ? { kind: 'fixed', text: raw } : { kind: 'shape', statics, names };
}

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
      if (collector.slots) {
        collector.slots.push(Array.isArray(match) ? String(match[0]) : String(match));
        return sentinel(collector.slots.length - 1);
      }
      const name = Array.isArray(match) ? String(match[1]).trim() : String(match);
      collector.missing?.add(name);
      return '';
    },
  });
  return instance;
}

export interface TranslatorOptions {
  /**
   * false: every t() goes through i18next (the reference the cache is tested against).
   * @defaultValue true
   */
  compile?: boolean;
}

export function createTranslator(
  lang: string,
  resources: Resources,
  fallback: { lang: string; resources: Resources } | undefined,
  options: TranslatorOptions = {},
): Translator {
  const namespaces = Object.keys(resources).sort();
  const key = `${lang}\u0000${fallback?.lang ?? ''}\u0000${namespaces.join('\u0000')}`;
  const deps = [...namespaces.map((ns) => resources[ns]), ...namespaces.map((ns) => fallback?.resources[ns])];
  let entry = cache.get(key);
  if (!entry || entry.deps.length !== deps.length || entry.deps.some((d, i) => d !== deps[i])) {
    const store: Record<string, Resources> = { [lang]: resources };
    if (fallback && fallback.lang !== lang) store[fallback.lang] = fallback.resources;
    const fallbackLang = fallback && fallback.lang !== lang ? fallback.lang : false;
    const collector: Entry['collector'] = { missing: undefined, slots: undefined };
    entry = {
      deps,
      strings: new Map(),
      size: 0,
      collector,
      html: lazy(() => makeInstance(lang, store, namespaces, fallbackLang, true, collector)),
      text: lazy(() => makeInstance(lang, store, namespaces, fallbackLang, false, collector)),
    };
    cache.set(key, entry);
  }
  const { html, text: textInstance, collector } = entry;
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
  /**
   * i18next's t() is most of a render's cost; the same string always resolves the same way in an
   * entry, and only values vary. So each string is translated once with a sentinel for every
   * placeholder (given no values, i18next asks the missing-variable handler for each), and split
   * at the sentinels. Strings without placeholders are kept whole.
   */
  const factsOf = (ns: string, k: string): StringFacts => {
    let byKey = entry.strings.get(ns);
    let facts = byKey?.get(k);
    if (facts) return facts;
    facts = { exists: undefined, html: undefined, text: undefined };
    if (entry.size < MAX_COMPILED) {
      if (!byKey) entry.strings.set(ns, (byKey = new Map()));
      byKey.set(k, facts);
      entry.size += 1;
    }
    return facts;
  };
  /** The string i18next would pick, in the language or else its fallback; null: ask i18next. */
  const raw = (ns: string, k: string): string | undefined | null => {
    if (k.includes(':')) return null;
    const own = rawLookup(resources, ns, k);
    return own !== undefined || !fallback || fallback.lang === lang ? own : rawLookup(fallback.resources, ns, k);
  };
  const compile = (ns: string, k: string, mode: 'html' | 'text'): Compiled => {
    const facts = factsOf(ns, k);
    let c = facts[mode];
    if (c !== undefined) return c;
    const text = raw(ns, k);
    c = typeof text === 'string' ? rawCompiled(text) : undefined;
    if (c !== undefined) return (facts[mode] = c);
    const slots: string[] = [];
    collector.slots = slots;
    let out: string;
    try {
      out = translate(
        mode === 'html' ? html() : textInstance(),
        ns,
        k,
        Object.create(null) as Record<string, string>,
        new Set(),
      );
    } finally {
      collector.slots = undefined;
    }
    c =
      slots.length === 0 ? { kind: 'fixed', text: out } : (shapeOf(out, slots, mode === 'html') ?? { kind: 'i18next' });
    facts[mode] = c;
    return c;
  };
  const missing = new Set<string>();
  return {
    missing,
    has(ns, k) {
      const facts = factsOf(ns, k);
      facts.exists ??= typeof raw(ns, k) === 'string' || html().exists(k, { ns });
      return facts.exists;
    },
    t(ns, k, values, mode) {
      const c: Compiled = options.compile === false ? { kind: 'i18next' } : compile(ns, k, mode);
      if (c.kind === 'fixed') return c.text;
      if (c.kind === 'shape') {
        const out = fillShape(c, values, mode === 'html');
        if (out !== undefined) return out;
      }
      // Refused strings, and any call with a value missing: i18next records what is missing.
      return translate(mode === 'html' ? html() : textInstance(), ns, k, values, missing);
    },
    compiled: (ns, k, mode) => compile(ns, k, mode).kind,
  };
}
