/**
 * Pure merge of configuration sources: defaults < file < env < flags. Every resolved value
 * remembers where it came from, so that every problem can name its source.
 */
import { KEYS, KEY_BY_PATH, type ConfigValues, type KeyDef, type KeyPath } from './keys.js';
import { isUnset, parseValue } from './parse.js';

export type Source =
  | { kind: 'default' }
  | { kind: 'unset' }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string; key: string }
  | { kind: 'flag'; name: string };

export type Severity = 'error' | 'warning';

/** One finding of `verify-config` (the contract's JSON shape, plus an optional hint). */
export interface Problem {
  key: string;
  severity: Severity;
  message: string;
  source: string;
  hint?: string;
}

export interface Config {
  values: ConfigValues;
  sources: Record<KeyPath, Source>;
  /** The config file that was read, if any. */
  filePath: string | undefined;
}

export interface ConfigFile {
  path: string;
  data: unknown;
}

/** A flag value the operator typed, with the flag's name for messages (e.g. `--spool`). */
export interface FlagValue {
  value: unknown;
  flag: string;
}

export interface ResolveInput {
  env: Readonly<Record<string, string | undefined>>;
  file?: ConfigFile | undefined;
  flags?: Partial<Record<KeyPath, FlagValue>> | undefined;
}

export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'unset':
      return 'not set';
    case 'env':
      return `env ${source.name}`;
    case 'file':
      return `${source.path} (${source.key})`;
    case 'flag':
      return `flag ${source.name}`;
  }
}

// Prefixes of env names that belong to mailctl or Dify's mail settings: an unknown one is a typo.
const OWN_ENV_PREFIXES = ['MAILCTL_', 'SMTP_', 'SENDGRID_', 'RESEND_', 'DKIM_', 'BRANDING_'];

/** Flattens `{smtp: {port: 25}}` to `[['smtp.port', 25]]`. */
function flatten(data: unknown, prefix = ''): [string, unknown][] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [[prefix, data]];
  return Object.entries(data as Record<string, unknown>).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return KEY_BY_PATH.has(path) ? [[path, v] as [string, unknown]] : flatten(v, path);
  });
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return (
    candidates.find((c) => c.toLowerCase() === lower) ??
    candidates.find((c) => editDistance(c.toLowerCase(), lower) <= 2)
  );
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function resolveConfig(input: ResolveInput): { config: Config; problems: Problem[] } {
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};

  const fileValues = new Map<string, unknown>();
  if (input.file) {
    const { path, data } = input.file;
    if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data))) {
      problems.push({
        key: '(file)',
        severity: 'error',
        message: 'the config file must hold an object of keys',
        source: path,
      });
    } else {
      for (const [key, raw] of flatten(data ?? {})) {
        if (KEY_BY_PATH.has(key)) fileValues.set(key, raw);
        else {
          const guess = closest(key, [...KEY_BY_PATH.keys()]);
          problems.push({
            key,
            severity: 'warning',
            message: `unknown key "${key}" is ignored${guess ? `; did you mean "${guess}"?` : ''}`,
            source: path,
          });
        }
      }
    }
  }

  for (const name of Object.keys(input.env)) {
    if (OWN_ENV_PREFIXES.some((p) => name.startsWith(p)) && !KEYS.some((k) => k.env === name)) {
      const guess = closest(
        name,
        KEYS.map((k) => k.env),
      );
      problems.push({
        key: name,
        severity: 'warning',
        message: `unknown variable ${name} is ignored${guess ? `; did you mean ${guess}?` : ''}`,
        source: `env ${name}`,
      });
    }
  }

  for (const def of KEYS as readonly KeyDef[]) {
    const candidates: [unknown, Source][] = [];
    const flag = input.flags?.[def.path as KeyPath];
    if (flag && !isUnset(flag.value)) candidates.push([flag.value, { kind: 'flag', name: flag.flag }]);
    const envRaw = input.env[def.env];
    if (!isUnset(envRaw)) candidates.push([envRaw, { kind: 'env', name: def.env }]);
    if (input.file && !isUnset(fileValues.get(def.path))) {
      candidates.push([fileValues.get(def.path), { kind: 'file', path: input.file.path, key: def.path }]);
    }

    const top = candidates[0];
    if (top) {
      const [raw, source] = top;
      const parsed = parseValue(def, raw);
      if (parsed.ok) {
        values[def.path] = parsed.value;
        sources[def.path] = source;
        continue;
      }
      // A bad value is an error, never a silent fallback to a lower source or default.
      const name = source.kind === 'file' ? def.path : source.kind === 'flag' ? source.name : def.env;
      problems.push({
        key: def.env,
        severity: 'error',
        message: `${name}: ${parsed.message}`,
        source: describeSource(source),
      });
      values[def.path] = undefined;
      sources[def.path] = source;
      continue;
    }
    values[def.path] = def.default;
    sources[def.path] = def.default === undefined ? { kind: 'unset' } : { kind: 'default' };
  }

  return {
    config: { values: values as ConfigValues, sources: sources as Record<KeyPath, Source>, filePath: input.file?.path },
    problems,
  };
}
