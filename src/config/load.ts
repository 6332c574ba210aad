/** The only cosmiconfig importer: finds the config file (or reads `--config PATH`). */
import { resolve } from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { ConfigError } from '../errors.js';
import type { ConfigFile } from './resolve.js';

export async function loadConfigFile(cwd: string, explicitPath?: string): Promise<ConfigFile | undefined> {
  // searchStrategy 'none': look in the working directory only, never in parents or $HOME.
  const explorer = cosmiconfig('mailctl', { searchStrategy: 'none' });
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
