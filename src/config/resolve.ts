/**
 * Pure merge of configuration sources: defaults < file < env < flags. Every resolved value
 * remembers where it came from, so that every problem can name its source.
 */
import { allKeys, type ConfigValues, type KeyDef, type KeyPath } from './keys.js';
import { providerSpec, MAIL_TYPE_NAMES } from './providers.js';
import { isUnset, parseValue } from './parse.js';

export type Source =
  | { kind: 'default' }
  | { kind: 'unset' }
  | { kind: 'env'; name: string }
  | { kind: 'env-file'; path: string; name: string }
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
  /** `--env-file PATH`: the names of `env` whose values came from that file. */
  envFile?: { path: string; names: ReadonlySet<string> } | undefined;
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
    case 'env-file':
      return `env-file ${source.path} (${source.name})`;
    case 'file':
      return `${source.path} (${source.key})`;
    case 'flag':
      return `flag ${source.name}`;
  }
}

// Prefixes of env names that belong to mailctl or Dify's mail settings: an unknown one is a typo.
// Each provider's required keys add theirs (SENDGRID_, RESEND_, a registered provider's).
const OWN_ENV_PREFIXES = ['MAILCTL_', 'SMTP_', 'DKIM_', 'BRANDING_'];

function ownEnvPrefixes(keys: readonly KeyDef[]): string[] {
  const prefixes = new Set(OWN_ENV_PREFIXES);
  for (const name of MAIL_TYPE_NAMES) {
    for (const { path } of providerSpec(name)?.required ?? []) {
      const env = keys.find((k) => k.path === path)?.env;
      if (env?.includes('_')) prefixes.add(env.slice(0, env.indexOf('_') + 1));
    }
  }
  return [...prefixes];
}

/** Flattens `{smtp: {port: 25}}` to `[['smtp.port', 25]]`. */
function flatten(data: unknown, paths: ReadonlySet<string>, prefix = ''): [string, unknown][] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [[prefix, data]];
  return Object.entries(data as Record<string, unknown>).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return paths.has(path) ? [[path, v] as [string, unknown]] : flatten(v, paths, path);
  });
}

/** The candidate a mistyped name most likely meant: same letters in another case, or at most two edits away. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
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
  const keys = allKeys();
  const paths = new Set(keys.map((k) => k.path));

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
      for (const [key, raw] of flatten(data ?? {}, paths)) {
        if (paths.has(key)) fileValues.set(key, raw);
        else {
          const guess = closest(key, [...paths]);
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

  const prefixes = ownEnvPrefixes(keys);
  for (const name of Object.keys(input.env)) {
    if (prefixes.some((p) => name.startsWith(p)) && !keys.some((k) => k.env === name)) {
      const guess = closest(
        name,
        keys.map((k) => k.env),
      );
      problems.push({
        key: name,
        severity: 'warning',
        message: `unknown variable ${name} is ignored${guess ? `; did you mean ${guess}?` : ''}`,
        source: `env ${name}`,
      });
    }
  }

  for (const def of keys) {
    const candidates: [unknown, Source][] = [];
    const flag = input.flags?.[def.path as KeyPath];
    if (flag && !isUnset(flag.value)) candidates.push([flag.value, { kind: 'flag', name: flag.flag }]);
    const envRaw = input.env[def.env];
    if (!isUnset(envRaw)) {
      const fromFile = input.envFile?.names.has(def.env) === true;
      candidates.push([
        envRaw,
        fromFile && input.envFile
          ? { kind: 'env-file', path: input.envFile.path, name: def.env }
          : { kind: 'env', name: def.env },
      ]);
    }
    if (input.file && !isUnset(fileValues.get(def.path))) {
      candidates.push([fileValues.get(def.path), { kind: 'file', path: input.file.path, key: def.path }]);
    }

    const top = candidates[0];
    if (top) {
      const [given, source] = top;
      const raw = tidyValue(def, given, source, problems);
      const parsed = parseValue(def, raw);
      if (parsed.ok) {
        values[def.path] = parsed.value;
        sources[def.path] = source;
        continue;
      }
      // A bad value is an error, never a silent fallback to a lower source: the default stays in
      // place only so that the values keep their type; no command runs on a config with errors.
      const name = source.kind === 'file' ? def.path : source.kind === 'flag' ? source.name : def.env;
      problems.push({
        key: def.env,
        severity: 'error',
        message: `${name}: ${parsed.message}`,
        source: describeSource(source),
      });
      values[def.path] = def.default;
      sources[def.path] = source;
      continue;
    }
    values[def.path] = def.default;
    sources[def.path] = def.default === undefined ? { kind: 'unset' } : { kind: 'default' };
  }

  // SMTP_PORT unset takes the standard port of the TLS mode (a default that depends on two others;
  // validation says which was taken). A bad SMTP_PORT stays an error, never replaced.
  if (values.mailType === 'smtp' && values['smtp.port'] === undefined && sources['smtp.port']?.kind === 'unset') {
    values['smtp.port'] = standardSmtpPort(values['smtp.useTls'] === true, values['smtp.opportunisticTls'] === true);
    sources['smtp.port'] = { kind: 'default' };
  }

  return {
    config: { values: values as ConfigValues, sources: sources as Record<KeyPath, Source>, filePath: input.file?.path },
    problems,
  };
}

/** The port of each TLS mode (the README's TLS table): 465 implicit TLS, 587 STARTTLS, 25 plain. */
export function standardSmtpPort(useTls: boolean, startTls: boolean): number {
  return useTls ? (startTls ? 587 : 465) : 25;
}

// Dify's docker/.env.example ships placeholders such as RESEND_API_KEY=your-resend-api-key.
const PLACEHOLDER = /^(your[-_ ].*|changeme|change-me|xxx+)$/i;

/**
 * The mistakes a hand-edited `.env` carries in: surrounding whitespace or a Windows CR (trimmed,
 * with a warning; `SMTP_SERVER='localhost '` would fail to resolve with an invisible space), a
 * second pair of quotes (a hint: the quotes would be part of the value), and the placeholders of
 * the reference's example file. Values are never printed: some are secrets.
 */
function tidyValue(def: KeyDef, raw: unknown, source: Source, problems: Problem[]): unknown {
  if (typeof raw !== 'string') return raw;
  const where = describeSource(source);
  const name = source.kind === 'file' ? def.path : source.kind === 'flag' ? source.name : def.env;
  let value = raw;
  if (value !== value.trim()) {
    value = value.trim();
    // A multi-line value (a PEM key) ends with a newline by nature: trimmed without a word.
    if (value.includes('\n')) return value;
    const what = /\r$/.test(raw) ? 'a trailing carriage return (CRLF line ending)' : 'surrounding whitespace';
    problems.push({
      key: def.env,
      severity: 'warning',
      message: `${name} has ${what}; it was trimmed`,
      source: where,
      hint: `remove it from ${where}`,
    });
  }
  if (/^(["'`]).*\1$/s.test(value) && value.length >= 2) {
    problems.push({
      key: def.env,
      severity: 'warning',
      message: `${name} is wrapped in an extra pair of quotes, which are part of the value`,
      source: where,
      hint: 'write KEY="value" or KEY=value: one pair of quotes, or none',
    });
  }
  if (PLACEHOLDER.test(value)) {
    problems.push({
      key: def.env,
      severity: 'warning',
      message: `${name} still holds a placeholder value from an example file`,
      source: where,
      hint: `set ${def.env} to your real value`,
    });
  }
  return value;
}
