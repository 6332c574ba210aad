/** Masks secrets on every output path (text, `--json`, `--debug`). */
import { KEYS, type KeyDef } from './keys.js';
import type { Config } from './resolve.js';

export const MASK = '********';

// `scheme://user:password@host`: a password written into a URL (redis://:pw@host) is a secret too.
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)([^/@]+)(@)/i;

/** The display form of a value: secrets masked, passwords inside URLs masked, everything else as is. */
export function displayValue(def: KeyDef, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (def.secret) return MASK;
  return typeof value === 'string' ? value.replace(URL_PASSWORD, `$1${MASK}$3`) : value;
}

/** Every secret value in force, so that any text can be scrubbed before it is printed. */
export function secretsOf(config: Config): string[] {
  const values = config.values as Record<string, unknown>;
  const secrets = (KEYS as readonly KeyDef[]).filter((k) => k.secret).map((k) => values[k.path]);
  for (const v of Object.values(values)) {
    const m = typeof v === 'string' ? URL_PASSWORD.exec(v) : null;
    if (m?.[2]) secrets.push(m[2], decodeURIComponentSafe(m[2]));
  }
  return secrets.filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Replaces every occurrence of each secret (and its base64 form, as in SMTP AUTH) with the mask. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    for (const form of [s, Buffer.from(s).toString('base64')]) out = out.split(form).join(MASK);
  }
  return out;
}

/** The whole configuration as display rows, secrets masked. */
export function configRows(config: Config): { key: string; env: string; value: unknown }[] {
  return (KEYS as readonly KeyDef[]).map((k) => ({
    key: k.path,
    env: k.env,
    value: displayValue(k, (config.values as Record<string, unknown>)[k.path]),
  }));
}
