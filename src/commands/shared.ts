/** What every command handler gets, and the helpers they share. */
import {
  assertUsable,
  type Config,
  loadConfig,
  redact,
  secretsOf,
  type FlagValue,
  type KeyPath,
  type LoadedConfig,
  type Problem,
} from '../config/index.js';
import type { AppContext } from '../context.js';
import { DataError, UsageError } from '../errors.js';
import { readText } from '../read-file.js';
import { resolve } from 'node:path';
import type { TemplateSource } from '../templates/operator.js';

/** `--env-file PATH`: the names whose values came from the file (the real environment lacked them). */
export interface EnvFileSource {
  path: string;
  names: ReadonlySet<string>;
}

export interface CommandContext extends AppContext {
  debug: boolean;
  /** `--config PATH`, if given. */
  configPath: string | undefined;
  /** `--env-file PATH`, if given; `env` already holds its values beneath the real environment. */
  envFile?: EnvFileSource | undefined;
}

/** Builds config flags from the options the operator actually typed. */
export function flagsOf(entries: [KeyPath, unknown, string][]): Partial<Record<KeyPath, FlagValue>> {
  const flags: Partial<Record<KeyPath, FlagValue>> = {};
  for (const [path, value, flag] of entries) if (value !== undefined) flags[path] = { value, flag };
  return flags;
}

/** Loads the configuration and teaches the run's redactor its secrets before anything is printed. */
export async function loadCommandConfig(
  ctx: CommandContext,
  flags?: Partial<Record<KeyPath, FlagValue>>,
): Promise<LoadedConfig> {
  const loaded = await loadConfig({
    cwd: ctx.cwd,
    env: ctx.env,
    envFile: ctx.envFile,
    configPath: ctx.configPath,
    flags,
    warn: (message) => ctx.io.err(`mailctl: warning: ${message}\n`),
  });
  ctx.redactor?.addConfig(loaded.config);
  return loaded;
}

/**
 * Prints the configuration's warnings on stderr (e.g. SMTP_TLS_VERIFY=false) for commands that
 * connect to a provider: the contract wants a warning whenever certificates go unverified.
 */
export function printWarnings(
  loaded: LoadedConfig,
  ctx: CommandContext,
  problems: readonly Problem[] = loaded.problems,
): void {
  const secrets = secretsOf(loaded.config);
  for (const p of problems.filter((x) => x.severity === 'warning')) {
    ctx.io.err(`${redact(`mailctl: warning: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`, secrets)}\n`);
  }
}

/**
 * The configuration of a command that cannot run with errors in it: loaded with its flags, a
 * ConfigError (78) listing every error, else its warnings printed on stderr.
 */
export async function loadUsableConfig(
  ctx: CommandContext,
  flags?: Partial<Record<KeyPath, FlagValue>>,
): Promise<Config> {
  const loaded = await loadCommandConfig(ctx, flags);
  const config = assertUsable(loaded);
  printWarnings(loaded, ctx);
  return config;
}

/** Options shared by preview, send and enqueue: which mail, in which language, with what. */
export interface MessageOptions {
  lang?: string | undefined;
  /** `--var k=v`, repeatable */
  var?: [string, string][] | undefined;
  /** `--vars FILE.json` */
  vars?: string | undefined;
}

/** Merges `--vars FILE` then `--var k=v` (later wins). Throws 64/65 with a hint on an unreadable or non-object file. */
export async function readVars(opts: MessageOptions, cwd: string): Promise<Record<string, unknown>> {
  const vars: Record<string, unknown> = {};
  if (opts.vars) {
    const path = resolve(cwd, opts.vars);
    let text: string;
    try {
      text = await readText(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read --vars file ${opts.vars}: ${code ?? (err as Error).message}`, {
        hint:
          code === 'ENOENT'
            ? 'check the path (relative paths start at the working directory)'
            : code === 'EISDIR'
              ? 'name a JSON file, not a directory'
              : 'check that the file exists and that you may read it',
        cause: err,
      });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new DataError(`--vars file ${opts.vars} is not valid JSON: ${(err as Error).message}`, {
        hint: 'write one JSON object, e.g. {"code": "123456"}; or pass values with --var name=value',
        cause: err,
      });
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new DataError(`--vars file ${opts.vars} must hold one JSON object of variables`, {
        hint: 'write {"name": "value", ...}; run `mailctl templates list` to see each type\'s variables',
      });
    }
    Object.assign(vars, data);
  }
  for (const [k, v] of opts.var ?? []) vars[k] = v;
  return vars;
}

/**
 * The templates every command renders with: the built-in ones, with MAILCTL_TEMPLATES_DIR laid
 * over them when it is set (compiled on first use: one notice line on stderr, with the time).
 */
export async function openCommandTemplates(config: Config, ctx: CommandContext): Promise<TemplateSource> {
  const [{ openTemplates }, { operatorDirOf }] = await Promise.all([
    import('../templates/operator.js'),
    import('../templates/layers.js'),
  ]);
  return openTemplates(operatorDirOf(config.values['templates.dir'], ctx.cwd), ctx.cwd, (line) =>
    ctx.io.err(`${line}\n`),
  );
}
