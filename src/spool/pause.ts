/**
 * When a drain stops sending for a while, shared by both spool backends: the provider asked us to
 * wait (429 reset, SMTP 421), or it cannot be reached at all (refused, timed out, no answer) —
 * after a few such failures in a row, trying every other job would only burn its attempts and
 * write a deferral each (Postfix marks the destination dead the same way). A one-shot drain stops
 * and leaves the rest queued; a watching drain pauses.
 */
import type { Clock } from '../context.js';
import { DeliveryError } from '../errors.js';
import type { DrainSummary } from './contract.js';

export interface PauseOptions {
  clock: Clock;
  /** Aborted to stop the drain. */
  stop: AbortController;
  watch: boolean;
  concurrency: number;
  /** A one-shot drain asked to wait longer than this stops instead. */
  maxPauseMs: number;
  /** How long a watching drain pauses when the provider cannot be reached. */
  unreachablePauseMs: number;
  /** Told when sending pauses. */
  onPause: (until: number) => void;
  /** Told why a one-shot drain stops. */
  onStop: (reason: 'backpressure' | 'unreachable', until?: number) => void;
}

export interface PauseControl {
  /** The provider asked us to wait until `until`. */
  backpressure(until: number, retryAfterMs: number): void;
  /** A failed attempt that was not back-pressure. */
  failure(err: unknown, now: number): void;
  /** A delivered message: the provider is reachable. */
  success(): void;
  /** Waits out any pause; false when the drain was stopped meanwhile. */
  wait(): Promise<boolean>;
}

export function createPauseControl(o: PauseOptions): PauseControl {
  let pauseUntil = 0;
  let unreachableRun = 0;
  const pause = (until: number): void => {
    pauseUntil = until;
    o.onPause(until);
  };
  return {
    backpressure(until, retryAfterMs) {
      if (until <= pauseUntil) return;
      pause(until);
      if (!o.watch && retryAfterMs > o.maxPauseMs) {
        o.onStop('backpressure', until);
        o.stop.abort();
      }
    },
    failure(err, now) {
      // Unreachable: no reply code or status at all (a reply means the provider is there).
      const unreachable =
        err instanceof DeliveryError
          ? err.reply.responseCode === undefined && err.reply.status === undefined && err.kind === 'transient'
          : true;
      if (!unreachable) {
        unreachableRun = 0;
        return;
      }
      unreachableRun += 1;
      if (unreachableRun < Math.max(3, o.concurrency)) return;
      unreachableRun = 0;
      if (!o.watch) {
        o.onStop('unreachable');
        o.stop.abort();
      } else if (now + o.unreachablePauseMs > pauseUntil) pause(now + o.unreachablePauseMs);
    },
    success() {
      unreachableRun = 0;
    },
    async wait() {
      while (!o.stop.signal.aborted && pauseUntil > o.clock.now())
        await o.clock.sleep(pauseUntil - o.clock.now(), o.stop.signal);
      return !o.stop.signal.aborted;
    },
  };
}

/** A drain's pause control: pauses become `pause` events, a one-shot stop goes into the summary. */
export function createDrainPause(
  o: Omit<PauseOptions, 'onPause' | 'onStop' | 'unreachablePauseMs'> & {
    /** A watching drain pauses this long when the provider cannot be reached. */
    minBackoffMs: number;
    emit: (event: { type: 'pause'; until: number }) => void;
    summary: Pick<DrainSummary, 'stopped' | 'pausedUntil'>;
  },
): PauseControl {
  const { minBackoffMs, emit, summary, ...rest } = o;
  return createPauseControl({
    ...rest,
    unreachablePauseMs: minBackoffMs,
    onPause: (until) => emit({ type: 'pause', until }),
    onStop: (reason, until) => {
      summary.stopped = reason;
      if (until !== undefined) summary.pausedUntil = new Date(until).toISOString();
    },
  });
}
