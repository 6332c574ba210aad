/**
 * MAILCTL_SPOOL_URL: which spool backend, and for Redis where and how. Pure (no Redis client is
 * loaded here), so that configuration validation can check a URL without connecting.
 *
 *   unset, `file:` or `file:DIR`        the file spool (DIR, else MAILCTL_SPOOL_DIR)
 *   redis://[user:pass@]host[:port][/db][?queue=NAME&lock=30s&stalled=30s&timeout=10s]
 *   rediss://…                          the same over TLS
 *
 * Query parameters (all optional): `queue`, the BullMQ queue name (default `mailctl`, so several
 * products can share one Redis); `lock`, how long a drainer's claim on a job lasts without being
 * renewed (default 30 s: a drainer killed with kill -9 gives its jobs back after about this long);
 * `stalled`, how often every drainer looks for such jobs (default 30 s); `timeout`, how long a
 * drainer keeps trying to reach a Redis that went away before it gives up with 69 (default 10 s).
 */
import { parseDuration } from './parse.js';

export interface RedisTarget {
  kind: 'redis';
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string | undefined;
  password?: string | undefined;
  /** BullMQ queue name. @defaultValue mailctl */
  queue: string;
  /** @defaultValue 30000 */
  lockMs: number;
  /** @defaultValue 30000 */
  stalledMs: number;
  /** @defaultValue 10000 */
  timeoutMs: number;
  /** The URL without its password, for every output. */
  display: string;
}

export interface FileTarget {
  kind: 'file';
  /** The directory after `file:`, if any (else MAILCTL_SPOOL_DIR applies). */
  dir?: string | undefined;
}

export type SpoolTarget = FileTarget | RedisTarget;

export type TargetResult = { ok: true; target: SpoolTarget } | { ok: false; reason: string };

const QUEUE = /^[A-Za-z0-9_.-]{1,64}$/;

function durationParam(url: URL, name: string, fallback: number): number | string {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const r = parseDuration(raw);
  if (!r.ok || typeof r.value !== 'number' || r.value <= 0) return `${name}=${raw} is not a duration`;
  return r.value;
}

/** Parses a spool URL. The reason of a failure never repeats the URL (it may carry a password). */
export function parseSpoolUrl(text: string | undefined): TargetResult {
  if (text === undefined || text === '' || text === 'file:') return { ok: true, target: { kind: 'file' } };
  if (text.startsWith('file:')) {
    const dir = text.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    return { ok: true, target: { kind: 'file', dir } };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    return { ok: false, reason: `has the scheme ${url.protocol} (expected redis:, rediss: or file:)` };
  if (!url.hostname) return { ok: false, reason: 'names no host' };
  const port = url.port === '' ? 6379 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, reason: 'has a bad port' };
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path))
    return { ok: false, reason: `has the database "${path}" (expected a number, e.g. /0)` };
  const db = path === '' ? 0 : Number(path);
  const queue = url.searchParams.get('queue') ?? 'mailctl';
  if (!QUEUE.test(queue)) return { ok: false, reason: 'has a bad queue name (letters, digits, _ . - only)' };
  for (const key of url.searchParams.keys()) {
    if (!['queue', 'lock', 'stalled', 'timeout'].includes(key))
      return { ok: false, reason: `has the unknown parameter "${key}" (known: queue, lock, stalled, timeout)` };
  }
  const lockMs = durationParam(url, 'lock', 30_000);
  const stalledMs = durationParam(url, 'stalled', 30_000);
  const timeoutMs = durationParam(url, 'timeout', 10_000);
  for (const v of [lockMs, stalledMs, timeoutMs]) if (typeof v === 'string') return { ok: false, reason: `has ${v}` };
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  const target: RedisTarget = {
    kind: 'redis',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    tls: url.protocol === 'rediss:',
    queue,
    lockMs: lockMs as number,
    stalledMs: stalledMs as number,
    timeoutMs: timeoutMs as number,
    display: shown.href,
  };
  const username = decoded(url.username);
  const password = decoded(url.password);
  if (username === null || password === null)
    return {
      ok: false,
      reason: 'has a % in its user name or password that is not followed by two hex digits (write % as %25)',
    };
  if (username) target.username = username;
  if (password) target.password = password;
  return { ok: true, target };
}

/** Percent-decodes a URL's user or password; null for a stray `%` (decodeURIComponent throws). */
function decoded(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}
