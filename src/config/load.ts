/** The only cosmiconfig importer: finds the config file (or reads `--config PATH`). */
import { resolve } from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
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

export async function loadConfigFile(cwd: string, explicitPath?: string): Promise<ConfigFile | undefined> {
  // searchStrategy 'none': look in the working directory only, never in parents or $HOME.
  const explorer = cosmiconfig('mailctl', { searchStrategy: 'none', searchPlaces: SEARCH_PLACES });
  try {
    const result = explicitPath ? await explorer.load(resolve(cwd, explicitPath)) : await explorer.search(cwd);
    if (!result || result.isEmpty) return result ? { path: result.filepath, data: {} } : undefined;
    return { path: result.filepath, data: result.config as unknown };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new ConfigError(`config file ${explicitPath ?? ''} does not exist`, { hint: 'check the path given to --config', cause: err });
    }
    const first = (e.message ?? String(err)).split('\n')[0];
    throw new ConfigError(`cannot read the config file: ${first}`, { hint: 'fix its syntax, or name another file with --config', cause: err });
  }
}
