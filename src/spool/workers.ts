/**
 * `drain --workers N`: N processes share the spool exactly as N drains started by hand do (claims
 * are exclusive renames). Every limit the operator set stays global: the concurrency, the SMTP
 * pool and the rate are divided among the workers so that their sums never exceed what was
 * asked, and no worker is started that would get no share of them. Pure.
 */
import { emptySummary, type DrainSummary } from './file/drain.js';

export interface DrainLimits {
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Connections kept open (SMTP_POOL_SIZE); undefined when the provider has no pool. */
  poolSize?: number | undefined;
  /** Sends per second; undefined = no limit. */
  ratePerSecond?: number | undefined;
}

/**
 * How many processes a one-shot file-spool drain without --workers uses: one per CPU, as the
 * contract says, but never one with no due job to claim. (Measured on 2 CPUs with the sink on the
 * same machine, a second worker neither gains nor loses much: 1,632–1,731 against 1,601–1,751
 * msg/s at 2,000 jobs, 2,724 against 2,771 at 8,000; it costs ~0.3 ms more CPU per message,
 * its own start-up and V8 warm-up. README, Speed.) Pure.
 */
export function defaultWorkers(cpus: number, due: number): number {
  return Math.max(1, Math.min(cpus, due));
}

/** `total` split into `parts` whole shares that differ by at most one and sum to `total`. */
function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** The limits of each worker: as many as asked, but never more than the concurrency or the pool. */
export function splitLimits(workers: number, limits: DrainLimits): DrainLimits[] {
  const n = Math.max(1, Math.min(workers, limits.concurrency, limits.poolSize ?? Number.POSITIVE_INFINITY));
  const concurrency = shares(limits.concurrency, n);
  const pool = limits.poolSize !== undefined ? shares(limits.poolSize, n) : undefined;
  return concurrency.map((c, i) => ({
    concurrency: c,
    poolSize: pool?.[i],
    ratePerSecond: limits.ratePerSecond !== undefined ? limits.ratePerSecond / n : undefined,
  }));
}

/** One summary for the whole drain: counts added, the first of each worker's notes kept. */
export function mergeSummaries(parts: readonly DrainSummary[], durationMs: number): DrainSummary {
  const out = emptySummary(durationMs);
  for (const p of parts) {
    for (const k of [
      'delivered',
      'deferred',
      'dead',
      'corrupt',
      'expired',
      'recovered',
      'released',
      'backpressure',
    ] as const)
      out[k] += p[k];
    out.pausedUntil ??= p.pausedUntil;
    out.stopped ??= p.stopped;
    out.lastError ??= p.lastError;
    if (p.quarantined?.length) out.quarantined = [...(out.quarantined ?? []), ...p.quarantined];
    if (p.spoolError) {
      out.spoolError ??= { ...p.spoolError, unrecorded: 0 };
      out.spoolError.unrecorded += p.spoolError.unrecorded;
    }
  }
  return out;
}
