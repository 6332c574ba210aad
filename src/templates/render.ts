/**
 * Rendering is interpolation: the MJML was compiled at build time (src/templates/build.ts) into
 * HTML and plain text with `%%kind:name%%` markers; this module fills them with i18next strings
 * and the caller's variables. Synchronous and cheap; it never imports mjml.
 *
 * Markers: `%%t:key%%` / `%%t:ns:key%%` translated string, `%%v:name%%` variable, `%%u:name%%`
 * link target (http(s) only), `%%list:name%%` list, `%%b:title|logo_url|support_email%%` brand,
 * `%%s:subject|lang%%` message fields, `%%custom:body%%` the `custom` type's body.
 */
import type { Config } from '../config/index.js';
import { ConfigError, DataError } from '../errors.js';
import type { Category } from '../message/types.js';
import { PRODUCT_UPGRADE_URL, carriesCode, requireMailType, type MailTypeDef } from './catalog.js';
import { escapeHtml } from './escape.js';
import { createTranslator, type Translator } from './i18n.js';
import { DEFAULT_LANGUAGE, resolveLanguage, type ResolvedLanguage } from './lang.js';
import { joinPieces } from '../message/html-pieces.js';
import { fillTemplatePieces } from './pieces.js';
import { defaultStore, type TemplateStore, type VariantKey } from './store.js';
import { validityText } from './validity.js';

export interface Branding {
  whiteLabel: boolean;
  applicationTitle?: string | undefined;
  logoUrl?: string | undefined;
  supportEmail?: string | undefined;
}

export interface RenderRequest {
  type: string;
  lang?: string | undefined;
  vars: Record<string, unknown>;
  branding: Branding;
  /** preview: fill missing variables (and a missing white-label title) from samples */
  useSamples?: boolean;
  /** How long the code in this mail stays valid (MAILCTL_CODE_TTL, a job's expiry); default the type's own. */
  codeTtlMs?: number | undefined;
}

export interface RenderedEmail {
  type: string;
  lang: string;
  subject: string;
  html: string;
  /** `html` as the template's pieces with the values filled in (see OutgoingMessage.htmlPieces). */
  htmlPieces: readonly string[];
  text: string;
  category: Category;
  priority: number;
  ttlMs: number | undefined;
  /** Whether List-Unsubscribe may be added: notifications that are not security notices. */
  unsubscribable: boolean;
  /** The type's variables as rendered (after samples filled in), e.g. for `preview --format json`. */
  vars: Record<string, string>;
  /** Variables that were missing and took the type's sample value (useSamples only). */
  filled: string[];
  warnings: string[];
}

/** The default product, named only when the mail is not white-label. */
export const DEFAULT_PRODUCT = {
  title: 'Dify',
  logoUrl: 'https://assets.dify.ai/images/logo.png',
} as const;

/** Used by preview (useSamples) when white-label is on but APPLICATION_TITLE is not set. */
export const SAMPLE_BRAND_TITLE = 'Acme Cloud';

/** BRANDING_ENABLED → whiteLabel, APPLICATION_TITLE, BRANDING_LOGO_URL, BRANDING_SUPPORT_EMAIL */
export function brandingFromConfig(config: Config): Branding {
  const v = config.values;
  return {
    whiteLabel: v['branding.enabled'] === true,
    applicationTitle: v['branding.applicationTitle'],
    logoUrl: v['branding.logoUrl'],
    supportEmail: v['branding.supportEmail'],
  };
}

/**
 * Synchronous and cheap: precompiled HTML + interpolation; never imports mjml. Throws UsageError (64)
 * for an unknown type or a --lang that is not a language tag; DataError (65) naming the variable for a
 * missing required variable or a link variable that is not an http(s) URL. Language fallback → en-US
 * with a message in `warnings`. useSamples (preview) fills missing vars from samples.
 */
export function renderEmail(req: RenderRequest): RenderedEmail {
  return renderWith(defaultStore(), req);
}

export { escapeHtml, validityText };

/** The raw string `key` of a type's locale file, in the first of `langs` that has it. */
function rawString(store: TemplateStore, langs: string[], ns: string, key: string): string | undefined {
  for (const lang of langs) {
    const value = store.resources(lang, [ns])[ns]?.[key];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Optional variables the caller left out take their `fallback`: the first of its locale strings
 * whose placeholders are all known (in declared order, so one may build on another), translated.
 */
function resolveFallbacks(
  def: MailTypeDef,
  values: Record<string, string>,
  raw: (key: string) => string | undefined,
  translateKey: (key: string) => string,
): void {
  for (const v of def.variables) {
    if (values[v.name] !== undefined || !v.fallback) continue;
    for (const key of v.fallback) {
      const text = raw(key);
      if (text === undefined) continue;
      const needs = [...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!);
      if (needs.every((n) => values[n] !== undefined)) {
        values[v.name] = translateKey(key);
        break;
      }
    }
  }
}

/** The same as {@link renderEmail}, from any store (the live one of `preview --serve`, a test tree). */
export function renderWith(store: TemplateStore, req: RenderRequest): RenderedEmail {
  const def = store.mailType(req.type) ?? requireMailType(req.type, 'mail type', store.mailTypes());
  const warnings: string[] = [];
  const available = store.languages();
  const { lang, warning } = languageFor(req.lang, available);
  if (warning) warnings.push(warning);

  const vars = prepareVars(def, req.vars, req.useSamples === true, warnings);
  const brand = brandValues(req.branding, req.useSamples === true, warnings);
  // Null-prototype maps: a name such as `constructor` or `__proto__` is missing, not Object's own.
  const values: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, vars.strings, {
    application_title: brand.title,
    support_email: brand.supportEmail ?? '',
  });
  // The mail states the validity that is really enforced, not a fixed "5 minutes" (reference W15).
  const ttlMs = carriesCode(def) ? (req.codeTtlMs ?? def.ttlMs) : undefined;
  if (ttlMs !== undefined) values.code_validity = validityIn(lang, ttlMs);

  const namespaces = ['common', def.id];
  const fallbackLang = available.includes(DEFAULT_LANGUAGE) ? DEFAULT_LANGUAGE : lang;
  const translator = createTranslator(lang, store.resources(lang, namespaces), {
    lang: fallbackLang,
    resources: store.resources(fallbackLang, namespaces),
  });
  // The reference's fixed upgrade link is the default product's: never in white-label mail.
  if (!req.branding.whiteLabel) values.product_upgrade_url = PRODUCT_UPGRADE_URL;
  resolveFallbacks(
    def,
    values,
    (key) => rawString(store, [lang, fallbackLang], def.id, key),
    (key) => translate(translator, def.id, key, values, 'text'),
  );

  const missing = new Set<string>();
  let subject: string;
  let customBody: { html: string; text: string } | undefined;
  if (def.id === 'custom') {
    const subs: Record<string, string> = Object.assign(
      Object.create(null) as Record<string, string>,
      vars.substitutions,
      { application_title: brand.title },
    );
    subject = substitute(vars.strings.subject ?? '', subs, missing, 'text');
    customBody = {
      html: paragraphs(substitute(escapeHtml(vars.strings.body ?? ''), subs, missing, 'html')),
      text: substitute(vars.strings.body ?? '', subs, missing, 'text'),
    };
  } else {
    subject = translate(translator, def.id, 'subject', values, 'text');
  }

  const variant = store.template(def.id).variants[variantOf(brand)];
  const fill = (source: string, mode: 'html' | 'text'): string[] =>
    // `%%if:name%%…%%endif%%` (from an mj-raw): the block is kept only when the variable has a value.
    fillTemplatePieces(variant, source, values, (kind, name) => {
      switch (kind) {
        case 't': {
          const [ns, key] = nsAndKey(name);
          return translate(translator, ns ?? def.id, key, values, mode);
        }
        case 'v':
        case 'u': {
          const value = Object.hasOwn(values, name) ? values[name] : undefined;
          if (value === undefined) {
            missing.add(name);
            return '';
          }
          return mode === 'html' ? escapeHtml(value) : value;
        }
        case 'list': {
          const items = Object.hasOwn(vars.lists, name) ? vars.lists[name] : undefined;
          if (items === undefined) {
            missing.add(name);
            return '';
          }
          return mode === 'html'
            ? `<ul style="margin:0;padding:0 0 0 20px;">${items.map((i) => `<li style="margin:0 0 4px 0;">${escapeHtml(i)}</li>`).join('')}</ul>`
            : items.map((i) => `  - ${i}`).join('\n');
        }
        case 'b': {
          const value =
            name === 'title'
              ? brand.title
              : name === 'logo_url'
                ? (brand.logoUrl ?? '')
                : name === 'support_email'
                  ? (brand.supportEmail ?? '')
                  : undefined;
          if (value === undefined) throw new Error(`template ${def.id}: unknown brand marker ${name}`);
          return mode === 'html' ? escapeHtml(value) : value;
        }
        case 's':
          if (name === 'subject') return mode === 'html' ? escapeHtml(subject) : subject;
          if (name === 'lang') return lang;
          throw new Error(`template ${def.id}: unknown marker s:${name}`);
        case 'custom':
          if (!customBody) throw new Error(`template ${def.id}: %%custom:body%% outside the custom type`);
          return mode === 'html' ? customBody.html : customBody.text;
        default:
          throw new Error(`template ${def.id}: unknown marker kind ${kind}`);
      }
    });

  const htmlPieces = fill(variant.html, 'html');
  const html = joinPieces(htmlPieces);
  const text = tidyText(fill(variant.text, 'text').join(''));
  for (const name of translator.missing) missing.add(name);
  if (missing.size > 0) throw missingError(def, [...missing]);

  return {
    type: def.id,
    lang,
    subject,
    html,
    htmlPieces,
    text,
    category: def.category,
    priority: def.priority,
    ttlMs: def.ttlMs,
    unsubscribable: def.category === 'notification' && def.security !== true,
    vars: { ...vars.strings },
    filled: vars.filled,
    warnings,
  };
}

/**
 * Per-job answers a drain asks for again and again, remembered. Each is a pure function of its
 * inputs (the languages list is the store's own array, replaced when it reloads), and each memo
 * is bounded; test/unit/templates/render-memo.test.ts holds them to the functions they stand for.
 */
const MEMO_LIMIT = 256;
const languageMemo = new WeakMap<readonly string[], Map<string | undefined, ResolvedLanguage>>();

/** {@link resolveLanguage}, remembered per languages list; a tag that is refused is never remembered. */
function languageFor(requested: string | undefined, available: readonly string[]): ResolvedLanguage {
  let memo = languageMemo.get(available);
  if (!memo) languageMemo.set(available, (memo = new Map()));
  let resolved = memo.get(requested);
  if (!resolved) {
    resolved = resolveLanguage(requested, available);
    if (memo.size < MEMO_LIMIT) memo.set(requested, resolved);
  }
  return resolved;
}

const validityMemo = new Map<string, Map<number, string>>();

/** {@link validityText}, remembered per language and duration. */
function validityIn(lang: string, ms: number): string {
  let byMs = validityMemo.get(lang);
  if (!byMs) {
    byMs = new Map();
    if (validityMemo.size < MEMO_LIMIT) validityMemo.set(lang, byMs);
  }
  let text = byMs.get(ms);
  if (text === undefined) {
    text = validityText(lang, ms);
    if (byMs.size < MEMO_LIMIT) byMs.set(ms, text);
  }
  return text;
}

/** `%%t:ns:key%%` names split once: the same strings every render, so the translator's maps hash them once. */
const markerKeys = new Map<string, [string | undefined, string]>();

function nsAndKey(name: string): [string | undefined, string] {
  let parts = markerKeys.get(name);
  if (parts) return parts;
  const colon = name.indexOf(':');
  parts = colon > 0 ? [name.slice(0, colon), name.slice(colon + 1)] : [undefined, name];
  // Marker names come from compiled templates, a few hundred in all; the bound is only a guard.
  if (markerKeys.size < 4096) markerKeys.set(name, parts);
  return parts;
}

function translate(
  tr: Translator,
  ns: string,
  key: string,
  values: Record<string, string>,
  mode: 'html' | 'text',
): string {
  if (!tr.has(ns, key)) throw new Error(`locale string ${ns}:${key} is missing; run \`mailctl templates check\``);
  return tr.t(ns, key, values, mode);
}

function missingError(def: MailTypeDef, names: string[]): DataError {
  const list = names.map((n) => JSON.stringify(n)).join(', ');
  return new DataError(
    `missing template variable${names.length > 1 ? 's' : ''} ${list} for ${def.id}`,
    {
      hint: `pass ${names.map((n) => `--var ${n}=…`).join(' ')} (see \`mailctl templates list\`)`,
    },
    'data.variable',
  );
}

interface PreparedVars {
  /** Every known variable as a string, for interpolation. */
  strings: Record<string, string>;
  lists: Record<string, string[]>;
  /** custom: the caller's substitutions (every variable but subject and body). */
  substitutions: Record<string, string>;
  /** Names taken from the type's samples because the caller left them out. */
  filled: string[];
}

const isMissing = (v: unknown): boolean => v === undefined || v === null || v === '';
const show = (v: unknown): string => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
};

function prepareVars(
  def: MailTypeDef,
  input: Record<string, unknown>,
  useSamples: boolean,
  warnings: string[],
): PreparedVars {
  const merged: Record<string, unknown> = Object.assign(
    Object.create(null) as Record<string, unknown>,
    useSamples ? def.sample : {},
  );
  for (const [k, v] of Object.entries(input)) if (!(useSamples && isMissing(v))) merged[k] = v;
  const nullMap = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
  const filled = useSamples
    ? def.variables.filter((v) => isMissing(input[v.name]) && !isMissing(def.sample[v.name])).map((v) => v.name)
    : [];
  const out: PreparedVars = { strings: nullMap(), lists: nullMap(), substitutions: nullMap(), filled };
  const missing: string[] = [];
  const known = new Set(def.variables.map((v) => v.name));
  for (const v of def.variables) {
    const value = merged[v.name];
    if (isMissing(value)) {
      if (v.required) missing.push(v.name);
      else if (v.default !== undefined) out.strings[v.name] = v.default;
      continue;
    }
    switch (v.kind) {
      case 'url': {
        const s = typeof value === 'string' ? value.trim() : undefined;
        // WHATWG URL drops a line break silently; in the text part it would start a line of the
        // caller's choosing ("…/a\n\nURGENT: visit https://evil.example"). Refused, not mended.
        if (s !== undefined && /[\x00-\x1f\x7f]/.test(s)) {
          throw new DataError(
            `variable "${v.name}" of ${def.id} must be one http(s) URL, but it holds a line break or another control character`,
            { hint: 'pass the URL alone; percent-encode any such character in it (%0A)' },
            'data.variable',
          );
        }
        let href: string | undefined;
        if (s !== undefined) {
          try {
            const u = new URL(s);
            if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href;
          } catch {
            href = undefined;
          }
        }
        if (href === undefined)
          throw new DataError(
            `variable "${v.name}" of ${def.id} must be an http(s) URL, got ${show(value)}`,
            { hint: `it becomes a link target: ${v.description}` },
            'data.variable',
          );
        // The parsed URL, not the text: spaces and the like come out percent-encoded, one token.
        out.strings[v.name] = href;
        break;
      }
      case 'number': {
        const s =
          typeof value === 'number' && Number.isFinite(value)
            ? String(value)
            : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())
              ? value.trim()
              : undefined;
        if (s === undefined)
          throw new DataError(
            `variable "${v.name}" of ${def.id} must be a number, got ${show(value)}`,
            undefined,
            'data.variable',
          );
        out.strings[v.name] = s;
        break;
      }
      case 'list': {
        const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\r?\n/) : undefined;
        if (!items || !items.every((i) => typeof i === 'string' || typeof i === 'number')) {
          throw new DataError(
            `variable "${v.name}" of ${def.id} must be a list of strings (a JSON array, or one item per line), got ${show(value)}`,
            undefined,
            'data.variable',
          );
        }
        const clean = items.map((i) => String(i).trim()).filter((i) => i !== '');
        if (clean.length === 0 && v.required) {
          missing.push(v.name);
          continue;
        }
        out.lists[v.name] = clean;
        out.strings[v.name] = clean.join(', ');
        break;
      }
      case 'text': {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          throw new DataError(
            `variable "${v.name}" of ${def.id} must be text, got ${show(value)}`,
            undefined,
            'data.variable',
          );
        }
        out.strings[v.name] = String(value);
        break;
      }
    }
  }
  if (missing.length > 0) throw missingError(def, missing);
  for (const [k, value] of Object.entries(merged)) {
    if (known.has(k) || k === 'to' || k === 'application_title') continue;
    if (def.id === 'custom') {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new DataError(
          `substitution name ${JSON.stringify(k)} of custom must be letters, digits and _`,
          undefined,
          'data.variable',
        );
      if (value === null || value === undefined) continue;
      out.substitutions[k] = Array.isArray(value)
        ? value.map(String).join(', ')
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    } else {
      warnings.push(`variable "${k}" is not used by ${def.id} (ignored)`);
    }
  }
  return out;
}

/** custom: replaces `{{ name }}` once, left to right; values are never re-scanned. */
function substitute(
  template: string,
  values: Record<string, string>,
  missing: Set<string>,
  mode: 'html' | 'text',
): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return mode === 'html' ? escapeHtml(value) : value;
  });
}

/** Plain text → HTML paragraphs: blank lines split paragraphs, single newlines become <br>. */
function paragraphs(escaped: string): string {
  return escaped
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p style="margin:0 0 12px 0;">${p.replace(/\r?\n/g, '<br>')}</p>`)
    .join('');
}

function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

interface BrandValues {
  title: string;
  logoUrl: string | undefined;
  supportEmail: string | undefined;
}

function brandValues(b: Branding, useSamples: boolean, warnings: string[]): BrandValues {
  const supportEmail = b.supportEmail?.trim() || undefined;
  if (!b.whiteLabel) return { title: DEFAULT_PRODUCT.title, logoUrl: DEFAULT_PRODUCT.logoUrl, supportEmail };
  let title = b.applicationTitle?.trim();
  if (!title) {
    if (!useSamples) {
      throw new ConfigError(
        'white-label mail (BRANDING_ENABLED) needs APPLICATION_TITLE: the product name shown in subjects and bodies',
        {
          hint: 'set APPLICATION_TITLE (branding.applicationTitle), or turn BRANDING_ENABLED off',
        },
        'config.branding',
      );
    }
    title = SAMPLE_BRAND_TITLE;
    warnings.push(`APPLICATION_TITLE is not set; previewing white-label mail as "${SAMPLE_BRAND_TITLE}"`);
  }
  const logoUrl = b.logoUrl?.trim() || undefined;
  if (logoUrl !== undefined && !/^https?:\/\//i.test(logoUrl)) {
    throw new ConfigError(
      `BRANDING_LOGO_URL must be an http(s) URL, got ${show(logoUrl)}`,
      undefined,
      'config.branding',
    );
  }
  return { title, logoUrl, supportEmail };
}

function variantOf(brand: BrandValues): VariantKey {
  return `${brand.logoUrl ? 'logo' : 'plain'}${brand.supportEmail ? '-support' : ''}` as VariantKey;
}
