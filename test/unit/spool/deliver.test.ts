// deliverOne: the one per-job policy both spool backends run. Each row gives a job, what the
// provider does, and expects the outcome and the one port call the backend is asked to make.
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, DeliveryError, ExitCode } from '../../../src/errors.js';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { deliverOne, type DeliveryContext } from '../../../src/spool/deliver.js';
import type { Job } from '../../../src/spool/job.js';
import { createPauseControl } from '../../../src/spool/pause.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;

function job(over: Partial<Job> = {}): Job {
  return {
    version: 1,
    id: '01M8STDSAQ4YF60YMS4PJ786Z7',
    type: 'reset-password',
    to: 'a@example.com',
    lang: 'en-US',
    vars: { code: '1' },
    priority: 1,
    createdAt: new Date(T0).toISOString(),
    attempts: 0,
    nextAttemptAt: new Date(T0).toISOString(),
    history: [],
    messageId: '<x@example.com>',
    ...over,
  } as Job;
}

type Send = (signal?: AbortSignal) => Promise<void>;
const ok: Send = async () => {};
/** A send that never ends unless its signal aborts it. */
const stuck: Send = (signal) =>
  new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
const reply = (code: number, kind: 'transient' | 'permanent', retryAfterMs?: number): Send => {
  return async () => {
    throw new DeliveryError(`smtp ${code}`, {
      kind,
      exitCode: kind === 'transient' ? ExitCode.TEMPFAIL : ExitCode.UNAVAILABLE,
      reply: { provider: 'smtp', responseCode: code, reply: `${code} nope SECRET` },
      retryAfterMs,
    });
  };
};

function run(
  j: Job,
  send: Send,
  opts: { now?: number; gate?: boolean; prepare?: () => never; shutdown?: boolean } = {},
) {
  let now = opts.now ?? T0;
  const calls: string[] = [];
  let sent = 0;
  const stop = new AbortController();
  const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const ctx: DeliveryContext = {
    provider: {
      name: 'test',
      send: async (_message: unknown, o?: { signal?: AbortSignal }) => {
        sent += 1;
        await send(o?.signal);
        return { provider: 'test', messageId: j.messageId } as never;
      },
    } as never,
    prepare: opts.prepare ?? ((): OutgoingMessage => ({}) as OutgoingMessage),
    policy: { maxAttempts: 3, minBackoffMs: MIN, maxBackoffMs: 60 * MIN, maxLifetimeMs: 24 * 60 * MIN },
    clock,
    random: () => 0.5,
    pause: createPauseControl({
      clock,
      stop,
      watch: false,
      concurrency: 1,
      maxPauseMs: 60_000,
      unreachablePauseMs: MIN,
      onPause: () => {},
      onStop: () => {},
    }),
    gate: async () => opts.gate ?? true,
    signal: opts.shutdown ? AbortSignal.abort() : new AbortController().signal,
    redactor: {
      redactJob: <J>(x: J): J => {
        const e = (x as Job).lastError as Record<string, unknown> | undefined;
        for (const k of ['message', 'reply'] as const)
          if (e && typeof e[k] === 'string') e[k] = e[k].replace('SECRET', '********');
        for (const h of (x as Job).history as unknown as Record<string, unknown>[])
          for (const k of ['error', 'reply'] as const)
            if (typeof h[k] === 'string') h[k] = h[k].replace('SECRET', '********');
        return x;
      },
    },
  };
  const ports = {
    complete: () => void calls.push('complete'),
    defer: (d: Job, at: number) => void calls.push(`defer ${d.attempts} +${(at - now) / MIN}m`),
    dead: (d: Job) => void calls.push(`dead ${d.deadReason}`),
    release: () => void calls.push('release'),
  };
  return deliverOne(j, ctx, ports).then((r) => ({ ...r, calls, sent }));
}

describe('deliverOne: one decision, then one port call', () => {
  it.each<[string, Job, Send, { now?: number; gate?: boolean; shutdown?: boolean }, string, string, number]>([
    ['delivered', job(), ok, {}, 'delivered', 'complete', 1],
    [
      '451: deferred with backoff, one attempt recorded',
      job(),
      reply(451, 'transient'),
      {},
      'deferred',
      'defer 1 +1m',
      1,
    ],
    ['550: dead, permanent', job(), reply(550, 'permanent'), {}, 'dead', 'dead permanent', 1],
    ['the last attempt fails: dead', job({ attempts: 2 }), reply(451, 'transient'), {}, 'dead', 'dead max-attempts', 1],
    [
      'expired before the send: never sent',
      job({ expiresAt: new Date(T0 - 1).toISOString() }),
      ok,
      {},
      'expired',
      'dead expired',
      0,
    ],
    ['older than the lifetime: never sent', job(), ok, { now: T0 + 25 * 60 * MIN }, 'dead', 'dead max-lifetime', 0],
    ['the drain stopped at the gate: released, not sent', job(), ok, { gate: false }, 'released', 'release', 0],
    [
      'shutdown abandons a stuck send after its grace: released',
      job(),
      stuck,
      { shutdown: true },
      'released',
      'release',
      1,
    ],
  ])('%s', async (_name, j, send, opts, outcome, call, sends) => {
    const r = await run(j, send, opts);
    expect([r.outcome, r.calls, r.sent]).toEqual([outcome, [call], sends]);
  });

  it('keeps the Message-ID and scrubs echoed secrets before the backend stores the job', async () => {
    const j = job();
    const r = await run(j, reply(451, 'transient'));
    expect(j.messageId).toBe('<x@example.com>');
    expect(JSON.stringify(j)).not.toContain('SECRET');
    expect(JSON.stringify(j)).toContain('********');
    expect(r.lastError).toContain('451');
  });

  it('429 with a reset: deferred as back-pressure', async () => {
    const r = await run(job(), reply(429, 'transient', 30_000));
    expect([r.outcome, r.backpressure]).toEqual(['deferred', true]);
  });

  it('a message that cannot be built is dead (invalid); a configuration error is thrown, the job untouched', async () => {
    const bad = await run(job(), ok, {
      prepare: () => {
        throw new DataError('variable "code" is missing');
      },
    } as never);
    expect([bad.outcome, bad.calls]).toEqual(['dead', ['dead invalid']]);
    const j = job();
    await expect(
      run(j, ok, {
        prepare: () => {
          throw new ConfigError('APPLICATION_TITLE is required');
        },
      } as never),
    ).rejects.toThrow('APPLICATION_TITLE');
    expect(j.deadReason).toBeUndefined();
  });
});
