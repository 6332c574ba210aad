/**
 * The Redis spool backend, on BullMQ (the one home of bullmq and ioredis). BullMQ does the
 * distributed part: exclusive claims with renewed locks, priorities, delayed jobs, a global rate
 * limiter, and recovery of the jobs of a drainer that died (stalled-job check). mailctl keeps its
 * own job (the version-1 JSON of job.ts is the BullMQ job's data, so jobs keep their id,
 * Message-ID, attempts and history) and the file spool's decisions (drain.ts: backoff, expiry,
 * back-pressure, dead reasons).
 *
 * How the spool's states map onto BullMQ's (a BullMQ job id is the mailctl job id, its name the
 * mail type, its priority the job's priority + 1):
 *
 *   incoming   waiting / prioritized
 *   active     active (locked by a drainer; `processedBy` is PID@HOST)
 *   deferred   delayed until nextAttemptAt
 *   hold       delayed "forever" with `held: true` in the data
 *   dead       failed (UnrecoverableError) with deadReason, lastError and history in the data
 *   corrupt    failed, or any state, with data that is not a version-1 job
 *
 * A delivered job is removed (removeOnComplete). Every state change is one BullMQ script, so a
 * job is in exactly one state; a drainer killed mid-delivery leaves the job active until its lock
 * expires, then another drainer's stalled check puts it back and it is delivered again (at least
 * once; the Message-ID is the same, so the receiver can drop the copy).
 */
import { connect as netConnect } from 'node:net';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job as BullJob, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import { AuthError, DataError, ExitCode, MailctlError, TemporaryError, UnavailableError } from '../../errors.js';
import type {
  BackendDrainOptions,
  Claimer,
  DrainEvent,
  DrainSummary,
  ExportedJob,
  ListedJob,
  Outcome,
  SpoolBackend,
  ReleaseResult,
  ShownJob,
  SampledCounts,
  SpoolStatus,
} from '../contract.js';
import { claimTag, emptyStatus, listedOf } from '../contract.js';
import { deliverOne, type DeliveryResult } from '../deliver.js';
import { createDrainPause } from '../pause.js';
import { parseJob, timeOfId, type Job, type JobState } from '../job.js';
import type { RedisTarget } from '../../config/spool-url.js';
import {
  OLDEST_IN_RANGE,
  OLDEST_SLICE,
  sampleRanks,
  scaleCounts,
  STATUS_READ_LIMIT,
  STATUS_SAMPLE,
  type StatusLimits,
} from './status.js';

/** "Forever" for a held job: the latest time BullMQ's delayed-set score keeps exactly. */
export const HOLD_UNTIL = 2 ** 41 - 1;
/** How many stalls a job survives: effectively unlimited (a job must never die of its drainers' deaths). */
const MAX_STALLED = 1_000_000;
const PAGE = 1000;

const iso = (ms: number): string => new Date(ms).toISOString();
type Data = Record<string, unknown>;

/** The mailctl state of a BullMQ job. */
export function classify(bullState: string, data: unknown): JobState | undefined {
  const parsed = parseJob(JSON.stringify(data ?? null));
  switch (bullState) {
    case 'waiting':
    case 'prioritized':
    case 'paused':
    case 'waiting-children':
      // Held while it waited: the next drainer to take it parks it (see hold()).
      return parsed.ok && (data as Data).held === true ? 'hold' : 'incoming';
    case 'active':
      return 'active';
    case 'delayed':
      if (!parsed.ok) return 'corrupt';
      if (parsed.job.deadReason) return 'dead';
      return (data as Data).held === true ? 'hold' : 'deferred';
    case 'failed':
      return parsed.ok ? 'dead' : 'corrupt';
    default:
      return undefined; // completed (delivered) or gone
  }
}

/** Delayed jobs due this late or later are parked (held, dead, corrupt: see HOLD_UNTIL), not deferred. */
const PARKED_FROM = HOLD_UNTIL - 86_400_000;

/** A BullMQ set as status reads it. */
interface StatusSet {
  type: JobType;
  /** Its key after the queue's prefix. */
  key: string;
  list: boolean;
}

/** The sets status counts, in the order it always read them. */
const STATUS_SETS: StatusSet[] = [
  { type: 'waiting', key: 'wait', list: true },
  { type: 'prioritized', key: 'prioritized', list: false },
  { type: 'active', key: 'active', list: true },
  { type: 'delayed', key: 'delayed', list: false },
  { type: 'failed', key: 'failed', list: false },
];

/** Ranks `from` to `to` (exclusive) of a set; `state`: every job of it is in that state. */
interface StatusSlice extends StatusSet {
  from: number;
  to: number;
  sample: boolean;
  state?: JobState | undefined;
}

const STATE_OF_SET: Partial<Record<JobType, JobState>> = {
  waiting: 'incoming',
  prioritized: 'incoming',
  active: 'active',
};

const BULL_STATES: Record<JobState, JobType[]> = {
  incoming: ['waiting', 'prioritized'],
  active: ['active'],
  deferred: ['delayed'],
  hold: ['delayed', 'waiting', 'prioritized'],
  dead: ['failed', 'delayed'],
  corrupt: ['failed', 'delayed', 'waiting', 'prioritized'],
};

/** ioredis options, for BullMQ (which builds its own clients from them) and for our own client. */
interface Connection {
  host: string;
  port: number;
  db: number;
  connectTimeout: number;
  username?: string;
  password?: string;
  tls?: { servername: string };
  lazyConnect?: boolean;
  maxRetriesPerRequest: number | null;
  retryStrategy: (times: number) => number | null;
}

function connectionOptions(
  t: RedisTarget,
  extra: Pick<Connection, 'maxRetriesPerRequest' | 'retryStrategy'> & { lazyConnect?: boolean },
): Connection {
  const o: Connection = {
    host: t.host,
    port: t.port,
    db: t.db,
    connectTimeout: Math.min(t.timeoutMs, 10_000),
    ...extra,
  };
  if (t.username !== undefined) o.username = t.username;
  if (t.password !== undefined) o.password = t.password;
  if (t.tls) o.tls = { servername: t.host };
  return o;
}

function unreachable(t: RedisTarget, err: unknown): MailctlError {
  const why = err instanceof Error ? err.message : String(err);
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(why)) {
    return new AuthError(`Redis at ${t.display} refused the login: ${why.replace(t.password ?? '\u0000', '***')}`, {
      hint: 'set MAILCTL_REDIS_PASSWORD (or the password in MAILCTL_SPOOL_URL) to the one Redis expects',
      cause: err,
    });
  }
  return new UnavailableError(`cannot reach Redis at ${t.display}: ${why.replace(t.password ?? '\u0000', '***')}`, {
    hint: 'check MAILCTL_SPOOL_URL and that redis-server is running and reachable from this host',
    cause: err,
  });
}

/** Resolves `p`, or rejects after `ms` (a command to a Redis that went away would wait forever). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
      timer.unref?.();
    }),
  ]);
}

export class RedisBackend implements SpoolBackend {
  readonly kind = 'redis' as const;
  readonly target: RedisTarget;
  readonly queue: Queue;
  /** For mailctl's own keys (the monitor's state) and connection health. */
  readonly redis: Redis;
  private downSince: number | undefined;

  private constructor(target: RedisTarget, redis: Redis) {
    this.target = target;
    this.redis = redis;
    this.queue = new Queue(target.queue, {
      connection: connectionOptions(target, {
        maxRetriesPerRequest: 3,
        retryStrategy: (n) => (n > 20 ? null : Math.min(n * 100, 500)),
      }),
    });
    this.queue.on('error', () => {}); // reported through the command that failed
    redis.on('close', () => (this.downSince ??= Date.now()));
    redis.on('ready', () => (this.downSince = undefined));
  }

  /** Connects and pings once, bounded: 69 with a clear message when Redis cannot be reached. */
  static async connect(target: RedisTarget): Promise<RedisBackend> {
    // A plain TCP connect first: a refused port fails at once (an ioredis client that never
    // connected keeps the process alive for another two seconds).
    await new Promise<void>((resolve, reject) => {
      const socket = netConnect({ host: target.host, port: target.port });
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect ETIMEDOUT ${target.host}:${target.port}`)),
        target.timeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(unreachable(target, err));
      });
    });
    let attempts = 0;
    const redis: Redis = new Redis({
      ...connectionOptions(target, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        // First connection: fail fast. Later (a drain that loses Redis): keep trying, the drain
        // decides when to give up (`timeout` in the URL).
        retryStrategy: (n: number): number | null =>
          redis.status === 'reconnecting' && attempts > 0 ? Math.min(n * 100, 500) : null,
      }),
      // disconnect() ends the socket, then waits this long for it to close before destroying
      // it; after a refused login it never closes by itself, and the default 2 s kept the
      // process alive after its error was printed.
      disconnectTimeout: 100,
    });
    let lastError: unknown;
    redis.on('error', (err) => (lastError ??= err));
    try {
      await within(redis.connect(), target.timeoutMs, 'connect');
      await within(redis.ping(), target.timeoutMs, 'PING');
      attempts = 1;
    } catch (err) {
      redis.disconnect();
      throw unreachable(target, lastError ?? err);
    }
    return new RedisBackend(target, redis);
  }

  get location(): string {
    return this.target.display;
  }

  private where(id: string): string {
    return `${this.target.display}#${this.target.queue}/${id}`;
  }

  private guard<T>(p: Promise<T>, what: string): Promise<T> {
    return within(p, this.target.timeoutMs, what).catch((err: unknown) => {
      if (err instanceof MailctlError) throw err;
      throw unreachable(this.target, err);
    });
  }

  async add(job: Job): Promise<string> {
    await this.guard(this.addBull(job, 'incoming', Date.now()), 'add');
    return this.where(job.id);
  }

  private async addBull(job: Job, state: JobState, now: number, raw?: string): Promise<BullJob | undefined> {
    const due = Date.parse(job.nextAttemptAt);
    let delay = Math.max(0, due - now);
    const data: Data = { ...job };
    if (state === 'hold') data.held = true;
    if (state === 'hold' || state === 'dead' || state === 'corrupt') delay = HOLD_UNTIL - now;
    const body = raw !== undefined ? { corrupt: raw } : data;
    return this.queue.add(job.type, body, {
      jobId: job.id,
      priority: Math.min(99, Math.max(0, job.priority)) + 1,
      delay,
      removeOnComplete: true,
      removeOnFail: false,
      attempts: 1,
    });
  }

  /** The jobs of ranks `from` up to (not including) `to`, a page at a time; to the end by default. */
  private async *pages(types: JobType[], from = 0, to = Number.POSITIVE_INFINITY): AsyncGenerator<BullJob> {
    for (let start = from; start < to; start += PAGE) {
      const stop = Math.min(start + PAGE, to) - 1;
      const jobs = await this.guard(this.queue.getJobs(types, start, stop, true), 'list');
      for (const j of jobs) if (j) yield j;
      if (jobs.length < stop - start + 1) return;
    }
  }

  /** Every job of a state: BullMQ's jobs of the matching BullMQ states, classified. */
  private async *jobsIn(state: JobState): AsyncGenerator<{ bull: BullJob; state: JobState }> {
    for (const type of BULL_STATES[state]) {
      for await (const bull of this.pages([type])) {
        const s = classify(type, bull.data);
        if (s === state) yield { bull, state };
      }
    }
  }

  private async find(id: string): Promise<{ bull: BullJob; state: JobState } | undefined> {
    const bull = await this.guard(this.queue.getJob(id), 'get');
    if (!bull) return undefined;
    const state = classify(await this.guard(bull.getState(), 'state'), bull.data);
    return state ? { bull, state } : undefined;
  }

  private mustFind = async (id: string): Promise<{ bull: BullJob; state: JobState }> => {
    const hit = await this.find(id);
    if (!hit)
      throw new DataError(
        `no job ${JSON.stringify(id)} in the spool at ${this.location}`,
        { hint: 'run `mailctl queue list` to see the job ids' },
        'data.job',
      );
    return hit;
  };

  /**
   * Counts by state and type, and the oldest pending job. A BullMQ set of up to
   * STATUS_READ_LIMIT jobs is read job by job (exact); a larger one is counted by Redis and
   * sampled (see status.ts), and the status says which counts are estimates.
   */
  async status(
    now: number,
    limits: StatusLimits = { read: STATUS_READ_LIMIT, sample: STATUS_SAMPLE },
  ): Promise<SpoolStatus> {
    const status = emptyStatus(true); // present: it answered
    const oldest = { ms: Number.POSITIVE_INFINITY, id: undefined as string | undefined };
    const consider = (id: string, ms: number): void => {
      if (ms < oldest.ms) {
        oldest.ms = ms;
        oldest.id = id;
      }
    };
    const sampled: SampledCounts = { jobs: 0, of: 0, estimated: [] };
    for (const slice of await this.statusSlices(limits.read)) {
      if (slice.sample) await this.sampleSlice(slice, limits.sample, status, consider, sampled);
      else await this.readSlice(slice, status, consider);
    }
    status.backlog = status.incoming + status.active + status.deferred;
    if (oldest.id !== undefined) {
      status.oldestId = oldest.id;
      status.oldestAgeSeconds = Math.max(0, Math.round((now - oldest.ms) / 1000));
    }
    if (sampled.of > 0) status.sampled = { ...sampled, estimated: [...new Set(sampled.estimated)].sort() };
    return status;
  }

  /** The BullMQ sets status reads, split where a large delayed set mixes deferred and parked jobs. */
  private async statusSlices(readLimit: number): Promise<StatusSlice[]> {
    const c = await this.guard(this.queue.getJobCounts(...STATUS_SETS.map((set) => set.type)), 'count');
    const slices: StatusSlice[] = [];
    for (const set of STATUS_SETS) {
      const n = c[set.type] ?? 0;
      if (n <= readLimit) {
        slices.push({ ...set, from: 0, to: Number.POSITIVE_INFINITY, sample: false });
        continue;
      }
      if (set.type !== 'delayed') {
        slices.push({ ...set, from: 0, to: n, sample: true, state: STATE_OF_SET[set.type] });
        continue;
      }
      // Held, dead and corrupt jobs are parked at HOLD_UNTIL, after every job that is only deferred.
      const due = await this.guard(
        this.redis.zcount(this.queue.toKey('delayed'), '-inf', String(PARKED_FROM * 0x1000 - 1)),
        'count',
      );
      slices.push({ ...set, from: 0, to: due, sample: due > readLimit, state: 'deferred' });
      slices.push({ ...set, from: due, to: n, sample: n - due > readLimit, state: undefined });
    }
    return slices;
  }

  /** Every job of a slice read and classified, as status always did for a small set. */
  private async readSlice(
    slice: StatusSlice,
    status: SpoolStatus,
    consider: (id: string, ms: number) => void,
  ): Promise<void> {
    for await (const bull of this.pages([slice.type], slice.from, slice.to)) {
      const state = classify(slice.type, bull.data);
      if (!state) continue;
      status[state] += 1;
      if (state === 'corrupt') continue;
      const counts = (status.byType[bull.name] ??= {});
      counts[state] = (counts[state] ?? 0) + 1;
      if (state === 'incoming' || state === 'active' || state === 'deferred')
        consider(String(bull.id), timeOfId(String(bull.id)) ?? bull.timestamp);
    }
  }

  /**
   * A slice too large to read: its size is Redis's count, its jobs' types (and, parked or failed,
   * their states) are estimated from an even sample, and its oldest job is found inside Redis.
   * A job of a waiting set counts as incoming (one held while it waited, until a drainer parks
   * it, or a foreign producer's unparsable one, until a drainer sets it aside).
   */
  private async sampleSlice(
    slice: StatusSlice,
    sampleSize: number,
    status: SpoolStatus,
    consider: (id: string, ms: number) => void,
    sampled: SampledCounts,
  ): Promise<void> {
    const key = this.queue.toKey(slice.key);
    const ids = await this.pipelined(
      sampleRanks(slice.from, slice.to, sampleSize).map((r) =>
        slice.list ? ['lrange', key, r, r] : ['zrange', key, r, r],
      ),
    );
    const rows = await this.pipelined(
      ids.flatMap((found) =>
        Array.isArray(found) && found[0] ? [['hmget', this.queue.toKey(String(found[0])), 'name', 'data']] : [],
      ),
    );
    const seen = new Map<string, number>(); // `STATE TYPE` (corrupt: no type)
    for (const row of rows) {
      const [name, data] = row as [string | null, string | null];
      if (name === null) continue; // delivered or removed since it was counted
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(data ?? 'null');
      } catch {
        // unparsable: corrupt
      }
      const state = slice.state ?? classify(slice.type, parsed);
      if (!state) continue;
      const k = state === 'corrupt' ? state : `${state} ${name}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    const size = slice.to - slice.from;
    if (slice.state) status[slice.state] += size;
    for (const [k, n] of scaleCounts(seen, size)) {
      const [state, type] = k.split(' ') as [JobState, string | undefined];
      if (!slice.state) status[state] += n;
      if (type === undefined) continue;
      const counts = (status.byType[type] ??= {});
      counts[state] = (counts[state] ?? 0) + n;
      sampled.estimated.push(`byType.${state}`);
    }
    if (!slice.state) for (const [k] of seen) sampled.estimated.push(k.split(' ')[0]!);
    sampled.jobs += rows.length;
    sampled.of += size;
    if (slice.state === 'incoming' || slice.state === 'active' || slice.state === 'deferred')
      await this.oldestIn(slice, consider);
  }

  /**
   * The oldest job of a slice, compared inside Redis a slice of ids per script call; the calls
   * go in one pipeline (Redis serves other clients between them), not one round trip each.
   */
  private async oldestIn(slice: StatusSlice, consider: (id: string, ms: number) => void): Promise<void> {
    const calls: (string | number)[][] = [];
    for (let start = slice.from; start < slice.to; start += OLDEST_SLICE) {
      const stop = Math.min(slice.to, start + OLDEST_SLICE) - 1;
      const set = this.queue.toKey(slice.key);
      calls.push(['eval', OLDEST_IN_RANGE, 2, set, this.queue.toKey(''), slice.list ? 'l' : 'z', start, stop]);
    }
    for (const reply of await this.pipelined(calls)) {
      if (reply instanceof Error) throw unreachable(this.target, reply);
      const [ulid, other, ts] = reply as [string, string, string];
      if (ulid) consider(ulid, timeOfId(ulid)!);
      if (other) consider(other, Number(ts));
    }
  }

  /** Sends commands in one round trip; the replies in order (a failed command: its error). */
  private async pipelined(commands: (string | number)[][]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    const replies = await this.guard(this.redis.pipeline(commands).exec(), 'status');
    return (replies ?? []).map(([err, reply]) => err ?? reply);
  }

  async backlog(readLimit = STATUS_READ_LIMIT): Promise<number> {
    const c = await this.guard(this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed'), 'count');
    let n = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0);
    if ((c.delayed ?? 0) > readLimit)
      return (
        n +
        (await this.guard(
          this.redis.zcount(this.queue.toKey('delayed'), '-inf', String(PARKED_FROM * 0x1000 - 1)),
          'count',
        ))
      );
    for await (const _ of this.jobsIn('deferred')) n += 1;
    return n;
  }

  private listed(bull: BullJob, state: JobState): ListedJob {
    const base: ListedJob = { id: String(bull.id), state, file: this.where(String(bull.id)) };
    if (state === 'active') base.claimedBy = bull.processedBy ?? 'unknown';
    const parsed = parseJob(JSON.stringify(bull.data ?? null));
    if (!parsed.ok)
      return {
        ...base,
        problem: (bull.data as Data | undefined)?.problem ? String((bull.data as Data).problem) : parsed.reason,
      };
    return listedOf(base, parsed.job, state === 'dead' ? bull.failedReason : undefined);
  }

  async *list(states: readonly JobState[]): AsyncIterable<ListedJob> {
    for (const state of states) for await (const { bull } of this.jobsIn(state)) yield this.listed(bull, state);
  }

  private busy(id: string, bull: BullJob): TemporaryError {
    return new TemporaryError(
      `job ${id} is being delivered right now (claimed by ${bull.processedBy ?? 'a drainer'})`,
      { hint: 'try again when the drain has settled it' },
    );
  }

  async retry(id: string, _claimer: Claimer, now: number): Promise<void> {
    const { bull, state } = await this.mustFind(id);
    if (state === 'active') throw this.busy(id, bull);
    if (state !== 'deferred' && state !== 'dead') {
      throw new DataError(`job ${id} is ${state}; only deferred or dead jobs can be retried`, {
        hint: state === 'hold' ? 'use `mailctl queue release ID`' : undefined,
      });
    }
    if (!(await this.retryBull(bull, state, now)))
      throw new TemporaryError(`job ${id} moved while it was being retried; try again`);
  }

  private async retryBull(bull: BullJob, state: JobState, now: number): Promise<boolean> {
    const parsed = parseJob(JSON.stringify(bull.data));
    if (!parsed.ok) return false;
    const job = parsed.job;
    job.nextAttemptAt = iso(now);
    if (state === 'dead') {
      job.attempts = 0;
      delete job.deadReason;
      delete job.diedAt;
    }
    try {
      await this.guard(bull.updateData(job), 'update');
      const s = await this.guard(bull.getState(), 'state');
      if (s === 'failed') await this.guard(bull.retry('failed'), 'retry');
      else if (s === 'delayed') await this.guard(bull.promote(), 'promote');
      else return false;
      return true;
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      return false;
    }
  }

  async retryAll(_claimer: Claimer, now: number): Promise<number> {
    let n = 0;
    for (const state of ['deferred', 'dead'] as const) {
      const batch: BullJob[] = [];
      for await (const { bull } of this.jobsIn(state)) batch.push(bull);
      for (const bull of batch) if (await this.retryBull(bull, state, now)) n += 1;
    }
    return n;
  }

  async hold(id: string): Promise<{ id: string; from: JobState; changed: boolean }> {
    const { bull, state } = await this.mustFind(id);
    if (state === 'hold') return { id, from: 'hold', changed: false };
    if (state === 'active') throw this.busy(id, bull);
    if (state !== 'incoming' && state !== 'deferred') {
      throw new DataError(`job ${id} is ${state}; only incoming or deferred jobs can be held`, {
        hint: state === 'dead' ? 'use `mailctl queue retry ID` to deliver it again' : undefined,
      });
    }
    // Held = delayed forever with a flag in the data. A waiting job cannot be delayed from
    // outside, so the flag is set and the job promoted: the first drainer to take it parks it.
    await this.guard(bull.updateData({ ...(bull.data as Data), held: true }), 'update');
    const now = await this.guard(bull.getState(), 'state');
    if (now === 'delayed') await this.guard(bull.changeDelay(HOLD_UNTIL - Date.now()), 'delay');
    return { id, from: state, changed: true };
  }

  async release(id: string, now: number): Promise<ReleaseResult> {
    const { bull, state } = await this.mustFind(id);
    if (state !== 'hold') return { id, to: state, changed: false };
    const data = { ...(bull.data as Data) };
    delete data.held;
    await this.guard(bull.updateData(data), 'update');
    const due = Date.parse(String(data.nextAttemptAt));
    if ((await this.guard(bull.getState(), 'state')) !== 'delayed') return { id, to: 'incoming', changed: true }; // held while waiting: never parked
    if (due > now) {
      await this.guard(bull.changeDelay(due - Date.now()), 'delay');
      return { id, to: 'deferred', changed: true };
    }
    await this.guard(bull.promote(), 'promote');
    return { id, to: 'incoming', changed: true };
  }

  async show(id: string): Promise<ShownJob> {
    const { bull, state } = await this.mustFind(id);
    const listed = this.listed(bull, state);
    const shown: ShownJob = { id: listed.id, state, location: listed.file };
    if (listed.claimedBy !== undefined) shown.claimedBy = listed.claimedBy;
    const parsed = parseJob(JSON.stringify(bull.data ?? null));
    if (parsed.ok) shown.job = parsed.job;
    else shown.problem = listed.problem ?? parsed.reason;
    return shown;
  }

  async remove(id: string): Promise<{ id: string; from: JobState }> {
    const { bull, state } = await this.mustFind(id);
    if (state === 'active') throw this.busy(id, bull);
    try {
      await this.guard(bull.remove(), 'remove');
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      throw new TemporaryError(`job ${id} is being delivered right now`, {
        hint: 'try again when the drain has settled it',
        cause: err,
      });
    }
    return { id, from: state };
  }

  async purge(state: JobState, olderThanMs: number, now: number, dryRun = false): Promise<number> {
    const victims: BullJob[] = [];
    for await (const { bull } of this.jobsIn(state)) {
      const data = bull.data as Data | undefined;
      const written =
        typeof data?.diedAt === 'string'
          ? Date.parse(data.diedAt)
          : (bull.finishedOn ?? bull.processedOn ?? bull.timestamp);
      if (now - written >= olderThanMs) victims.push(bull);
    }
    if (dryRun) return victims.length;
    let n = 0;
    for (const bull of victims) {
      try {
        await this.guard(bull.remove(), 'remove');
        n += 1;
      } catch (err) {
        if (err instanceof UnavailableError) throw err;
        // locked (claimed meanwhile) or gone
      }
    }
    return n;
  }

  private stateKey(name: string): string {
    return `bull:${this.target.queue}:mailctl:${name}`;
  }

  async readState(name: string): Promise<unknown> {
    const text = await this.guard(this.redis.get(this.stateKey(name)), 'GET');
    if (text === null) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  async writeState(name: string, data: unknown): Promise<void> {
    await this.guard(this.redis.set(this.stateKey(name), JSON.stringify(data)), 'SET');
  }

  async *exportJobs(): AsyncIterable<ExportedJob> {
    for (const type of ['waiting', 'prioritized', 'delayed', 'failed'] as JobType[]) {
      // Listed first: the caller removes what it has copied, which would shift the pages.
      const jobs: BullJob[] = [];
      for await (const bull of this.pages([type])) jobs.push(bull);
      for (const bull of jobs) {
        const state = classify(type, bull.data);
        if (!state || state === 'active') continue;
        const parsed = parseJob(JSON.stringify(bull.data ?? null));
        const id = String(bull.id);
        let out: ExportedJob;
        if (parsed.ok) {
          const job = parsed.job;
          out = { id, state, job };
        } else {
          const data = bull.data as Data | undefined;
          out = {
            id,
            state: 'corrupt',
            raw: typeof data?.corrupt === 'string' ? data.corrupt : JSON.stringify(bull.data),
            problem: parsed.reason,
          };
        }
        (out as ExportedJob & { bull?: BullJob }).bull = bull;
        yield out;
      }
    }
  }

  async importJob(entry: ExportedJob, now: number): Promise<boolean> {
    if (await this.guard(this.queue.getJob(entry.id), 'get')) return false;
    const job: Job = entry.job ?? {
      version: 1,
      id: entry.id,
      type: 'corrupt',
      to: '-',
      vars: {},
      priority: 99,
      createdAt: iso(now),
      attempts: 0,
      nextAttemptAt: iso(now),
      history: [],
    };
    await this.guard(this.addBull(job, entry.state, now, entry.job ? undefined : (entry.raw ?? '')), 'add');
    return true;
  }

  async removeExported(entry: ExportedJob): Promise<boolean> {
    const bull = (entry as ExportedJob & { bull?: BullJob }).bull;
    if (!bull) return false;
    try {
      await this.guard(bull.remove(), 'remove');
      return true;
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      return false;
    }
  }

  async close(): Promise<void> {
    await within(this.queue.close(), 5_000, 'close').catch(() => {});
    this.redis.disconnect();
  }

  /** Waits for a drainer's workers, abandoning (not losing) in-flight jobs when Redis is gone. */
  async drain(options: BackendDrainOptions): Promise<DrainSummary> {
    return runDrain(this, options, () => this.downSince !== undefined);
  }
}

async function runDrain(
  backend: RedisBackend,
  options: BackendDrainOptions,
  isDown: () => boolean,
): Promise<DrainSummary> {
  const { policy, clock, claimer } = options;
  const t = backend.target;
  const concurrency = Math.max(1, options.concurrency ?? 5);
  const watch = options.watch === true;
  const maxPauseMs = options.maxPauseMs ?? 60_000;
  const started = clock.now();
  const summary: DrainSummary = {
    delivered: 0,
    deferred: 0,
    dead: 0,
    corrupt: 0,
    expired: 0,
    recovered: 0,
    released: 0,
    backpressure: 0,
    durationMs: 0,
  };

  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort();
    emit({ type: 'stopping', count: inFlight });
  };
  if (options.signal.aborted) stop.abort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  let done = 0;
  let inFlight = 0;
  let waiting = 0;
  let fatal: unknown;
  const emit = (e: Omit<DrainEvent, 'done' | 'total'>): void =>
    options.onEvent?.({ ...e, done, total: done + inFlight + waiting });
  const pause = createDrainPause({
    clock,
    stop,
    watch,
    concurrency,
    maxPauseMs,
    minBackoffMs: policy.minBackoffMs,
    emit,
    summary,
  });
  const settle = (outcome: Outcome, id: string | undefined): void => {
    done += 1;
    if (outcome !== 'released') summary[outcome] += 1;
    else summary.released += 1;
    // The job settling is still counted in flight: leave it out once, so the total ends at `done`.
    options.onEvent?.({ type: 'settled', outcome, id, done, total: done + inFlight - 1 + waiting });
  };

  // BullMQ's rate limiter spaces the jobs; the gate waits out a provider pause only.
  const ctx = { ...options, pause, gate: (): Promise<boolean> => pause.wait() };
  // BullMQ's delay is relative to its own clock: a past time (0) means "due at once".
  const backAtOnce = async (bull: BullJob, token: string): Promise<never> => {
    await bull.moveToDelayed(0, token);
    throw new DelayedError();
  };

  const handle = async (bull: BullJob, token: string): Promise<void> => {
    const data = bull.data as Data;
    const parsed = parseJob(JSON.stringify(data ?? null), clock.now());
    if (!parsed.ok) {
      settle('corrupt', String(bull.id));
      throw new UnrecoverableError(`corrupt: ${parsed.reason}`);
    }
    const job = parsed.job;
    if (job.deadReason) throw new UnrecoverableError(`${job.deadReason}: ${job.lastError?.message ?? ''}`); // died just before its drainer
    if (data.held === true) {
      // Held while it waited (see hold()): park it.
      await bull.moveToDelayed(HOLD_UNTIL, token);
      throw new DelayedError();
    }
    let r: DeliveryResult;
    try {
      r = await deliverOne(job, ctx, {
        complete: () => {}, // BullMQ completes (and removes) the job when this processor returns
        defer: async (deferred, at) => {
          await bull.updateData(deferred);
          await bull.moveToDelayed(at, token);
        },
        // The data first: a drainer that dies here leaves a job that says it is dead, and the
        // next one to take it only moves it to failed.
        dead: (died) => bull.updateData(died),
        release: () => {},
      });
    } catch (err) {
      if (!(err instanceof MailctlError && err.exitCode === ExitCode.CONFIG)) throw err;
      fatal ??= err;
      stop.abort();
      settle('released', job.id);
      return backAtOnce(bull, token);
    }
    if (r.lastError !== undefined) summary.lastError = r.lastError;
    if (r.backpressure) summary.backpressure += 1;
    settle(r.outcome, job.id);
    if (r.outcome === 'released') return backAtOnce(bull, token);
    if (r.outcome === 'deferred') throw new DelayedError();
    if (r.outcome === 'dead' || r.outcome === 'expired')
      throw new UnrecoverableError(`${job.deadReason}: ${job.lastError?.message ?? ''}`);
  };

  const limiter = options.ratePerSecond
    ? options.ratePerSecond <= 1000
      ? { max: 1, duration: Math.max(1, Math.round(1000 / options.ratePerSecond)) }
      : { max: Math.round(options.ratePerSecond / 1000), duration: 1 }
    : undefined;
  const worker = new Worker(
    t.queue,
    async (bull: BullJob, token?: string) => {
      inFlight += 1;
      try {
        await handle(bull, token ?? '');
      } finally {
        inFlight -= 1;
      }
    },
    {
      connection: connectionOptions(t, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 100, 500) }),
      concurrency,
      name: claimTag(claimer),
      lockDuration: t.lockMs,
      stalledInterval: t.stalledMs,
      maxStalledCount: MAX_STALLED,
      autorun: false,
      ...(limiter ? { limiter } : {}),
    },
  );
  worker.on('error', () => {}); // connection trouble is watched below
  worker.on('stalled', (id) => {
    summary.recovered += 1;
    emit({ type: 'recovered', count: 1, id });
  });

  const q = backend.queue;
  try {
    await within(worker.waitUntilReady(), t.timeoutMs, 'worker').catch((err: unknown) => {
      throw unreachable(t, err);
    });
    if (options.flush === true)
      await within(q.promoteJobs(), t.timeoutMs, 'promote').catch((err: unknown) => {
        throw unreachable(t, err);
      });
    const running = worker.run().catch((err: unknown) => {
      fatal ??= err;
      stop.abort();
    });
    // One-shot: stop once nothing is due and nothing is in flight here. Jobs still active
    // elsewhere are either being delivered by a live drainer or belong to a dead one and come
    // back when their lock expires: wait for that long before calling the spool empty.
    let idleSince: number | undefined;
    let downAt: number | undefined;
    for (;;) {
      if (stop.signal.aborted) break;
      await clock.sleep(watch ? 500 : 100, stop.signal);
      // Measured on the drain's clock from when this loop first saw the connection down.
      if (!isDown()) downAt = undefined;
      else downAt ??= clock.now();
      if (downAt !== undefined && clock.now() - downAt > t.timeoutMs) {
        fatal ??= new UnavailableError(
          `lost Redis at ${t.display} for more than ${Math.round(t.timeoutMs / 1000)} s; jobs in flight stay claimed and go back to the queue when their lock expires`,
          { hint: 'check that redis-server is running; then run the drain again' },
        );
        break;
      }
      if (downAt !== undefined) continue;
      let counts: Record<string, number>;
      try {
        counts = await within(q.getJobCounts('waiting', 'prioritized', 'active'), 2_000, 'count');
      } catch {
        continue; // the connection check above decides
      }
      waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
      if (watch) continue;
      if (waiting > 0 || inFlight > 0) {
        idleSince = undefined;
        continue;
      }
      if ((counts.active ?? 0) === 0) break;
      idleSince ??= clock.now();
      if (clock.now() - idleSince > t.lockMs + 2 * t.stalledMs) break;
    }
    stop.abort();
    // Stop taking jobs and let the in-flight ones finish; when Redis is gone they cannot be
    // settled, and stay claimed in Redis until another drainer recovers them.
    const lost = fatal instanceof UnavailableError;
    await within(worker.close(lost), lost ? 2_000 : 10 * 60_000, 'close').catch(() => {});
    await within(running, 2_000, 'stop').catch(() => {});
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await within(worker.disconnect(), 2_000, 'disconnect').catch(() => {});
  }
  if (fatal) throw fatal;
  summary.durationMs = clock.now() - started;
  return summary;
}

/**
 * `verify-config --connect` with a Redis spool: reach Redis, then check the persistence the
 * spool's guarantees assume. A job is acknowledged (enqueue returned, a drainer settled it) once
 * Redis has it in memory; only the append-only file keeps it across a restart of Redis:
 * appendonly yes with appendfsync always loses nothing, everysec at most about a second of
 * writes, no (the OS flushes when it likes) up to ~30 s; with appendonly no, a restart loses
 * everything since the last RDB snapshot.
 */
export async function probeRedisSpool(target: RedisTarget): Promise<{
  ok: boolean;
  exitCode: number;
  stages: { name: string; ok: boolean; ms: number; sent?: string; reply?: string; warning?: string }[];
  error?: string;
  hint?: string;
}> {
  const stages: { name: string; ok: boolean; ms: number; sent?: string; reply?: string; warning?: string }[] = [];
  let t0 = Date.now();
  let backend: RedisBackend;
  try {
    backend = await RedisBackend.connect(target);
  } catch (err) {
    const e = err as MailctlError;
    stages.push({ name: 'redis', ok: false, ms: Date.now() - t0, sent: 'PING', reply: e.message });
    return {
      ok: false,
      exitCode: e.exitCode ?? ExitCode.UNAVAILABLE,
      stages,
      error: e.message,
      hint: e.hint ?? 'check MAILCTL_SPOOL_URL',
    };
  }
  try {
    stages.push({ name: 'redis', ok: true, ms: Date.now() - t0, sent: 'PING', reply: `PONG from ${target.display}` });
    const get = async (name: string): Promise<string | undefined> => {
      t0 = Date.now();
      try {
        const r = (await within(backend.redis.call('CONFIG', 'GET', name), target.timeoutMs, 'CONFIG GET')) as string[];
        return r[1];
      } catch {
        return undefined; // CONFIG may be disabled (managed Redis): say we could not tell
      }
    };
    const aof = await get('appendonly');
    const fsync = await get('appendfsync');
    if (aof === undefined) {
      stages.push({
        name: 'persist',
        ok: true,
        ms: Date.now() - t0,
        sent: 'CONFIG GET appendonly',
        reply: 'not allowed',
        warning:
          'cannot read the persistence settings (CONFIG is disabled); make sure appendonly is yes with appendfsync everysec or always, or a restart of Redis loses queued jobs',
      });
    } else if (aof !== 'yes') {
      stages.push({
        name: 'persist',
        ok: true,
        ms: Date.now() - t0,
        sent: 'CONFIG GET appendonly',
        reply: aof,
        warning:
          'appendonly is no: a restart of Redis loses every job queued since the last snapshot; set appendonly yes',
      });
    } else {
      stages.push({ name: 'persist', ok: true, ms: Date.now() - t0, sent: 'CONFIG GET appendonly', reply: aof });
      const stage: { name: string; ok: boolean; ms: number; sent?: string; reply?: string; warning?: string } = {
        name: 'fsync',
        ok: true,
        ms: Date.now() - t0,
        sent: 'CONFIG GET appendfsync',
        reply: fsync ?? 'unknown',
      };
      if (fsync === 'no')
        stage.warning =
          'appendfsync is no: a crash of the Redis host can lose about 30 s of acknowledged jobs; set appendfsync everysec (at most 1 s) or always (nothing)';
      else if (fsync === 'everysec')
        stage.reply = 'everysec (a crash of the Redis host can lose up to 1 s of acknowledged jobs; always loses none)';
      stages.push(stage);
    }
    return { ok: true, exitCode: 0, stages };
  } finally {
    await backend.close();
  }
}
