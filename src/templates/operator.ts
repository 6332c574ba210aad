/**
 * The operator's template directory on the hot path (send, enqueue, drain, preview, the library
 * `enqueue()`): no mjml here. What depends on MJML (the layout, bodies, declared types) is compiled
 * once into a cache keyed by the content of those files and of the built-in MJML:
 *
 *   .mailctl/compiled/<key>/manifest.json   { key, dir, types (declared), compiled (type ids) }
 *   .mailctl/compiled/<key>/<type>.json     compiled like dist/compiled/<type>.json
 *
 * A missing cache is built on first use (mjml is then loaded, once, with a one-line notice and the
 * time it took) or by `mailctl templates build`. Locale files need no compile: they are read from
 * the directory and merged over the built-in ones. {@link OperatorTemplates.current} notices any
 * change of the directory (a cheap stat of its files), so a long drain never renders a stale compile.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, fileSystemError } from '../errors.js';
import type { MailTypeDef } from './catalog.js';
import type { Resources } from './i18n.js';
import { TemplateLayers, compileInputs, scanOperatorDir, typeTable, type OperatorDir } from './layers.js';
import {
  compiledStore,
  defaultDirs,
  defaultStore,
  type CompiledTemplate,
  type Dirs,
  type TemplateStore,
} from './store.js';

/**
 * node:crypto, required on first use: loading it costs ~2–4 ms of CPU, and only a command that
 * compiles an operator's templates directory needs it (not every `preview` or `send`).
 */
const crypto = (): typeof import('node:crypto') =>
  createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/** Bumped when the compiled format or the compiler changes, so old caches are not reused. */
const CACHE_FORMAT = 1;

export interface OperatorTemplatesOptions {
  /** MAILCTL_TEMPLATES_DIR, absolute. */
  dir: string;
  /** Where compiled directories are kept, absolute (`<cwd>/.mailctl/compiled`). */
  cacheRoot: string;
  /** A line for stderr: the compile notice. */
  log: (line: string) => void;
  /** The built-in sources. @defaultValue the package's own */
  builtin?: Dirs | undefined;
}

interface Manifest {
  format: number;
  key: string;
  dir: string;
  types: MailTypeDef[];
  compiled: string[];
}

/** A store over the cache, with the layers that say where each part comes from. */
export interface OperatorStore extends TemplateStore {
  readonly layers: TemplateLayers;
  /** The compiled directory in use. */
  readonly cacheDir: string;
}

export interface OperatorTemplates {
  /** The store as of the last check. */
  readonly store: OperatorStore;
  /** The store for the directory as it is now: re-scanned when a file changed, recompiled if needed. */
  current(): Promise<OperatorStore>;
}

/** The cache key: the compiler's format, the built-in MJML and the operator's MJML and types file. */
export function cacheKey(op: OperatorDir, builtin: Pick<Dirs, 'templatesDir'>): string {
  const hash = crypto().createHash('sha256').update(`mailctl-compiled-${CACHE_FORMAT}\0`);
  const builtinFiles = readdirSync(builtin.templatesDir)
    .filter((f) => f.endsWith('.mjml'))
    .sort();
  for (const f of builtinFiles)
    hash
      .update(`builtin/${f}\0`)
      .update(readFileSync(join(builtin.templatesDir, f)))
      .update('\0');
  for (const file of compileInputs(op)) {
    hash.update(`dir/${relative(op.dir, file)}\0`);
    try {
      hash.update(readFileSync(file));
    } catch (err) {
      throw fileSystemError(err as NodeJS.ErrnoException, 'the template file', file);
    }
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 24);
}

/** mtime and size of every file and folder of the directory: changes when anything is edited, added or removed. */
function statSignature(op: OperatorDir): string {
  const parts: string[] = [];
  const add = (path: string): void => {
    try {
      const s = statSync(path);
      parts.push(`${path}:${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push(`${path}:-`);
    }
  };
  add(op.dir);
  for (const f of compileInputs(op)) add(f);
  const locales = join(op.dir, 'locales');
  add(locales);
  for (const lang of op.languages) {
    add(join(locales, lang));
    try {
      for (const f of readdirSync(join(locales, lang))) add(join(locales, lang, f));
    } catch {
      parts.push(`${lang}:-`);
    }
  }
  return parts.join('\n');
}

function readManifest(cacheDir: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8')) as Manifest;
    return m.format === CACHE_FORMAT ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Compiles what depends on the operator's files (strict MJML) into `cacheDir`, atomically: a
 * temporary directory renamed into place, so a reader sees a whole cache or none. An MJML or
 * types-file problem is a 78 naming the operator's file.
 */
export async function buildOperatorCache(
  op: OperatorDir,
  builtin: Dirs,
  cacheDir: string,
  key: string,
): Promise<{ manifest: Manifest; ms: number }> {
  const started = performance.now();
  // The yaml parser and mjml are loaded here only, when a compile is needed.
  const { readOperatorTypes, typesFileError } = await import('./types-file.js');
  const declared = readOperatorTypes(op);
  if (declared.problems.length > 0) throw typesFileError(declared.problems);
  const layers = new TemplateLayers(builtin, op, typeTable(declared.types, op.typesFile));
  for (const body of op.bodies) {
    if (!layers.types.get(body))
      throw new ConfigError(
        `${join(op.dir, `${body}.mjml`)} is the body of no type: "${body}" is neither built in nor declared in a types file`,
        { hint: 'declare the type in types.yaml, or rename the file after an existing type' },
        'config.templates',
      );
  }
  for (const def of declared.types) {
    if (!op.bodies.includes(def.id))
      throw new ConfigError(
        `type "${def.id}" is declared in ${op.typesFile} but ${join(op.dir, `${def.id}.mjml`)} does not exist`,
        { hint: `write its body (\`mailctl templates init --from reset-password\` shows one)` },
        'config.templates',
      );
  }
  const { compileType } = await import('./compile.js');
  const compiled = layers.types.all.filter((d) => layers.operatorCompiled(d.id)).map((d) => d.id);
  const tmp = `${cacheDir}.${crypto().randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(tmp, { recursive: true });
    for (const type of compiled) {
      const r = await compileType(type, { layout: layers.layoutFile(), body: layers.bodyFile(type) }, { strict: true });
      const [p] = r.problems;
      if (p)
        throw new ConfigError(
          `${p.file}: MJML ${p.message}${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more)` : ''}`,
          { hint: 'fix the template; `mailctl templates check` lists every problem' },
          'config.templates',
        );
      writeFileSync(join(tmp, `${type}.json`), JSON.stringify(r.template));
    }
    const manifest: Manifest = { format: CACHE_FORMAT, key, dir: op.dir, types: declared.types, compiled };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
    try {
      renameSync(tmp, cacheDir);
    } catch (err) {
      // Another process compiled the same content first: theirs is as good as ours.
      if (!readManifest(cacheDir)) throw err;
    }
    return { manifest, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && typeof e.syscall === 'string')
      throw fileSystemError(e, 'the compiled templates', tmp);
    throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function storeOver(
  layers: TemplateLayers,
  manifest: Manifest,
  cacheDir: string,
  builtinStore: TemplateStore,
): OperatorStore {
  const own = new Set(manifest.compiled);
  const templates = new Map<string, CompiledTemplate>();
  return {
    layers,
    cacheDir,
    mailTypes: () => layers.types.all,
    mailType: (id) => layers.types.get(id),
    languages: () => layers.languages(),
    resources: (lang: string, ns: readonly string[]): Resources => layers.resources(lang, ns),
    template(type) {
      if (!own.has(type)) return builtinStore.template(type);
      let t = templates.get(type);
      if (!t) {
        t = JSON.parse(readFileSync(join(cacheDir, `${type}.json`), 'utf8')) as CompiledTemplate;
        templates.set(type, t);
      }
      return t;
    },
  };
}

/** Opens (compiling on first use) the operator's directory. */
export async function openOperatorTemplates(opts: OperatorTemplatesOptions): Promise<OperatorTemplates> {
  const builtin = opts.builtin ?? defaultDirs();
  const builtinStore = opts.builtin ? compiledStore(opts.builtin) : defaultStore();
  let signature = '';
  let store: OperatorStore | undefined;
  const load = async (): Promise<OperatorStore> => {
    const op = scanOperatorDir(opts.dir);
    const sig = statSignature(op);
    if (store && sig === signature) return store;
    const key = cacheKey(op, builtin);
    const cacheDir = join(opts.cacheRoot, key);
    let manifest = readManifest(cacheDir);
    if (!manifest) {
      try {
        mkdirSync(opts.cacheRoot, { recursive: true });
      } catch (err) {
        throw fileSystemError(err as NodeJS.ErrnoException, 'the compiled-templates directory', opts.cacheRoot);
      }
      const built = await buildOperatorCache(op, builtin, cacheDir, key);
      manifest = built.manifest;
      opts.log(
        `mailctl: templates: compiled ${manifest.compiled.length} type(s) of ${opts.dir} into ${cacheDir} in ${built.ms} ms`,
      );
    }
    signature = sig;
    store = storeOver(
      new TemplateLayers(builtin, op, typeTable(manifest.types, op.typesFile)),
      manifest,
      cacheDir,
      builtinStore,
    );
    return store;
  };
  await load();
  return {
    get store() {
      return store!;
    },
    current: load,
  };
}

/** The templates a command renders with: the built-in ones, or the operator's laid over them. */
export interface TemplateSource {
  readonly store: TemplateStore;
  /** The store for the files as they are now (the same built-in store when there is no directory). */
  current(): Promise<TemplateStore>;
  /** The operator's directory, absolute, when one is set. */
  readonly dir: string | undefined;
}

/** Where compiled operator templates are kept, under the working directory (like the spool). */
export const COMPILED_DIR = '.mailctl/compiled';

export async function openTemplates(
  dir: string | undefined,
  cwd: string,
  log: (line: string) => void,
): Promise<TemplateSource> {
  if (dir === undefined) {
    const store = defaultStore();
    return { store, current: () => Promise.resolve(store), dir };
  }
  const t = await openOperatorTemplates({ dir, cacheRoot: join(cwd, COMPILED_DIR), log });
  return {
    get store() {
      return t.store;
    },
    current: () => t.current(),
    dir,
  };
}
