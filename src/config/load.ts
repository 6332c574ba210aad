/** The only cosmiconfig importer: finds the config file (or reads `--config PATH`). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ConfigFile } from './resolve.js';

// cosmiconfig's defaults plus the contract's mailctl.config.{json,yaml}, which it lacks.
const SEARCH_PLACES = [
  'package.json',
  '.mailctlrc',
  '.mailctlrc.json',
  '.mailctlrc.yaml',
  '.mailctlrc.yml',
  '.mailctlrc.js',
  '.mailctlrc.mjs',
  '.mailctlrc.cjs',
  '.mailctlrc.ts',
  'mailctl.config.json',
  'mailctl.config.yaml',
  'mailctl.config.yml',
  'mailctl.config.js',
  'mailctl.config.mjs',
  'mailctl.config.cjs',
  'mailctl.config.ts',
];

/**
 * Whether the working directory may hold a config file: one of the search places exists (a
 * package.json only when it has a `mailctl` key, or cannot be parsed: cosmiconfig then says
 * why). Importing cosmiconfig costs about 15 ms of start-up; most runs have no config file.
 */
export function mayHaveConfigFile(cwd: string): boolean {
  for (const place of SEARCH_PLACES) {
    const path = join(cwd, place);
    if (!existsSync(path)) continue;
    if (place !== 'package.json') return true;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (pkg !== null && typeof pkg === 'object' && 'mailctl' in pkg) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export async function loadConfigFile(cwd: string, explicitPath?: string): Promise<ConfigFile | undefined> {
  if (!explicitPath && !mayHaveConfigFile(cwd)) return undefined;
  const { cosmiconfig } = await import('cosmiconfig');
  // searchStrategy 'none': look in the working directory only, never in parents or $HOME.
  const explorer = cosmiconfig('mailctl', { searchStrategy: 'none', searchPlaces: SEARCH_PLACES });
  try {
    const result = explicitPath ? await explorer.load(resolve(cwd, explicitPath)) : await explorer.search(cwd);
    if (!result || result.isEmpty) return result ? { path: result.filepath, data: {} } : undefined;
    return { path: result.filepath, data: result.config as unknown };
  } catch (err) {
    throw loadError(err, explicitPath);
  }
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
  return new ConfigError(`cannot read the config file: ${first}`, {
    hint: 'fix its syntax, or name another file with --config',
    cause: err,
  });
}
