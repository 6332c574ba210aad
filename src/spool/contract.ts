/**
 * The spool's contract, owned by no backend (as BullMQ keeps src/interfaces/queue-backend.ts
 * apart from its classes): what a backend is (SpoolBackend), what a drain is given and reports
 * (options, events, summary), and what `queue` shows (status, listed jobs). The file spool
 * (spool/file/) and the Redis spool (spool/redis/) implement it; commands, output and the
 * library API read only these types.
 */
import type { Redactor } from '../config/redact.js';
import type { Clock } from '../context.js';
import type { OutgoingMessage } from '../message/types.js';
import type { Provider } from '../providers/types.js';
import type { RetryPolicy } from './backoff.js';
import type { Job, JobState } from './job.js';

/** Who holds a claim: recovery checks that this process is still alive. */
export interface Claimer {
  pid: number;
  host: string;
}

/** A claimer as one token (`PID@HOST`): the file spool's claim prefix, the Redis worker's name. */
export function claimTag(claimer: Claimer): string {
  return `${claimer.pid}@${claimer.host.replace(/[^A-Za-z0-9.-]/g, '-')}`;
}

export type Outcome = 'delivered' | 'deferred' | 'dead' | 'expired' | 'corrupt' | 'released';

export interface DrainEvent {
  /** `stopping`: the first SIGINT/SIGTERM; `count` is the jobs still in flight, which are finished. */
  type: 'scan' | 'settled' | 'pause' | 'recovered' | 'stopping';
  outcome?: Outcome | undefined;
  id?: string | undefined;
  /** For `scan`: jobs found; for `recovered`: claims returned. */
  count?: number | undefined;
  /** For `pause`: until when (ms). */
  until?: number | undefined;
  /** Jobs settled so far and the best estimate of the total. */
  done: number;
  total: number;
}

/** What a drain did: the summary line and `drain --json`. */
export interface DrainSummary {
  delivered: number;
  deferred: number;
  dead: number;
  corrupt: number;
  expired: number;
  /** Claims left by dead processes and returned to the spool. */
  recovered: number;
  /** Unstarted claims put back on shutdown. */
  released: number;
  /** Deferrals because the provider asked to slow down (not counted as attempts). */
  backpressure: number;
  durationMs: number;
  /** Set when a one-shot drain stopped because the provider asked for a long pause. */
  pausedUntil?: string | undefined;
  /** Why a one-shot drain stopped before the spool was empty. */
  stopped?: 'backpressure' | 'unreachable' | undefined;
  /** The last failed attempt's error (provider's words included), when any attempt failed. */
  lastError?: string | undefined;
  /**
   * Set when the spool could not record an attempt (a full disk): those jobs were kept as they
   * were, under their new due time, and the drain went on. `exitCode` is the contract's (75).
   */
  spoolError?: SpoolFault | undefined;
  /** Entries set aside in corrupt/ (or left in active/) by this drain and why; the first 20. */
  quarantined?: Quarantined[] | undefined;
}

/** An entry set aside, and why. */
export interface Quarantined {
  file: string;
  reason: string;
}

/** A file-system fault of the spool, as the operator reads it. */
export interface SpoolFault {
  message: string;
  hint?: string | undefined;
  exitCode: number;
  /** Attempts that could not be written into their job. */
  unrecorded: number;
}

export interface BackendDrainOptions {
  provider: Provider;
  /** Renders and composes a job's message (the same checks as enqueue). Throws for bad content. */
  prepare: (job: Job) => OutgoingMessage | Promise<OutgoingMessage>;
  policy: RetryPolicy;
  clock: Clock;
  random: () => number;
  signal: AbortSignal;
  claimer: Claimer;
  /** Whether a process id is alive (`process.kill(pid, 0)`); without it no claim is recovered. */
  isAlive?: ((pid: number) => boolean) | undefined;
  /** @defaultValue 5 */
  concurrency?: number | undefined;
  /** Sends per second across all workers; undefined = no limit. */
  ratePerSecond?: number | undefined;
  /** Also try deferred jobs that are not due yet (postqueue -f). */
  flush?: boolean | undefined;
  /** Keep going until `signal` aborts. */
  watch?: boolean | undefined;
  /** `watch`: time between periodic scans. @defaultValue 2000 */
  scanIntervalMs?: number | undefined;
  /** `watch`: time between recoveries of dead claims. @defaultValue 30000 */
  recoverIntervalMs?: number | undefined;
  /** One-shot drain: a provider pause longer than this ends the run. @defaultValue 60000 */
  maxPauseMs?: number | undefined;
  onEvent?: ((event: DrainEvent) => void) | undefined;
  /** Scrubs secrets a provider echoed into an error (history, lastError) before the job is written. */
  redactor?: Pick<Redactor, 'redactJob'> | undefined;
}

export interface SpoolStatus {
  /** Whether the spool exists: a missing directory is not an empty queue (Redis: reachable). */
  present: boolean;
  incoming: number;
  active: number;
  deferred: number;
  hold: number;
  dead: number;
  corrupt: number;
  /** incoming + active + deferred: what is still to be delivered. */
  backlog: number;
  /** Age in seconds of the oldest job still to be delivered (incoming, active, deferred); null when none. */
  oldestAgeSeconds: number | null;
  oldestId: string | null;
  /** Jobs per mail type and state (corrupt files have no type). */
  byType: Record<string, Partial<Record<JobState, number>>>;
  /** Only when some counts are estimates (a Redis set too large to read job by job): see {@link SampledCounts}. */
  sampled?: SampledCounts | undefined;
}

/** Which counts of a status are estimated from a sample, and from how many jobs. */
export interface SampledCounts {
  /** Jobs read. */
  jobs: number;
  /** Jobs in the sets they were drawn from. */
  of: number;
  /** The keys that hold estimates: `byType.STATE` for the per-type counts of a state, or a state. */
  estimated: string[];
}

/** A status with nothing counted yet, for a backend to fill in. */
export function emptyStatus(present: boolean): SpoolStatus {
  return {
    present,
    incoming: 0,
    active: 0,
    deferred: 0,
    hold: 0,
    dead: 0,
    corrupt: 0,
    backlog: 0,
    oldestAgeSeconds: null,
    oldestId: null,
    byType: {},
  };
}

/** One line of `queue list --json` (postqueue -j). Variables are never listed: they carry codes. */
export interface ListedJob {
  id: string;
  state: JobState;
  type?: string | undefined;
  priority?: number | undefined;
  to?: string | undefined;
  lang?: string | undefined;
  createdAt?: string | undefined;
  nextAttemptAt?: string | undefined;
  expiresAt?: string | undefined;
  attempts?: number | undefined;
  messageId?: string | undefined;
  deadReason?: string | undefined;
  lastError?: Job['lastError'];
  /** active: who holds the claim, `PID@HOST` */
  claimedBy?: string | undefined;
  /** corrupt, or unreadable: why */
  problem?: string | undefined;
  file: string;
}

/**
 * A parsed job's line of `queue list` on top of `base` (id, state, file, claimedBy), the same for
 * every backend; `deadReason` stands in when the job records none (BullMQ's failedReason).
 */
export function listedOf(base: ListedJob, j: Job, deadReason?: string): ListedJob {
  const out: ListedJob = {
    ...base,
    type: j.type,
    priority: j.priority,
    to: j.to,
    createdAt: j.createdAt,
    nextAttemptAt: j.nextAttemptAt,
    attempts: j.attempts,
  };
  if (j.lang) out.lang = j.lang;
  if (j.expiresAt) out.expiresAt = j.expiresAt;
  if (j.messageId) out.messageId = j.messageId;
  if (j.deadReason) out.deadReason = j.deadReason;
  else if (deadReason) out.deadReason = deadReason;
  if (j.lastError) out.lastError = j.lastError;
  return out;
}

/** One job as `spool migrate` moves it: its state and content (raw text when it cannot be parsed). */
export interface ExportedJob {
  id: string;
  state: JobState;
  job?: Job | undefined;
  /** corrupt: the text as found */
  raw?: string | undefined;
  /** corrupt: why */
  problem?: string | undefined;
}

export interface SpoolBackend {
  readonly kind: 'file' | 'redis';
  /** Where the spool is, for output: a directory, or the Redis URL without its password. */
  readonly location: string;
  /** Durably adds a new job (due at its nextAttemptAt); returns where it is (a path, or URL#id). */
  add(job: Job): Promise<string>;
  /** Delivers what is due (see drain.ts for the file spool's loop); the same summary on both. */
  drain(options: BackendDrainOptions): Promise<DrainSummary>;
  status(now: number): Promise<SpoolStatus>;
  /** incoming + active + deferred */
  backlog(): Promise<number>;
  list(states: readonly JobState[]): AsyncIterable<ListedJob>;
  retry(id: string, claimer: Claimer, now: number): Promise<void>;
  retryAll(claimer: Claimer, now: number): Promise<number>;
  hold(id: string): Promise<{ id: string; from: JobState; changed: boolean }>;
  /** A job not on hold is left alone: `changed: false`. */
  release(id: string, now: number): Promise<ReleaseResult>;
  /** `queue show ID` (postcat -q). */
  show(id: string): Promise<ShownJob>;
  /** `queue delete ID` (postsuper -d): any state but active. */
  remove(id: string): Promise<{ id: string; from: JobState }>;
  /** Deletes (or with dryRun only counts) the jobs of a state older than `olderThanMs`. */
  purge(state: JobState, olderThanMs: number, now: number, dryRun?: boolean): Promise<number>;
  /** Small state documents (the queue monitor's). */
  readState(name: string): Promise<unknown>;
  writeState(name: string, data: unknown): Promise<void>;
  /** Every job not being delivered right now (active ones are skipped: their drainer owns them). */
  exportJobs(): AsyncIterable<ExportedJob>;
  /** Puts a job into `state` unless a job with its id is already here; true when it was added. */
  importJob(entry: ExportedJob, now: number): Promise<boolean>;
  /** Deletes a job that `exportJobs` listed (after it was copied elsewhere); false when it moved. */
  removeExported(entry: ExportedJob): Promise<boolean>;
  close(): Promise<void>;
}

export interface ReleaseResult {
  id: string;
  /** Where the job is now. */
  to: JobState;
  /** false when it was not on hold. */
  changed: boolean;
}

/** One job as `queue show` prints it (postcat -q): the whole job, or the text of a corrupt one. */
export interface ShownJob {
  id: string;
  state: JobState;
  /** Its file, or `redis://…#QUEUE/ID`. */
  location: string;
  job?: Job | undefined;
  /** corrupt or unparsable: why */
  problem?: string | undefined;
  /** active: who holds the claim */
  claimedBy?: string | undefined;
}
