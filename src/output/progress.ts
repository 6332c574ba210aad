/**
 * What `drain` shows: a progress bar on stderr when it is a terminal (cli-progress, loaded only
 * then), and the summary line (or `--json` object) on stdout at the end.
 */
import type { Io } from '../context.js';
import type { DrainEvent, DrainSummary } from '../spool/contract.js';

export interface DrainReporter {
  onEvent(event: DrainEvent): void;
  /** Stops the bar, drawn last at the number of jobs settled out of as many. Safe to call twice. */
  stop(): void;
}

interface Bar {
  start(total: number, value: number, payload?: object): void;
  update(value: number, payload?: object): void;
  setTotal(total: number): void;
  stop(): void;
}

/** cli-progress writes to a stream; ours is `io.err`. */
function streamOf(io: Io): NodeJS.WritableStream {
  const stream = {
    isTTY: true,
    columns: 80,
    write(chunk: string | Uint8Array, encodingOrCb?: unknown, cb?: unknown): boolean {
      io.err(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    },
    on: () => stream,
    once: () => stream,
    removeListener: () => stream,
    off: () => stream,
    emit: () => false,
  };
  // cli-progress and readline use only write, isTTY and columns.
  return stream as unknown as NodeJS.WritableStream;
}

export async function createDrainReporter(io: Io): Promise<DrainReporter> {
  if (!io.errIsTTY) return { onEvent: () => {}, stop: () => {} };
  let bar: Bar | undefined;
  try {
    const mod = (await import('cli-progress')).default;
    bar = new mod.SingleBar(
      {
        stream: streamOf(io),
        format:
          'drain [{bar}] {value}/{total} | {delivered} delivered, {deferred} deferred, {dead} dead, {expired} expired',
        hideCursor: true,
        // The last frame stays: it shows where the drain ended, as the summary line does.
        clearOnComplete: false,
        fps: 10,
      },
      mod.Presets.shades_classic,
    );
  } catch {
    return { onEvent: () => {}, stop: () => {} };
  }
  // As the summary counts them: an expired code is not a failed delivery.
  const counts = { delivered: 0, deferred: 0, dead: 0, expired: 0 };
  let started = false;
  let stopped = false;
  let done = 0;
  let total = 0;
  return {
    onEvent(event) {
      if (stopped || !bar) return;
      if (event.type === 'stopping') return;
      done = event.done;
      total = event.total;
      if (event.type === 'settled' && event.outcome) {
        const o = event.outcome;
        if (o === 'delivered' || o === 'deferred' || o === 'dead' || o === 'expired') counts[o] += 1;
      }
      if (!started) {
        bar.start(Math.max(event.total, 1), event.done, counts);
        started = true;
        return;
      }
      bar.setTotal(Math.max(event.total, event.done, 1));
      bar.update(event.done, counts);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (!started || !bar) return;
      // The bar is redrawn at most ten times a second: its last frame is drawn here, complete.
      bar.setTotal(Math.max(total, done, 1));
      bar.update(done, counts);
      bar.stop();
    },
  };
}

const seconds = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** `drain: 12 delivered, 3 deferred, 1 dead, 0 corrupt, 2 expired (1.2 s)` */
export function summaryLine(s: DrainSummary): string {
  const extra: string[] = [];
  if (s.recovered) extra.push(`${s.recovered} recovered from dead drains`);
  if (s.released) extra.push(`${s.released} put back`);
  if (s.backpressure) extra.push(`${s.backpressure} paused by the provider`);
  if (s.stopped === 'backpressure') extra.push(`stopped: the provider asked to wait until ${s.pausedUntil}`);
  if (s.stopped === 'unreachable') extra.push('stopped: the provider cannot be reached; the rest stays queued');
  const tail = extra.length ? `; ${extra.join(', ')}` : '';
  return `drain: ${s.delivered} delivered, ${s.deferred} deferred, ${s.dead} dead, ${s.corrupt} corrupt, ${s.expired} expired (${seconds(s.durationMs)})${tail}\n`;
}
