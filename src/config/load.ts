/**
 * Finds the config file (or reads `--config PATH`) and turns it into data. The only cosmiconfig
 * importer.
 *
 * Guarantees (each has a test):
 * - A file found by searching the working directory is data only: JSON or YAML. A file that runs
 *   code (`.js`, `.mjs`, `.cjs`, `.ts`) is loaded only when named with `--config`; one found by
 *   search is skipped with a warning that names it and that fix.
 * - Nothing else runs code or reads other files: cosmiconfig's meta-config (`.config/config.*`,
 *   `package.json#cosmiconfig`) and `$import` are not used. cosmiconfig 9 reads its meta-config
 *   from the process's working directory inside its `cosmiconfig()` factory, with its own loaders
 *   (JavaScript included), and no option turns that off; so the search is ours (the same places,
 *   first found wins, this directory only) and cosmiconfig's loaders serve `--config` code files.
 * - YAML aliases are expanded at most MAX_YAML_ALIASES times: a 1 KB "billion laughs" file is a
 *   78 in milliseconds, not gigabytes.
 * - A syntax error names the file, line, column and reason, and never quotes the file (no code
 *   frame: the line may hold a password), with or without --debug.
 * - Start-up: the parsers (yaml, jsonc-parser, cosmiconfig's loaders) are imported only when a
 *   file is there to parse; most runs have none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readText, statOf } from '../read-file.js';
import { basename, extname, join, resolve } from 'node:path';
import type { ParseError } from 'jsonc-parser';
import { ConfigError, fileSystemError, isFileSystemError } from '../errors.js';
import type { ConfigFile } from './resolve.js';

const MODULE = 'mailctl';

/** Data files, searched in this order (cosmiconfig's order, plus the contract's mailctl.config.{json,yaml}). */
const DATA_PLACES = [
  'package.json',
  `.${MODULE}rc`,
  `.${MODULE}rc.json`,
  `.${MODULE}rc.yaml`,
  `.${MODULE}rc.yml`,
  `${MODULE}.config.json`,
  `${MODULE}.config.yaml`,
  `${MODULE}.config.yml`,
];

const CODE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts'];
/** Code files that a search finds only to warn about them. */
const CODE_PLACES = [`.${MODULE}rc`, `${MODULE}.config`].flatMap((base) => CODE_EXTENSIONS.map((e) => base + e));

/** Alias expansions allowed in one YAML file: plenty for hand-written config, far short of a bomb. */
export const MAX_YAML_ALIASES = 100;

export interface LoadFileOptions {
  /** `--config PATH`, relative to `cwd`. */
  explicitPath?: string | undefined;
  /** Told about a code file that the search skipped (one line, no trailing newline). */
  warn?: ((message: string) => void) | undefined;
}

/**
 * Whether the working directory may hold a config file: one of the search places exists (a
 * package.json only when it has a `mailctl` key, or cannot be parsed: loading then says why).
 * A cheap first look, so that most runs (no config file) import no parser at all.
 */
export function mayHaveConfigFile(cwd: string): boolean {
  for (const place of [...DATA_PLACES, ...CODE_PLACES]) {
    const path = join(cwd, place);
    if (!existsSync(path)) continue;
    if (place !== 'package.json') return true;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (pkg !== null && typeof pkg === 'object' && MODULE in pkg) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export async function loadConfigFile(cwd: string, options: LoadFileOptions = {}): Promise<ConfigFile | undefined> {
  if (options.explicitPath !== undefined) return loadNamed(resolve(cwd, options.explicitPath), options.explicitPath);
  if (!mayHaveConfigFile(cwd)) return undefined;
  for (const name of CODE_PLACES) {
    if (await isFile(join(cwd, name)))
      options.warn?.(
        `ignoring ${name}: a config file that runs code is loaded only when named with --config (hint: mailctl --config ${name} …)`,
      );
  }
  for (const name of DATA_PLACES) {
    const path = join(cwd, name);
    const text = await readIfPresent(path);
    if (text === undefined) continue;
    const data = await parseData(path, text);
    if (name === 'package.json') {
      const own = (data as Record<string, unknown> | undefined)?.[MODULE];
      if (own === undefined) continue;
      return { path, data: refuseImport(path, own) };
    }
    return { path, data: refuseImport(path, data ?? {}) };
  }
  return undefined;
}

async function loadNamed(path: string, asGiven: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    // A directory (EISDIR), a file this user cannot read (EACCES): the machine's, 73/77, not 78.
    if (isFileSystemError(err) && err.code !== 'ENOENT') throw fileSystemError(err, 'the config file', path);
    throw loadError(err, asGiven);
  }
  if (CODE_EXTENSIONS.includes(extname(path))) {
    // Named by the operator: this is the one place a config file may run code.
    try {
      const { defaultLoaders } = await import('cosmiconfig');
      const loader = defaultLoaders[extname(path) as '.js'];
      const data: unknown = text.trim() === '' ? undefined : await loader(path, text);
      return { path, data: refuseImport(path, data ?? {}) };
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw loadError(err, asGiven);
    }
  }
  const data = await parseData(path, text);
  return {
    path,
    data: refuseImport(
      path,
      basename(path) === 'package.json'
        ? ((data as Record<string, unknown> | undefined)?.[MODULE] ?? {})
        : (data ?? {}),
    ),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await statOf(path)).isFile();
  } catch {
    return false;
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readText(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A directory that happens to have a search place's name is not a config file.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    // EISDIR, EACCES…: a place that exists but cannot be read is the operator's to fix, not a skip.
    throw fileSystemError(err as NodeJS.ErrnoException, 'the config file', path);
  }
}

/** JSON for `.json` (and package.json), YAML (a superset of JSON) otherwise. Undefined when empty. */
export async function parseData(path: string, text: string): Promise<unknown> {
  if (text.trim() === '') return undefined;
  return extname(path) === '.json' ? parseJson(path, text) : parseYaml(path, text);
}

/** cosmiconfig's `$import` would read (and run) other files: refused, not ignored, so nothing is silently missing. */
function refuseImport(path: string, data: unknown): unknown {
  if (data !== null && typeof data === 'object' && Object.hasOwn(data, '$import')) {
    throw new ConfigError(`${path}: \`$import\` is not supported`, {
      hint: 'put every setting into this one file (or into the environment)',
    });
  }
  return data;
}

async function parseJson(path: string, text: string): Promise<unknown> {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's message quotes the text (the line may hold a password): locate it ourselves.
    const { parseTree, printParseErrorCode } = await import('jsonc-parser');
    const errors: ParseError[] = [];
    parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    throw syntaxError(
      path,
      text,
      first?.offset ?? text.length,
      first ? reasonOf(printParseErrorCode(first.error)) : 'not valid JSON',
    );
  }
}

async function parseYaml(path: string, text: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  // merge: YAML 1.1 `<<: *base` keys, which js-yaml (cosmiconfig's YAML loader) understood.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, merge: true });
  const first = doc.errors[0];
  // The yaml package's messages say what it expected; the few that quote the text are cut (firstSentence).
  if (first) throw syntaxError(path, text, first.pos[0], firstSentence(first.message));
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new ConfigError(
        `${path}: YAML aliases expand to more than ${MAX_YAML_ALIASES} copies (a "billion laughs" file?)`,
        { hint: 'write the values out instead of nesting aliases' },
      );
    }
    throw syntaxError(path, text, 0, 'cannot be read as YAML');
  }
}

const JSON_REASONS: Record<string, string> = {
  InvalidSymbol: 'unexpected character (a string value needs "double quotes")',
  PropertyNameExpected: 'expected a "double-quoted" property name (no trailing comma)',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the property name",
  CommaExpected: "expected ',' between entries",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  UnexpectedEndOfString: 'unterminated string',
  InvalidCommentToken: 'comments are not allowed in JSON',
};

/** jsonc-parser's error code → what the operator should fix (`PropertyNameExpected` → a sentence). */
function reasonOf(code: string): string {
  return JSON_REASONS[code] ?? code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

// The few yaml messages that end by quoting the text: keep the sentence, drop the quote.
const QUOTING = /^(Block scalar header includes extra characters|Unresolved tag|Invalid escape sequence)\b.*$/;

function firstSentence(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '').replace(QUOTING, '$1');
}

function syntaxError(path: string, text: string, offset: number, reason: string): ConfigError {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return new ConfigError(`${path}:${line}:${column}: syntax error: ${reason}`, {
    hint: 'fix the file there, or name another one with --config',
  });
}

/** A config file that cannot be loaded, as one sentence and the fix. Pure. */
export function loadError(err: unknown, explicitPath?: string): ConfigError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') {
    return new ConfigError(`config file ${explicitPath ?? ''} does not exist`, {
      hint: 'check the path given to --config',
      cause: err,
    });
  }
  const first = (e.message ?? String(err)).split('\n')[0] ?? '';
  // cosmiconfig compiles .ts config files with the typescript package, which a global install
  // of mailctl does not bring along.
  if ((e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') && /['"]typescript['"]/.test(first)) {
    return new ConfigError('a .ts config file needs the typescript package, which is not installed', {
      hint: 'install it (npm install typescript), or write the file as mailctl.config.json, .yaml or .js',
      cause: err,
    });
  }
  // A syntax error's stack is a code frame of the file, which may quote a password: not even --debug shows it.
  return new ConfigError(`cannot read the config file: ${first}`, {
    hint: 'fix its syntax, or name another file with --config',
    ...(err instanceof SyntaxError ? {} : { cause: err }),
  });
}
