/**
 * The spool's job format (version 1), documented in the README (Spool format) so that any language can
 * write jobs. A job is one JSON file; its file name encodes what `drain` needs to order and count
 * jobs without opening them: `PP-DDDDDDDDDDDDD-ID-TYPE.json` (two-digit priority, due time in
 * epoch milliseconds padded to 13 digits, the ULID, the mail type), so a sorted directory
 * listing is the claim order (priority first, then due time, then creation time).
 */
import type { FailureKind } from '../errors.js';

export const JOB_VERSION = 1;

/** Every state is a directory of the spool. */
export const STATES = ['incoming', 'active', 'deferred', 'hold', 'dead', 'corrupt'] as const;
export type JobState = (typeof STATES)[number];

export function isState(value: string): value is JobState {
  return (STATES as readonly string[]).includes(value);
}

/** Why a job went to `dead/`. */
export type DeadReason = 'permanent' | 'max-attempts' | 'max-lifetime' | 'expired' | 'invalid';

/** One delivery attempt (or a back-pressure deferral, which does not count as an attempt). */
export interface AttemptRecord {
  /** ISO 8601 UTC */
  at: string;
  ok: boolean;
  kind?: FailureKind | undefined;
  /** SMTP reply code or HTTP status */
  code?: number | undefined;
  /** The provider's own words */
  reply?: string | undefined;
  error?: string | undefined;
  /** The provider asked us to slow down (SMTP 421, HTTP 429): not counted in `attempts`. */
  backpressure?: boolean | undefined;
}

export interface JobError {
  at: string;
  message: string;
  kind: FailureKind;
  code?: number | undefined;
  reply?: string | undefined;
  provider?: string | undefined;
}

/** A spool job. Secrets (passwords, API keys, DKIM keys) are never part of it. */
export interface Job {
  version: 1;
  /** ULID: 48-bit creation time + 80 random bits, Crockford base32; never reused. */
  id: string;
  /** Mail type, e.g. `reset-password` (see `mailctl templates list`). */
  type: string;
  /** Recipient, `addr` or `Name <addr>`. */
  to: string;
  lang?: string | undefined;
  vars: Record<string, unknown>;
  /** Sender for this job; default MAIL_DEFAULT_SEND_FROM. */
  from?: string | undefined;
  /** Lower is sooner, 0–99. @defaultValue the type's: codes 1, notifications 5, alerts 9 */
  priority: number;
  createdAt: string;
  /** Never sent after this instant (one-time codes); goes to dead with reason `expired`. */
  expiresAt?: string | undefined;
  /** Delivery attempts made (back-pressure deferrals do not count). */
  attempts: number;
  nextAttemptAt: string;
  lastError?: JobError | undefined;
  history: AttemptRecord[];
  /** `<id@domain>`, fixed at enqueue so that every retry carries the same Message-ID. */
  messageId?: string | undefined;
  deadReason?: DeadReason | undefined;
  diedAt?: string | undefined;
}

/** The most attempt records a job keeps (the newest). */
export const HISTORY_LIMIT = 20;

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const TYPE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;
const NAME = /^(\d{2})-(\d{13})-([0-9A-HJKMNP-TV-Z]{26})-([a-z0-9][a-z0-9-]{0,63})\.json$/;

export type ParseResult = { ok: true; job: Job } | { ok: false; reason: string };

function isoOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * Parses a job file. Anything that is not a well-formed version-1 job is `corrupt`. With `now`
 * (a drain's clock), a createdAt in the future (a writer's clock ahead, a typo) is read as `now`:
 * otherwise the job would never reach MAILCTL_MAX_LIFETIME and, without nextAttemptAt, never be due.
 */
export function parseJob(text: string, now?: number): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return { ok: false, reason: 'not a JSON object' };
  const d = data as Record<string, unknown>;
  if (d.version !== JOB_VERSION)
    return { ok: false, reason: `unsupported version ${JSON.stringify(d.version)} (expected 1)` };
  if (typeof d.id !== 'string' || !ULID.test(d.id)) return { ok: false, reason: 'id must be a 26-character ULID' };
  if (typeof d.type !== 'string' || !TYPE.test(d.type)) return { ok: false, reason: 'type must be a mail type name' };
  if (typeof d.to !== 'string' || d.to.length === 0) return { ok: false, reason: 'to must be an address' };
  if (d.lang !== undefined && typeof d.lang !== 'string') return { ok: false, reason: 'lang must be a string' };
  if (d.from !== undefined && d.from !== null && typeof d.from !== 'string')
    return { ok: false, reason: 'from must be a string' };
  const vars = d.vars ?? {};
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars))
    return { ok: false, reason: 'vars must be an object' };
  const priority = d.priority ?? 5;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 99)
    return { ok: false, reason: 'priority must be a whole number 0–99' };
  const written = isoOrUndefined(d.createdAt);
  if (!written) return { ok: false, reason: 'createdAt must be an ISO 8601 time' };
  const createdAt = now !== undefined && Date.parse(written) > now ? new Date(now).toISOString() : written;
  const nextAttemptAt = d.nextAttemptAt === undefined ? createdAt : isoOrUndefined(d.nextAttemptAt);
  if (!nextAttemptAt) return { ok: false, reason: 'nextAttemptAt must be an ISO 8601 time' };
  let expiresAt: string | undefined;
  if (d.expiresAt !== undefined && d.expiresAt !== null) {
    expiresAt = isoOrUndefined(d.expiresAt);
    if (!expiresAt) return { ok: false, reason: 'expiresAt must be an ISO 8601 time' };
    // Created "now", so its time-to-live counts from now: a 5-minute code stamped for 2099 must
    // not stay valid until 2099.
    if (createdAt !== written)
      expiresAt = new Date(Date.parse(expiresAt) - (Date.parse(written) - Date.parse(createdAt))).toISOString();
  }
  const attempts = d.attempts ?? 0;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0)
    return { ok: false, reason: 'attempts must be a whole number' };
  const history = d.history ?? [];
  if (!Array.isArray(history)) return { ok: false, reason: 'history must be an array' };
  if (
    d.messageId !== undefined &&
    d.messageId !== null &&
    (typeof d.messageId !== 'string' || !MESSAGE_ID.test(d.messageId))
  ) {
    return { ok: false, reason: 'messageId must look like <local@domain>' };
  }
  const job: Job = {
    version: 1,
    id: d.id,
    type: d.type,
    to: d.to,
    vars: vars as Record<string, unknown>,
    priority,
    createdAt,
    attempts,
    nextAttemptAt,
    history: history as AttemptRecord[],
  };
  if (typeof d.lang === 'string') job.lang = d.lang;
  if (typeof d.from === 'string') job.from = d.from;
  if (expiresAt) job.expiresAt = expiresAt;
  if (typeof d.messageId === 'string') job.messageId = d.messageId;
  if (d.lastError && typeof d.lastError === 'object') job.lastError = d.lastError as JobError;
  if (typeof d.deadReason === 'string') job.deadReason = d.deadReason as DeadReason;
  if (typeof d.diedAt === 'string') job.diedAt = d.diedAt;
  return { ok: true, job };
}

export function serializeJob(job: Job): string {
  return `${JSON.stringify(job, null, 2)}\n`;
}

/** What a file name tells without opening the file. */
export interface NameInfo {
  priority: number;
  dueMs: number;
  id: string;
  type: string;
}

export function parseName(name: string): NameInfo | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  return { priority: Number(m[1]), dueMs: Number(m[2]), id: m[3]!, type: m[4]! };
}

/** A canonical name's fixed-width head: `PP-DUE-ULID-` and the type's first character. */
const NAME_HEAD = /^\d{2}-\d{13}-[0-9A-HJKMNP-TV-Z]{26}-[a-z0-9]/;
/** Where the ULID and the type start in a canonical name. */
const ULID_AT = 17;
const TYPE_AT = 44;

interface TypeCount {
  type: string;
  /** `-TYPE.json` */
  ending: string;
  n: number;
}

/**
 * Counts canonical names per type, for millions of names (`queue status`): a name whose length
 * and ending are those of a type already met needs only its fixed-width head checked, with no
 * slice and no hashing per name; any other name is matched against the whole pattern once.
 * Exactly the names {@link parseName} accepts are counted.
 */
export class NameTally {
  /** Types met, by the length of their names (a handful per length). */
  private readonly byLength: TypeCount[][] = [];
  private readonly all: TypeCount[] = [];

  /** Counts `name` and returns its type; undefined (not counted) when it is not canonical. */
  add(name: string): string | undefined {
    const known = this.byLength[name.length];
    if (known !== undefined)
      for (const t of known)
        if (name.endsWith(t.ending)) {
          if (!NAME_HEAD.test(name)) return undefined;
          t.n += 1;
          return t.type;
        }
    const info = parseName(name);
    if (!info) return undefined;
    const t: TypeCount = { type: info.type, ending: `-${info.type}.json`, n: 1 };
    (this.byLength[name.length] ??= []).push(t);
    this.all.push(t);
    return t.type;
  }

  /** Per type, in the order first met. */
  counts(): [type: string, n: number][] {
    return this.all.map((t) => [t.type, t.n]);
  }
}

/**
 * Whether canonical name `a` carries a smaller ULID (an older job) than canonical name `b`,
 * compared in place: no slice per name.
 */
export function olderName(a: string, b: string): boolean {
  for (let i = ULID_AT; i < TYPE_AT - 1; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d < 0;
  }
  return false;
}

/** The ULID of a canonical name. */
export const ulidOfName = (name: string): string => name.slice(ULID_AT, TYPE_AT - 1);

export function nameOf(job: Pick<Job, 'priority' | 'nextAttemptAt' | 'id' | 'type'>): string {
  const due = Math.max(0, Date.parse(job.nextAttemptAt));
  return `${String(job.priority).padStart(2, '0')}-${String(due).padStart(13, '0')}-${job.id}-${job.type}.json`;
}

/** The job id a file name carries: the ULID of a canonical name, else the name itself. */
export function idOfName(name: string): string | undefined {
  return parseName(name)?.id ?? /([0-9A-HJKMNP-TV-Z]{26})/.exec(name)?.[1];
}

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 10 characters of creation time (ms) then 16 of randomness. */
export function newJobId(nowMs: number, randomBytes: Uint8Array): string {
  let out = '';
  let t = Math.floor(nowMs);
  for (let i = 0; i < 10; i++) {
    out = B32[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  // 80 bits of randomness, 5 bits per character
  let bits = 0;
  let acc = 0;
  let rand = '';
  for (const byte of randomBytes.subarray(0, 10)) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      rand += B32[(acc >> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out + rand.padEnd(16, '0');
}

/** The creation time a ULID carries. */
export function timeOfId(id: string): number | undefined {
  if (!ULID.test(id)) return undefined;
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + B32.indexOf(ch);
  return t;
}

/** The Message-ID of a job: fixed at enqueue, or derived from its id so that retries keep it. */
export function messageIdOf(job: Pick<Job, 'id' | 'messageId'>, domain: string): string {
  return job.messageId ?? `<${job.id.toLowerCase()}@${domain}>`;
}
