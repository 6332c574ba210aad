/**
 * A global send-rate limit for `drain --rate`: a token bucket, pure (state and time in, state and
 * wait out) so it is table-tested with a fake clock. Callers reserve a token and wait for it;
 * reservations may run the bucket negative, which queues concurrent workers fairly.
 */

export interface TokenBucket {
  /** Tokens available (negative: reserved ahead). */
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  updatedAt: number;
}

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens kept. @defaultValue 1 (evenly spaced sends, no bursts) */
  burst: number;
}

export function createBucket(limit: RateLimit, now: number): TokenBucket {
  return { tokens: limit.burst, updatedAt: now };
}

/** Reserves one token: returns the new state and how long to wait before using it. */
export function reserve(bucket: TokenBucket, limit: RateLimit, now: number): { bucket: TokenBucket; waitMs: number } {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  const refilled = Math.min(limit.burst, bucket.tokens + (elapsed * limit.perSecond) / 1000);
  const tokens = refilled - 1;
  const waitMs = tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / limit.perSecond);
  return { bucket: { tokens, updatedAt: Math.max(now, bucket.updatedAt) }, waitMs };
}
