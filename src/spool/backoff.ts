/**
 * Retry timing: exponential backoff with jitter between a minimum and a maximum, as Postfix's
 * minimal_backoff_time / maximal_backoff_time. Pure: attempt, policy, now and a random source in,
 * a time out, so it is table-tested.
 */

/** When and how often a job is retried. */
export interface RetryPolicy {
  /** Attempts before a job goes to dead. @defaultValue 8 (MAILCTL_MAX_ATTEMPTS) */
  maxAttempts: number;
  /** First retry delay. @defaultValue 30 s (MAILCTL_BACKOFF_MIN) */
  minBackoffMs: number;
  /** Longest retry delay. @defaultValue 1 h (MAILCTL_BACKOFF_MAX) */
  maxBackoffMs: number;
  /** A job still undelivered this long after it was queued goes to dead. @defaultValue 5 d (MAILCTL_MAX_LIFETIME) */
  maxLifetimeMs: number;
}

/**
 * The delay before the next attempt after `attempt` failed attempts (1 = the first failed).
 * The base doubles per attempt from the minimum; jitter spreads it over 0.5x–1.5x the base so
 * that jobs that failed together do not come back together; the result stays within
 * [minBackoffMs, maxBackoffMs].
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'minBackoffMs' | 'maxBackoffMs'>,
  random: () => number,
): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(policy.maxBackoffMs, policy.minBackoffMs * 2 ** Math.min(n - 1, 40));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = base * (0.5 + r);
  return Math.round(Math.min(policy.maxBackoffMs, Math.max(policy.minBackoffMs, jittered)));
}

/** The time (ms since the epoch) of the next attempt after `attempt` failed attempts. */
export function nextAttemptAt(
  attempt: number,
  policy: Pick<RetryPolicy, 'minBackoffMs' | 'maxBackoffMs'>,
  now: number,
  random: () => number,
): number {
  return now + backoffDelay(attempt, policy, random);
}
