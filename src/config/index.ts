/** Configuration: load, resolve and validate in one call for the commands. */
import { ConfigError } from '../errors.js';
import { loadConfigFile } from './load.js';
import { resolveConfig, type Config, type FlagValue, type Problem } from './resolve.js';
import { validateConfig } from './validate.js';
import type { KeyPath } from './keys.js';

export type { Config, Problem, Source, FlagValue } from './resolve.js';
export { describeSource, standardSmtpPort } from './resolve.js';
export { KEYS, type KeyPath, type MailType } from './keys.js';
export { secretsOf, redact, MASK } from './redact.js';
export { parseRate } from './validate.js';

export interface LoadOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** `--config PATH` */
  configPath?: string | undefined;
  /** `--env-file PATH`: which names of `env` came from that file (named as their source). */
  envFile?: { path: string; names: ReadonlySet<string> } | undefined;
  /** Told about a code file that the search skipped (one line). */
  warn?: ((message: string) => void) | undefined;
  flags?: Partial<Record<KeyPath, FlagValue>> | undefined;
}

export interface LoadedConfig {
  config: Config;
  /** Every problem: parse errors, unknown keys, rule violations and warnings. */
  problems: Problem[];
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const file = await loadConfigFile(options.cwd, { explicitPath: options.configPath, warn: options.warn });
  const { config, problems } = resolveConfig({
    env: options.env,
    envFile: options.envFile,
    file,
    flags: options.flags,
  });
  const bad = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.key));
  return { config, problems: [...problems, ...validateConfig(config, bad)] };
}

/** For commands that cannot start with a broken configuration (send, drain): 78 with the first error. */
export function assertUsable(loaded: LoadedConfig): Config {
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  const first = errors[0];
  if (first) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    throw new ConfigError(`configuration error: ${first.message} [${first.source}]${more}`, {
      hint: first.hint ?? 'run `mailctl verify-config` to see every problem',
    });
  }
  return loaded.config;
}
