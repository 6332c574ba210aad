/**
 * The drain loop: claim due jobs in priority order, deliver them through one (pooled) provider
 * with bounded concurrency and a global rate limit, and settle each one: delivered (removed),
 * deferred with backoff, dead with a reason, or corrupt. Prints nothing; emits events.
 *
 * Guarantees (each has a test): a job is always in exactly one place in the spool until it is
 * delivered; two drains never deliver the same job (claims are exclusive renames); a retried job
 * keeps its Message-ID; an expired job is never sent; a corrupt file does not stop the drain.
 */
import { isFileSystemError } from '../../errors.js';
import type { BackendDrainOptions, DrainEvent, DrainSummary, Outcome } from '../contract.js';
import { deliverOne } from '../deliver.js';
import { createDrainPause } from '../pause.js';
import { idOfName, parseJob, type Job } from '../job.js';
import { createBucket, reserve, type RateLimit, type TokenBucket } from '../rate.js';
import {
  spoolFault,
  type Candidate,
  type Claim,
  type EntryRead,
  type FileSpool,
  type Quarantined,
  type SettleState,
} from './store.js';

/** How many quarantined entries a summary names (the count is in `corrupt`). */
const QUARANTINED_NAMED = 20;

/** The file drain's options: the backend-neutral ones and the file spool itself. */
export interface DrainOptions extends BackendDrainOptions {
  store: FileSpool;
}

/** Most candidates kept from one listing: memory stays flat however large the spool is. */
export const MAX_BATCH = 10_000;

export { errorOf, record } from '../after-failure.js';
export type { DrainEvent, DrainSummary, Outcome, SpoolFault } from '../contract.js';

/** A summary of nothing done yet. */
export function emptySummary(durationMs = 0): DrainSummary {
  return {
    delivered: 0,
    deferred: 0,
    dead: 0,
    corrupt: 0,
    expired: 0,
    recovered: 0,
    released: 0,
    backpressure: 0,
    durationMs,
  };
}

export async function drain(options: DrainOptions): Promise<DrainSummary> {
  const { store, policy, clock, claimer } = options;
  const concurrency = Math.max(1, options.concurrency ?? 5);
  const watch = options.watch === true;
  const maxPauseMs = options.maxPauseMs ?? 60_000;
  const scanIntervalMs = options.scanIntervalMs ?? 2_000;
  const recoverIntervalMs = options.recoverIntervalMs ?? 30_000;
  const isAlive = options.isAlive;
  const started = clock.now();

  // Our own stop signal: the caller's (SIGINT/SIGTERM) or a long provider pause in a one-shot run.
  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort();
    emit({ type: 'stopping', count: inFlight });
  };
  if (options.signal.aborted) stop.abort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  const summary = emptySummary();
  let done = 0;
  let inFlight = 0;
  let list: Candidate[] = [];
  let index = 0;
  let lastScanAt = -Infinity;
  let scanCost = 0;
  let firstScan = true;
  let finished = false;
  let refilling: Promise<boolean> | undefined;
  let lastRecoverAt = -Infinity;
  // One-shot runs try each job at most once: a job deferred in this run stays for the next (with
  // --flush it would otherwise be claimable again at once). Delivered and dead jobs leave the
  // claimable directories, so only deferred ones are remembered: memory stays flat in N.
  const triedThisRun = new Set<string>();
  // A job whose new content cannot be written (a full disk) is kept as it was, never cut short.
  // (deliverOne has scrubbed it of echoed secrets already.)
  const record = (claim: Claim, job: Job, state: SettleState): void => {
    try {
      store.settle(claim, job, state);
    } catch (err) {
      if (!isFileSystemError(err)) throw err;
      store.settleAsIs(claim, job, state);
      const fault = spoolFault(err, store.root);
      summary.spoolError ??= { message: fault.message, hint: fault.hint, exitCode: fault.exitCode, unrecorded: 0 };
      summary.spoolError.unrecorded += 1;
    }
  };
  const deferredNow = (claim: Claim, job: Job): void => {
    record(claim, job, 'deferred');
    if (!watch) triedThisRun.add(job.id);
  };
  let bucket: TokenBucket | undefined;
  const rate: RateLimit | undefined = options.ratePerSecond
    ? { perSecond: options.ratePerSecond, burst: 1 }
    : undefined;
  if (rate) bucket = createBucket(rate, clock.now());

  const total = (): number => done + inFlight + Math.max(0, list.length - index);
  const emit = (e: Omit<DrainEvent, 'done' | 'total'>): void => options.onEvent?.({ ...e, done, total: total() });
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

  const noteQuarantined = (q: Quarantined): void => {
    summary.quarantined ??= [];
    if (summary.quarantined.length < QUARANTINED_NAMED) summary.quarantined.push(q);
  };

  const recoverNow = (): void => {
    lastRecoverAt = clock.now();
    if (!isAlive) return;
    const r = store.recover(claimer, isAlive, clock.now());
    summary.recovered += r.recovered;
    summary.corrupt += r.corrupt;
    for (const q of r.quarantined) noteQuarantined(q);
    for (const q of r.failed) noteQuarantined({ file: q.file, reason: `left in active/: ${q.reason}` });
    if (r.recovered + r.corrupt > 0) emit({ type: 'recovered', count: r.recovered });
  };

  // Wakes a watching drain: a file arrived in incoming/, or it is time for a periodic scan.
  let wake: (() => void) | undefined;
  const closeWatcher = watch ? store.watchIncoming(() => wake?.()) : () => {};

  const scan = (): void => {
    const t0 = clock.now();
    const flush = options.flush === true && (firstScan || !watch);
    firstScan = false;
    const tried =
      watch || triedThisRun.size === 0 ? undefined : (name: string) => triedThisRun.has(idOfName(name) ?? '');
    list = store.scan(t0, flush, MAX_BATCH, tried);
    index = 0;
    lastScanAt = clock.now();
    scanCost = lastScanAt - t0;
    emit({ type: 'scan', count: list.length });
  };

  const waitForWork = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      const ctl = new AbortController();
      const onStop = (): void => ctl.abort();
      stop.signal.addEventListener('abort', onStop, { once: true });
      wake = () => ctl.abort();
      void clock.sleep(scanIntervalMs, ctl.signal).then(() => {
        stop.signal.removeEventListener('abort', onStop);
        wake = undefined;
        resolve();
      });
    });
  };

  const refill = async (): Promise<boolean> => {
    for (;;) {
      if (stop.signal.aborted) return false;
      if (watch && clock.now() - lastRecoverAt >= recoverIntervalMs) recoverNow();
      scan();
      if (list.length > 0) return true;
      if (!watch) return false;
      // Nothing to do: delete the delivered jobs still waiting in done/ now, not at the next batch.
      store.flushDeletes();
      await waitForWork();
    }
  };

  // Re-list during a long pass so that a code queued meanwhile overtakes bulk mail, but spend
  // at most ~5% of the time listing directories.
  const rescanDue = (): boolean => index < list.length && clock.now() - lastScanAt >= Math.max(1_000, 20 * scanCost);

  const nextClaim = async (): Promise<{ claim: Claim; id: string | undefined } | undefined> => {
    for (;;) {
      if (stop.signal.aborted || finished) return undefined;
      if (index >= list.length || rescanDue()) {
        refilling ??= refill().finally(() => (refilling = undefined));
        const more = await refilling;
        if (!more) {
          if (!watch && list.length === 0) finished = true;
          if (stop.signal.aborted || finished) return undefined;
          continue;
        }
      }
      const candidate = list[index++];
      if (!candidate) continue;
      const id = idOfName(candidate.name);
      if (!watch && id !== undefined && triedThisRun.has(id)) continue;
      if (stop.signal.aborted) return undefined;
      const claim = store.claim(candidate, claimer);
      if (claim) return { claim, id };
    }
  };

  /** Waits for the rate limit and any provider pause; false when stopped meanwhile. */
  const gate = async (): Promise<boolean> => {
    if (rate && bucket) {
      const r = reserve(bucket, rate, clock.now());
      bucket = r.bucket;
      if (r.waitMs > 0) await clock.sleep(r.waitMs, stop.signal);
    }
    return pause.wait();
  };

  const settle = (outcome: Outcome, id: string | undefined): void => {
    done += 1;
    if (outcome !== 'released') summary[outcome] += 1;
    else summary.released += 1;
    // The job settling is still counted in flight: leave it out once, so the total ends at `done`.
    options.onEvent?.({ type: 'settled', outcome, id, done, total: total() - 1 });
  };

  const handle = async (claim: Claim, nameId: string | undefined): Promise<void> => {
    let read: EntryRead;
    try {
      read = store.read(claim);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // an operator removed it
      throw err; // out of descriptors: put it back and stop
    }
    // Not a job (unparsable, a link, a FIFO, a directory, unreadable, too big): set aside, go on.
    const parsed = read.ok ? parseJob(read.text, clock.now()) : read;
    if (!parsed.ok) {
      noteQuarantined({ file: store.quarantine(claim, parsed.reason), reason: parsed.reason });
      settle('corrupt', nameId);
      return;
    }
    const job = parsed.job;
    const r = await deliverOne(
      job,
      { ...options, pause, gate },
      {
        complete: () => store.complete(claim),
        defer: () => deferredNow(claim, job),
        dead: () => record(claim, job, 'dead'),
        release: () => {
          store.release(claim);
          if (!watch) triedThisRun.add(job.id);
        },
      },
    );
    if (r.lastError !== undefined) summary.lastError = r.lastError;
    if (r.backpressure) summary.backpressure += 1;
    settle(r.outcome, job.id);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const next = await nextClaim();
      if (!next) return;
      inFlight += 1;
      try {
        await handle(next.claim, next.id);
      } catch (err) {
        // A bug or a broken disk: put the job back if it is still ours, and stop claiming.
        try {
          store.release(next.claim);
        } catch {
          // it moved on already
        }
        stop.abort();
        throw err;
      } finally {
        inFlight -= 1;
      }
    }
  };

  try {
    if (isAlive) recoverNow();
    const results = await Promise.allSettled(Array.from({ length: concurrency }, () => worker()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    closeWatcher();
    options.signal.removeEventListener('abort', onAbort);
    await store.settled();
  }
  summary.durationMs = clock.now() - started;
  return summary;
}
