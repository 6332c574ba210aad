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
  const ms = Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000));
  // Beyond 2^53 ms (285,000 years) arithmetic on times goes wrong silently: refuse, don't round.
  if (!Number.isSafeInteger(ms)) return fail(`"${String(raw)}" is not a duration mailctl can count (too long)`);
  return ok(ms);
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

/** Characters that end or split a line in SMTP (RFC 5321 §2.3.8), HTTP and mail headers. */
const LINE_BREAKING = /[\r\n\0]/;

/**
 * Which control character a raw value carries, in words, or undefined. Every configured text
 * reaches some protocol line (EHLO, AUTH, MAIL FROM, an HTTP request or header, a mail header) or
 * a path; only a PEM key is multi-line by nature, and even it has no NUL.
 */
export function controlCharacterIn(def: KeyDef, raw: unknown): string | undefined {
  const texts = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map(String) : [];
  const pem = def.path === 'dkim.privateKey';
  for (const text of texts) {
    if (text.includes('\0')) return 'a NUL character';
    if (!pem && LINE_BREAKING.test(text)) return 'a line break (CR or LF)';
  }
  return undefined;
}

/** Parses one raw value for a key; `undefined`/empty means "not set" and is handled by the caller. */
export function parseValue(def: KeyDef, raw: unknown): ParseResult {
  // Checked before any parser, whose message would echo the value and its line break.
  const control = controlCharacterIn(def, raw);
  if (control)
    return fail(
      `contains ${control}, which would end a protocol line (SMTP command, HTTP header, mail header) and start another; a value is one line`,
    );
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
