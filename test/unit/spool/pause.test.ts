import { describe, expect, it } from 'vitest';
import { DeliveryError, ExitCode } from '../../../src/errors.js';
import { createPauseControl, type PauseOptions } from '../../../src/spool/pause.js';

const refused = new DeliveryError('refused', {
  kind: 'transient',
  exitCode: ExitCode.UNAVAILABLE,
  reply: { provider: 'smtp', errno: 'ECONNREFUSED' },
});
const replied = new DeliveryError('451', {
  kind: 'transient',
  exitCode: ExitCode.TEMPFAIL,
  reply: { provider: 'smtp', responseCode: 451 },
});

function control(over: Partial<PauseOptions> = {}) {
  let now = 1_000_000;
  const pauses: number[] = [];
  const stops: [string, number | undefined][] = [];
  const stop = new AbortController();
  const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const pause = createPauseControl({
    clock,
    stop,
    watch: false,
    concurrency: 2,
    maxPauseMs: 60_000,
    unreachablePauseMs: 30_000,
    onPause: (u) => pauses.push(u),
    onStop: (r, u) => stops.push([r, u]),
    ...over,
  });
  return { pause, pauses, stops, stop, now: () => now };
}

describe('pause control', () => {
  it('a short back-pressure wait pauses sending, then goes on', async () => {
    const c = control();
    c.pause.backpressure(c.now() + 5_000, 5_000);
    expect(c.pauses).toEqual([1_005_000]);
    expect(await c.pause.wait()).toBe(true);
    expect(c.now()).toBe(1_005_000);
    expect(c.stops).toEqual([]);
  });

  it('a one-shot drain asked to wait longer than maxPauseMs stops and says until when', () => {
    const c = control();
    c.pause.backpressure(c.now() + 120_000, 120_000);
    expect(c.stops).toEqual([['backpressure', 1_120_000]]);
    expect(c.stop.signal.aborted).toBe(true);
  });

  it('a watching drain waits instead', () => {
    const c = control({ watch: true });
    c.pause.backpressure(c.now() + 120_000, 120_000);
    expect(c.stops).toEqual([]);
    expect(c.stop.signal.aborted).toBe(false);
  });

  it('a later, shorter wait does not shorten the pause', () => {
    const c = control();
    c.pause.backpressure(c.now() + 10_000, 10_000);
    c.pause.backpressure(c.now() + 2_000, 2_000);
    expect(c.pauses).toEqual([1_010_000]);
  });

  it('three unreachable failures in a row stop a one-shot drain; a reply or a success resets the count', () => {
    const c = control();
    c.pause.failure(refused, c.now());
    c.pause.failure(refused, c.now());
    c.pause.failure(replied, c.now()); // the provider answered: it is reachable
    c.pause.failure(refused, c.now());
    c.pause.success();
    c.pause.failure(refused, c.now());
    c.pause.failure(refused, c.now());
    expect(c.stops).toEqual([]);
    c.pause.failure(refused, c.now());
    expect(c.stops).toEqual([['unreachable', undefined]]);
    expect(c.stop.signal.aborted).toBe(true);
  });

  it('a watching drain pauses for the unreachable pause instead of stopping', () => {
    const c = control({ watch: true });
    for (let i = 0; i < 3; i++) c.pause.failure(new Error('socket hang up'), c.now());
    expect(c.pauses).toEqual([1_030_000]);
    expect(c.stops).toEqual([]);
  });
});
