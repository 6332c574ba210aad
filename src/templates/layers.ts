/**
 * The operator's template directory (MAILCTL_TEMPLATES_DIR) laid over the built-in templates and
 * locales. The directory has the built-in layout:
 *
 *   layout.mjml                     replaces the built-in layout (every type is then recompiled)
 *   <type>.mjml                     replaces a built-in body, or is the body of a declared type
 *   types.yaml | types.yml | .json  declares new types (types-file.ts)
 *   locales/<lang>/<type>.json      strings; merged key by key over the built-in file of that name
 *   locales/<lang>/common.json      layout strings, merged the same way
 *
 * A file there replaces the built-in one of the same name; a locale file replaces only the keys it
 * has; a new language folder adds a language. Names found here are matched against fixed shapes
 * and the type table before they become paths.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, fileSystemError } from '../errors.js';
import { MAIL_TYPE_DEFS, type MailTypeDef } from './catalog.js';
import type { Resources } from './i18n.js';
import { LocaleCache, discoverLanguages, type Dirs } from './store.js';

/** What an operator directory holds, by the shapes we know; anything else is listed in `others`. */
export interface OperatorDir {
  /** Absolute path. */
  dir: string;
  layout: boolean;
  /** Type ids with a `<id>.mjml` body. */
  bodies: string[];
  /** The types file, absolute, if there is one. */
  typesFile: string | undefined;
  /** Language folders of `locales/`. */
  languages: string[];
  /** Files the directory's layout does not know (check reports them). */
  others: string[];
}

/** The names a types file may have, in the order they are looked for. */
export const TYPES_FILE_NAMES = ['types.yaml', 'types.yml', 'types.json'] as const;

/** A type id: kebab-case letters and digits (it becomes a file name, after this check). */
export const TYPE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const LANG_FOLDER = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/** Reads the directory listing (not the contents). A missing or unreadable directory is a 78/73/77. */
export function scanOperatorDir(dir: string, setting = 'MAILCTL_TEMPLATES_DIR'): OperatorDir {
  let entries;
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR')
      throw new ConfigError(
        `${setting} ${dir} is not a directory`,
        { hint: 'create it with `mailctl templates init DIR`, or point the setting at an existing one' },
        'config.templates',
      );
    throw fileSystemError(e, 'the template directory', dir);
  }
  const out: OperatorDir = { dir, layout: false, bodies: [], typesFile: undefined, languages: [], others: [] };
  for (const e of entries) {
    if (e.isFile() && e.name === 'layout.mjml') out.layout = true;
    else if (e.isFile() && e.name.endsWith('.mjml') && TYPE_ID.test(e.name.slice(0, -5)))
      out.bodies.push(e.name.slice(0, -5));
    else if (e.isFile() && (TYPES_FILE_NAMES as readonly string[]).includes(e.name)) {
      if (out.typesFile) out.others.push(e.name);
      else out.typesFile = join(dir, e.name);
    } else if (e.isDirectory() && e.name === 'locales') {
      for (const l of readdirSync(join(dir, 'locales'), { withFileTypes: true })) {
        if (l.isDirectory() && LANG_FOLDER.test(l.name)) out.languages.push(l.name);
        else out.others.push(`locales/${l.name}`);
      }
    } else if (!e.name.startsWith('.')) out.others.push(e.name);
  }
  out.bodies.sort();
  out.languages.sort();
  return out;
}

/** Every file of the directory that the compiled templates depend on: MJML and the types file. */
export function compileInputs(op: OperatorDir): string[] {
  return [
    ...(op.layout ? [join(op.dir, 'layout.mjml')] : []),
    ...op.bodies.map((b) => join(op.dir, `${b}.mjml`)),
    ...(op.typesFile ? [op.typesFile] : []),
  ];
}

/** The type table: built-in types, then the operator's, each with where it comes from. */
export interface TypeTable {
  all: readonly MailTypeDef[];
  get(id: string): MailTypeDef | undefined;
  /** `built-in`, or the types file that declares it. */
  origin(id: string): string;
}

export function typeTable(extra: readonly MailTypeDef[] = [], file?: string): TypeTable {
  const all = [...MAIL_TYPE_DEFS, ...extra];
  const byId = new Map(all.map((d) => [d.id, d]));
  const own = new Set(extra.map((d) => d.id));
  return {
    all,
    get: (id) => byId.get(id),
    origin: (id) => (own.has(id) && file ? file : 'built-in'),
  };
}

export const BUILTIN_TYPES: TypeTable = typeTable();

/** Where the sources of each part come from: the operator's file when there is one. */
export class TemplateLayers {
  readonly types: TypeTable;
  private readonly builtinLocales: LocaleCache;
  private readonly operatorLocales: LocaleCache | undefined;
  private readonly merged = new Map<string, Record<string, unknown>>();

  constructor(
    readonly builtin: Pick<Dirs, 'templatesDir' | 'localesDir'>,
    readonly operator: OperatorDir | undefined,
    types: TypeTable = BUILTIN_TYPES,
  ) {
    this.types = types;
    this.builtinLocales = new LocaleCache(builtin.localesDir);
    this.operatorLocales = operator ? new LocaleCache(join(operator.dir, 'locales')) : undefined;
  }

  layoutFile(): string {
    return this.operator?.layout
      ? join(this.operator.dir, 'layout.mjml')
      : join(this.builtin.templatesDir, 'layout.mjml');
  }

  /** The body of a type of the table (its id becomes a file name only after this lookup). */
  bodyFile(type: string): string {
    const def = this.types.get(type);
    if (!def) throw new Error(`not a catalog type: ${type}`);
    if (this.operator?.bodies.includes(def.id)) return join(this.operator.dir, `${def.id}.mjml`);
    return join(this.builtin.templatesDir, `${def.id}.mjml`);
  }

  /** Whether the compiled form of `type` depends on an operator file. */
  operatorCompiled(type: string): boolean {
    return (
      this.operator !== undefined &&
      (this.operator.layout || this.operator.bodies.includes(type) || this.types.origin(type) !== 'built-in')
    );
  }

  /** The shipped language folders. */
  builtinLanguages(): string[] {
    return discoverLanguages(this.builtin.localesDir);
  }

  /**
   * The languages of both layers, listed once per instance (a reload makes a new instance): a
   * render asks on every job, and a directory read per job, plus a new array that defeated the
   * renderer's language memo, was a drain's cost with an operator template directory.
   */
  languages(): readonly string[] {
    this.languageList ??= [
      ...new Set([...discoverLanguages(this.builtin.localesDir), ...(this.operator?.languages ?? [])]),
    ].sort();
    return this.languageList;
  }

  private languageList: readonly string[] | undefined;

  /** The locale files of `lang`/`ns`, built-in first (either may be absent). */
  localeFiles(lang: string, ns: string): { builtin: string; operator: string | undefined } {
    return {
      builtin: join(this.builtin.localesDir, lang, `${ns}.json`),
      operator: this.operator ? join(this.operator.dir, 'locales', lang, `${ns}.json`) : undefined,
    };
  }

  /** The layer data of one namespace; an unreadable operator file is a 78 naming it. */
  layerData(lang: string, ns: string): { builtin: Record<string, unknown>; operator: Record<string, unknown> } {
    const builtin = this.builtinLocales.resources(lang, [ns])[ns] ?? {};
    let operator: Record<string, unknown> = {};
    if (this.operatorLocales && this.operator?.languages.includes(lang)) {
      try {
        operator = this.operatorLocales.resources(lang, [ns])[ns] ?? {};
      } catch (err) {
        const file = this.localeFiles(lang, ns).operator!;
        throw new ConfigError(
          `${file} is not a JSON object of strings: ${(err as Error).message}`,
          { hint: 'fix the file; `mailctl templates check` names every problem', cause: err },
          'config.templates',
        );
      }
    }
    return { builtin, operator };
  }

  /** Merged resources: the operator's keys over the built-in ones, key by key (objects merged). */
  resources(lang: string, namespaces: readonly string[]): Resources {
    const out: Resources = {};
    for (const ns of namespaces) {
      const id = `${lang}\u0000${ns}`;
      let data = this.merged.get(id);
      if (!data) {
        const { builtin, operator } = this.layerData(lang, ns);
        data = Object.keys(operator).length === 0 ? builtin : deepMerge(builtin, operator);
        this.merged.set(id, data);
      }
      out[ns] = data;
    }
    return out;
  }

  /** Where the string `key` (dotted) of `lang`/`ns` comes from: the operator's file or the built-in one. */
  stringOrigin(lang: string, ns: string, key: string): string | undefined {
    const { builtin, operator } = this.layerData(lang, ns);
    const files = this.localeFiles(lang, ns);
    if (lookup(operator, key) !== undefined) return files.operator;
    if (lookup(builtin, key) !== undefined) return files.builtin;
    return undefined;
  }
}

function lookup(data: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = data;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      b !== null &&
      typeof b === 'object' &&
      !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The template directory setting, resolved against `cwd`; undefined when it is not set. */
export function operatorDirOf(setting: string | undefined, cwd: string): string | undefined {
  return setting === undefined || setting.trim() === '' ? undefined : resolve(cwd, setting);
}
