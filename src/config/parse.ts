/**
 * Pure parsers from raw source values (env strings, file JSON/YAML values) to typed values.
 * Each returns a value or a problem message; nothing here throws.
 */
import type { KeyDef } from './keys.js';

export type ParseResult = { ok: true; value: unknown } | { ok: false; message: string };

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const ok = (value: unknown): ParseResult => ({ ok: true, value });
const fail = (message: string): ParseResult => ({ ok: false, message });

/** Booleans are strict: true/false/1/0/yes/no in any case; anything else is an error. */
export function parseBoolean(raw: unknown): ParseResult {
  if (typeof raw === 'boolean') return ok(raw);
  const text = String(raw).trim().toLowerCase();
  if (TRUE.has(text)) return ok(true);
  if (FALSE.has(text)) return ok(false);
  return fail(`"${String(raw)}" is not a boolean (use true/false, 1/0 or yes/no)`);
}

/** A duration such as `500ms`, `30s`, `5m`, `1h`, `7d`; a bare number is seconds. Returns ms. */
export function parseDuration(raw: unknown): ParseResult {
  const text = String(raw).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text);
  if (!m) return fail(`"${String(raw)}" is not a duration (e.g. 500ms, 30s, 5m, 1h, 7d)`);
  return ok(Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000)));
}

export function parseInteger(raw: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): ParseResult {
  const text = String(raw).trim();
  if (!/^-?\d+$/.test(text)) return fail(`"${String(raw)}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) return fail(`${n} is out of range (${min}–${max})`);
  return ok(n);
}

export function parseUrl(raw: unknown): ParseResult {
  const text = String(raw).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`"${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(`"${text}" is not an http(s) URL`);
  return ok(text.replace(/\/+$/, ''));
}

export function parseList(raw: unknown): ParseResult {
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return ok(items.map((s) => s.trim()).filter((s) => s.length > 0));
}

/** Parses one raw value for a key; `undefined`/empty means "not set" and is handled by the caller. */
export function parseValue(def: KeyDef, raw: unknown): ParseResult {
  switch (def.type) {
    case 'boolean':
      return parseBoolean(raw);
    case 'integer':
      return parseInteger(raw, def.min ?? 0);
    case 'port':
      return parseInteger(raw, 1, 65535);
    case 'duration':
      return parseDuration(raw);
    case 'url':
      return parseUrl(raw);
    case 'list':
      return parseList(raw);
    case 'enum': {
      const text = String(raw).trim().toLowerCase();
      const allowed = def.values ?? [];
      return allowed.includes(text) ? ok(text) : fail(`"${String(raw)}" is not one of ${allowed.join(', ')}`);
    }
    case 'string':
      return typeof raw === 'object' ? fail('must be a string') : ok(String(raw));
  }
}

/** Whether a raw value counts as "not set" (an empty `SMTP_USERNAME=` line in a Dify .env). */
export function isUnset(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}
