/**
 * The retry policy's one decision, shared by both spool backends: what becomes of a job whose
 * delivery attempt failed. Pure: it updates the job (attempts, history, lastError,
 * nextAttemptAt) and says whether the job is deferred or dead; the caller moves it.
 */
import { DeliveryError, ExitCode, type FailureKind } from '../errors.js';
import { nextAttemptAt, type RetryPolicy } from './backoff.js';
import { HISTORY_LIMIT, type AttemptRecord, type DeadReason, type Job, type JobError } from './job.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export type ClassifiedError = JobError & { backpressure: boolean; retryAfterMs: number | undefined };

/** A thrown delivery failure as the job records it. */
export function errorOf(err: unknown, at: string): ClassifiedError {
  if (err instanceof DeliveryError) {
    const code = err.reply.responseCode ?? err.reply.status;
    // A refused login (535, HTTP 401/403) is the configuration's fault, not the job's: retry it
    // once the operator has fixed the credentials instead of sending every job to dead.
    const kind: FailureKind = err.exitCode === ExitCode.NOPERM ? 'transient' : err.kind;
    const e: ClassifiedError = {
      at,
      message: err.message,
      kind,
      provider: err.reply.provider,
      backpressure: kind === 'transient' && err.retryAfterMs !== undefined && err.retryAfterMs > 0,
      retryAfterMs: err.retryAfterMs,
    };
    if (code !== undefined) e.code = code;
    if (err.reply.reply !== undefined) e.reply = err.reply.reply;
    return e;
  }
  // Not classified (a network error a provider did not wrap, or a bug): retry rather than lose it.
  return {
    at,
    message: err instanceof Error ? err.message : String(err),
    kind: 'transient',
    backpressure: false,
    retryAfterMs: undefined,
  };
}

/** One line for the operator: our message, then the provider's own words when it said any. */
export function describeError(error: JobError | undefined): string | undefined {
  if (!error) return undefined;
  return error.reply && !error.message.includes(error.reply)
    ? `${error.message} (${error.provider ?? 'provider'} said: ${error.reply})`
    : error.message;
}

/** Appends to the job's history, keeping the last HISTORY_LIMIT attempts. */
export function record(job: Job, entry: AttemptRecord): void {
  job.history.push(entry);
  if (job.history.length > HISTORY_LIMIT) job.history.splice(0, job.history.length - HISTORY_LIMIT);
}

export type FailureDecision = { action: 'dead'; reason: DeadReason; error: JobError } | { action: 'defer'; at: number };

export interface FailureResult {
  decision: FailureDecision;
  /** Set when the provider asked us to wait (HTTP 429 reset, SMTP 421): pause all sending. */
  backpressure: { until: number; retryAfterMs: number } | undefined;
}

/**
 * Back-pressure defers the job until the provider's time without burning an attempt; any other
 * transient failure counts an attempt and backs off with jitter; permanent failures, exhausted
 * attempts and jobs that would outlive MAILCTL_MAX_LIFETIME are dead.
 */
export function decideAfterFailure(
  job: Job,
  err: unknown,
  policy: RetryPolicy,
  now: number,
  random: () => number,
): FailureResult {
  const { backpressure, retryAfterMs, ...error } = errorOf(err, iso(now));
  const entry: AttemptRecord = { at: error.at, ok: false, kind: error.kind, error: error.message };
  if (error.code !== undefined) entry.code = error.code;
  if (error.reply !== undefined) entry.reply = error.reply;
  const outlives = (at: number): boolean => at - Date.parse(job.createdAt) > policy.maxLifetimeMs;
  const dead = (reason: DeadReason): FailureDecision => ({ action: 'dead', reason, error });

  if (backpressure && retryAfterMs !== undefined) {
    entry.backpressure = true;
    record(job, entry);
    job.lastError = error;
    // A provider's wait is a request, not an order: `Retry-After: 99999999999` must not send a job
    // straight to dead as if it had outlived MAILCTL_MAX_LIFETIME. It is capped at the longest
    // backoff the policy would wait anyway.
    const wait = Math.min(retryAfterMs, policy.maxBackoffMs);
    const until = now + wait;
    job.nextAttemptAt = iso(until);
    return {
      decision: outlives(until) ? dead('max-lifetime') : { action: 'defer', at: until },
      backpressure: { until, retryAfterMs: wait },
    };
  }

  job.attempts += 1;
  record(job, entry);
  job.lastError = error;
  if (error.kind === 'permanent') return { decision: dead('permanent'), backpressure: undefined };
  if (job.attempts >= policy.maxAttempts) return { decision: dead('max-attempts'), backpressure: undefined };
  const next = nextAttemptAt(job.attempts, policy, now, random);
  if (outlives(next)) return { decision: dead('max-lifetime'), backpressure: undefined };
  job.nextAttemptAt = iso(next);
  return { decision: { action: 'defer', at: next }, backpressure: undefined };
}
