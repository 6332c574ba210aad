/** A fake clock for tests that must not wait in real time. */
import type { Clock } from '../../src/context.js';

/** Virtual time: sleeping advances it (after yielding, so other workers run). */
export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function fakeClock(start = Date.UTC(2026, 11, 1, 21, 0, 0)): FakeClock {
  let t = start;
  // Pending sleeps fire one per event-loop turn, earliest first, moving time to their deadline.
  const timers: { at: number; fire: () => void }[] = [];
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) return;
      t = Math.max(t, next.at);
      next.fire();
      if (timers.length) schedule();
    });
  };
  return {
    now: () => t,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const entry = { at: t + Math.max(0, ms), fire: () => done() };
        const onAbort = (): void => {
          const i = timers.indexOf(entry);
          if (i >= 0) timers.splice(i, 1);
          done();
        };
        function done(): void {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(entry);
        schedule();
      });
    },
    advance(ms) {
      t += ms;
    },
    set(ms) {
      t = ms;
    },
  };
}
