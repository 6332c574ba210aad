/**
 * Where the renderer gets its compiled templates and locale strings. The default store reads
 * `dist/compiled/<type>.json` (written by `npm run build`) and `locales/<lang>/<ns>.json`, both
 * resolved from the package root (never the cwd), and caches what it read. Type names and
 * languages are always looked up (catalog, locales folders) before they touch a path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAIL_TYPE_DEFS, getMailType, type MailTypeDef } from './catalog.js';
import type { Resources } from './i18n.js';

/** Layout variants compiled per type: with a logo image or a text header, with a support line or not. */
export const VARIANT_KEYS = ['logo', 'logo-support', 'plain', 'plain-support'] as const;
export type VariantKey = (typeof VARIANT_KEYS)[number];

export interface CompiledVariant {
  /** Precompiled HTML with `%%kind:name%%` markers. */
  html: string;
  /** Plain-text alternative with the same markers, links written out. */
  text: string;
}

export interface CompiledTemplate {
  type: string;
  variants: Record<VariantKey, CompiledVariant>;
}

export interface TemplateStore {
  /** The mail types: the built-in catalog, plus those an operator's template directory declares. */
  mailTypes(): readonly MailTypeDef[];
  mailType(id: string): MailTypeDef | undefined;
  /** Languages available, from the locales folders. */
  languages(): readonly string[];
  /** The compiled template of a catalog type. Throws if it was not built. */
  template(type: string): CompiledTemplate;
  /** Locale resources of one language for the given namespaces (missing files → empty). */
  resources(lang: string, namespaces: readonly string[]): Resources;
}

/**
 * The package root: two levels above dist/templates/ (or src/templates/), and above
 * dist/cli/, where the bundled CLI keeps this module's code (scripts/bundle.js).
 */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

export interface Dirs {
  /** `templates/` (MJML sources) */
  templatesDir: string;
  /** `locales/` */
  localesDir: string;
  /** `dist/compiled/` */
  compiledDir: string;
}

export function defaultDirs(root = packageRoot()): Dirs {
  return {
    templatesDir: join(root, 'templates'),
    localesDir: join(root, 'locales'),
    compiledDir: join(root, 'dist', 'compiled'),
  };
}

const FOLDER_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/** Language folders under `localesDir`, sorted. */
export function discoverLanguages(localesDir: string): string[] {
  if (!existsSync(localesDir)) return [];
  return readdirSync(localesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && FOLDER_TAG.test(d.name))
    .map((d) => d.name)
    .sort();
}

/** Reads one locale namespace file; undefined when the file does not exist. Throws on bad JSON. */
export function readLocaleFile(localesDir: string, lang: string, ns: string): Record<string, unknown> | undefined {
  const path = join(localesDir, lang, `${ns}.json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const data: unknown = JSON.parse(text);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new Error(`${path} must hold one JSON object`);
  return data as Record<string, unknown>;
}

/** A store over a locales dir, with templates from `templateOf` (precompiled files or a live compiler). */
export class LocaleCache {
  private langs: string[] | undefined;
  private readonly files = new Map<string, Record<string, unknown>>();

  constructor(readonly localesDir: string) {}

  languages(): readonly string[] {
    this.langs ??= discoverLanguages(this.localesDir);
    return this.langs;
  }

  resources(lang: string, namespaces: readonly string[]): Resources {
    const out: Resources = {};
    for (const ns of namespaces) {
      const key = `${lang}\u0000${ns}`;
      let data = this.files.get(key);
      if (!data) {
        data = readLocaleFile(this.localesDir, lang, ns) ?? {};
        this.files.set(key, data);
      }
      out[ns] = data;
    }
    return out;
  }

  clear(): void {
    this.langs = undefined;
    this.files.clear();
  }
}

/** Reads the build's output: `compiledDir/<type>.json`. */
export function compiledStore(dirs: Pick<Dirs, 'compiledDir' | 'localesDir'> = defaultDirs()): TemplateStore {
  const locales = new LocaleCache(dirs.localesDir);
  const templates = new Map<string, CompiledTemplate>();
  return {
    mailTypes: () => MAIL_TYPE_DEFS,
    mailType: getMailType,
    languages: () => locales.languages(),
    resources: (lang, ns) => locales.resources(lang, ns),
    template(type) {
      let t = templates.get(type);
      if (!t) {
        const path = join(dirs.compiledDir, `${type}.json`);
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (err) {
          throw new Error(`compiled template ${path} is missing (${(err as Error).message}); run \`npm run build\``, {
            cause: err,
          });
        }
        t = JSON.parse(text) as CompiledTemplate;
        templates.set(type, t);
      }
      return t;
    },
  };
}

let shared: TemplateStore | undefined;

/** The package's own compiled store, created on first use (nothing is read at import time). */
export function defaultStore(): TemplateStore {
  shared ??= compiledStore();
  return shared;
}
