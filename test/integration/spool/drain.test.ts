/**
 * drain() against a real smtp-server on 127.0.0.1 through the real pooled SMTP provider, with a
 * fake clock: order, retries, back-pressure, expiry, flush, hold, corrupt files, recovery of dead
 * claims, shutdown and the rate limit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../src/message/types.js';
import type { Provider } from '../../../src/providers/types.js';
import { holdJob, releaseJob } from '../../../src/spool/file/manage.js';
import { nameOf, serializeJob, type Job } from '../../../src/spool/job.js';
import { startSmtpServer, type Hook, type TestSmtpServer } from '../../helpers/smtp.js';
import { countFiles, enqueue, harness, jobsIn, messageIdOfRaw, type Harness } from '../../helpers/spool.js';
import { refusedPort } from '../../helpers/ports.js';
import { fakeClock } from '../../helpers/clock.js';

const servers: TestSmtpServer[] = [];
const jobsInFile = (path: string): Job => JSON.parse(readFileSync(path, 'utf8')) as Job;
const harnesses: Harness[] = [];

async function setup(
  hooks: { mail?: Hook; rcpt?: Hook; data?: Hook } = {},
): Promise<{ smtp: TestSmtpServer; h: Harness }> {
  const smtp = await startSmtpServer(hooks);
  servers.push(smtp);
  const h = await harness(smtp.port);
  harnesses.push(h);
  return { smtp, h };
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});
afterAll(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('drain', () => {
  it('delivers every due job, codes before notifications, and empties the spool', async () => {
    const { smtp, h } = await setup();
    await enqueue(h.store, h.config, h.clock, {
      type: 'change-email-completed',
      to: 'late@example.com',
      vars: { email: 'late@example.com' },
    });
    h.clock.advance(1);
    await enqueue(h.store, h.config, h.clock, { to: 'first@example.com' });
    const s = await h.run({ concurrency: 1 });
    expect(s).toMatchObject({ delivered: 2, deferred: 0, dead: 0, corrupt: 0, expired: 0 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['first@example.com', 'late@example.com']);
    for (const dir of Object.values(h.store.dirs)) expect(countFiles(dir)).toBe(0);
  });

  it('on a disk, deletes delivered jobs off the event loop, via done/, before it ends, and loses none', async () => {
    const smtp = await startSmtpServer();
    servers.push(smtp);
    const h = await harness(smtp.port, { deleteInBackground: true });
    harnesses.push(h);
    for (let i = 0; i < 12; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const s = await h.run();
    expect(s.delivered).toBe(12);
    expect(h.store.deletesInBackground).toBe(true);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `u${i}@example.com`).sort(),
    );
    expect(countFiles(h.store.done)).toBe(0);
    for (const dir of Object.values(h.store.dirs)) expect(countFiles(dir)).toBe(0);
    // a delivered job left in done/ by a crash is deleted by the next drain, never sent again
    writeFileSync(join(h.store.done, '4242@test-host~left.json'), '{}');
    expect((await h.run({ isAlive: () => false })).delivered).toBe(0);
    expect(countFiles(h.store.done)).toBe(0);
    expect(smtp.messages).toHaveLength(12);
  });

  it('a watching drain deletes the delivered jobs waiting in done/ as soon as it has nothing to do', async () => {
    const smtp = await startSmtpServer();
    servers.push(smtp);
    const h = await harness(smtp.port, { deleteInBackground: true });
    harnesses.push(h);
    for (let i = 0; i < 3; i++) await enqueue(h.store, h.config, h.clock, { to: `w${i}@example.com` });
    const stop = new AbortController();
    const running = h.run({ watch: true, signal: stop.signal });
    let idleAndEmpty = false;
    // bounded generously (a loaded machine); the drain is still running, waiting for work
    for (let i = 0; i < 1_000 && !idleAndEmpty; i++) {
      await new Promise((r) => setTimeout(r, 20));
      idleAndEmpty = smtp.messages.length === 3 && countFiles(h.store.done) === 0;
    }
    stop.abort();
    const s = await running;
    expect(idleAndEmpty, 'done/ emptied while the drain waited for work').toBe(true);
    expect(s.delivered).toBe(3);
    for (const dir of Object.values(h.store.dirs)) expect(countFiles(dir)).toBe(0);
  });

  it('transient failure: deferred with backoff and history, then delivered with the same Message-ID', async () => {
    const { smtp, h } = await setup({
      data: ({ attempt }) => (attempt === 1 ? { code: 451, message: '4.3.0 Try again later' } : undefined),
    });
    const job = await enqueue(h.store, h.config, h.clock);
    const t0 = h.clock.now();

    expect(await h.run()).toMatchObject({ delivered: 0, deferred: 1 });
    const [deferred] = jobsIn(h.store, 'deferred');
    expect(deferred).toMatchObject({
      id: job.id,
      attempts: 1,
      messageId: job.messageId,
      lastError: { kind: 'transient', code: 451 },
    });
    expect(deferred!.history).toEqual([expect.objectContaining({ ok: false, kind: 'transient', code: 451 })]);
    expect(Date.parse(deferred!.nextAttemptAt)).toBe(t0 + 30_000); // min backoff, random 0.5

    expect(await h.run()).toMatchObject({ delivered: 0, deferred: 0 }); // not due yet
    h.clock.advance(30_000);
    expect(await h.run()).toMatchObject({ delivered: 1 });
    expect(smtp.messages).toHaveLength(1);
    expect(messageIdOfRaw(smtp.messages[0]!.raw)).toBe(job.messageId);
  });

  it('permanent failure goes to dead with the reason and the reply', async () => {
    const { smtp, h } = await setup({ rcpt: { code: 550, message: '5.1.1 No such user' } });
    await enqueue(h.store, h.config, h.clock);
    expect(await h.run()).toMatchObject({ dead: 1, deferred: 0 });
    const [dead] = jobsIn(h.store, 'dead');
    expect(dead).toMatchObject({ deadReason: 'permanent', attempts: 1, lastError: { kind: 'permanent', code: 550 } });
    expect(dead!.lastError!.reply).toMatch(/No such user/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('a refused login defers the job (the credentials are at fault, not the mail)', async () => {
    const smtp = await startSmtpServer({ auth: { user: 'u', pass: 'right' } });
    servers.push(smtp);
    const h = await harness(smtp.port, { env: { SMTP_USERNAME: 'u', SMTP_PASSWORD: 'wrong' } });
    harnesses.push(h);
    await enqueue(h.store, h.config, h.clock);
    expect(await h.run()).toMatchObject({ deferred: 1, dead: 0 });
    expect(jobsIn(h.store, 'deferred')[0]).toMatchObject({ attempts: 1, lastError: { kind: 'transient', code: 535 } });
    expect(JSON.stringify(jobsIn(h.store, 'deferred'))).not.toContain('wrong'); // no secret in the spool
  });

  it('a job that exhausts its attempts goes to dead (max-attempts)', async () => {
    const { h } = await setup({ data: { code: 451 } });
    await enqueue(h.store, h.config, h.clock);
    expect(
      await h.run({ policy: { maxAttempts: 2, minBackoffMs: 1000, maxBackoffMs: 1000, maxLifetimeMs: 86_400_000 } }),
    ).toMatchObject({ deferred: 1 });
    h.clock.advance(1000);
    expect(
      await h.run({ policy: { maxAttempts: 2, minBackoffMs: 1000, maxBackoffMs: 1000, maxLifetimeMs: 86_400_000 } }),
    ).toMatchObject({ dead: 1 });
    expect(jobsIn(h.store, 'dead')[0]).toMatchObject({ deadReason: 'max-attempts', attempts: 2 });
  });

  it('back-pressure (421 with a wait) pauses sending and defers without burning an attempt', async () => {
    const { smtp, h } = await setup({
      data: ({ attempt }) =>
        attempt === 1 ? { code: 421, message: '4.7.0 Too many messages, try again in 20 seconds' } : undefined,
    });
    const first = await enqueue(h.store, h.config, h.clock, { to: 'a@example.com' });
    h.clock.advance(1);
    await enqueue(h.store, h.config, h.clock, { to: 'b@example.com' });
    const sends: number[] = [];
    const t0 = h.clock.now();
    const provider: Provider = {
      name: 'spy',
      send: (m: OutgoingMessage) => (sends.push(h.clock.now()), h.provider.send(m)),
      close: async () => {},
    };

    const s = await h.run({ provider, concurrency: 1 });
    expect(s).toMatchObject({ delivered: 1, deferred: 1, backpressure: 1 });
    expect(sends[1]! - t0).toBeGreaterThanOrEqual(20_000); // the second send waited for the pause
    const [deferred] = jobsIn(h.store, 'deferred');
    expect(deferred).toMatchObject({ id: first.id, attempts: 0 });
    expect(deferred!.history[0]).toMatchObject({ backpressure: true, code: 421 });

    h.clock.advance(20_000);
    expect(await h.run()).toMatchObject({ delivered: 1 });
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(['a@example.com', 'b@example.com']);
  });

  it('a one-shot drain stops when the provider asks for a long pause, leaving the rest queued', async () => {
    const { smtp, h } = await setup({ data: { code: 421, message: '4.7.0 Rate limited, try again in 10 minutes' } });
    for (let i = 0; i < 3; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const s = await h.run({ concurrency: 1 });
    expect(s.deferred).toBe(1);
    expect(s).toMatchObject({ stopped: 'backpressure', pausedUntil: expect.any(String) });
    expect(countFiles(h.store.dirs.incoming)).toBe(2);
    expect(countFiles(h.store.dirs.active)).toBe(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it("stops a one-shot run when the provider cannot be reached, instead of burning every job's attempts", async () => {
    const h = await harness(await refusedPort());
    harnesses.push(h);
    for (let i = 0; i < 8; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const s = await h.run({ concurrency: 1 });
    expect(s).toMatchObject({ deferred: 3, delivered: 0, stopped: 'unreachable' });
    expect(countFiles(h.store.dirs.incoming)).toBe(5);
    expect(countFiles(h.store.dirs.active)).toBe(0);
    expect(jobsIn(h.store, 'deferred')[0]!.lastError).toMatchObject({ kind: 'transient' });
  });

  it('an expired code is never sent: dead with reason expired', async () => {
    const { smtp, h } = await setup();
    const job = await enqueue(h.store, h.config, h.clock); // reset-password: 5 minute TTL
    expect(job.expiresAt).toBeDefined();
    h.clock.advance(5 * 60_000 + 1);
    expect(await h.run()).toMatchObject({ expired: 1, delivered: 0, dead: 0 });
    expect(jobsIn(h.store, 'dead')[0]).toMatchObject({ id: job.id, deadReason: 'expired' });
    expect(smtp.calls.mail).toBe(0);
  });

  it('--flush also tries deferred jobs that are not due yet', async () => {
    const { smtp, h } = await setup({ data: ({ attempt }) => (attempt === 1 ? { code: 451 } : undefined) });
    await enqueue(h.store, h.config, h.clock);
    await h.run();
    expect(await h.run()).toMatchObject({ delivered: 0 });
    expect(await h.run({ flush: true })).toMatchObject({ delivered: 1 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('a held job is left alone until it is released', async () => {
    const { smtp, h } = await setup();
    const held = await enqueue(h.store, h.config, h.clock, { to: 'held@example.com' });
    await enqueue(h.store, h.config, h.clock, { to: 'free@example.com' });
    holdJob(h.store, held.id);
    expect(await h.run()).toMatchObject({ delivered: 1 });
    expect(jobsIn(h.store, 'hold').map((j) => j.id)).toEqual([held.id]);
    releaseJob(h.store, held.id, h.clock.now());
    expect(await h.run()).toMatchObject({ delivered: 1 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['free@example.com', 'held@example.com']);
  });

  it('a corrupt file is set aside and draining goes on; bad content goes to dead as invalid', async () => {
    const { smtp, h } = await setup();
    await enqueue(h.store, h.config, h.clock, { to: 'a@example.com' });
    writeFileSync(
      join(h.store.dirs.incoming, '01-0000000000000-01M8SQA09K5QTC2DWAGVXH798N-reset-password.json'),
      '{"version":1,',
    );
    writeFileSync(join(h.store.dirs.incoming, 'hand-written.json'), 'not json at all');
    const bad: Job = {
      version: 1,
      id: '01M8SQA09K5QTC2DWAGVXH7990',
      type: 'reset-password',
      to: 'b@example.com',
      vars: {},
      priority: 1,
      createdAt: new Date(h.clock.now()).toISOString(),
      attempts: 0,
      nextAttemptAt: new Date(h.clock.now()).toISOString(),
      history: [],
    };
    writeFileSync(join(h.store.dirs.incoming, nameOf(bad)), serializeJob(bad));
    await enqueue(h.store, h.config, h.clock, { to: 'c@example.com' });

    expect(await h.run({ concurrency: 1 })).toMatchObject({ delivered: 2, corrupt: 2, dead: 1 });
    expect(countFiles(h.store.dirs.corrupt)).toBe(2);
    expect(jobsIn(h.store, 'dead')[0]).toMatchObject({ id: bad.id, deadReason: 'invalid' });
    expect(jobsIn(h.store, 'dead')[0]!.lastError!.message).toMatch(/code/);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(['a@example.com', 'c@example.com']);
  });

  it('recovers claims left by a dead process, and leaves those of a live one', async () => {
    const { smtp, h } = await setup();
    await enqueue(h.store, h.config, h.clock, { to: 'one@example.com' });
    await enqueue(h.store, h.config, h.clock, { to: 'two@example.com' });
    const [ca, cb] = h.store.scan(h.clock.now(), false);
    const orphan = h.store.claim(ca!, { pid: 111, host: 'test-host' })!; // its drain died
    const busy = h.store.claim(cb!, { pid: 222, host: 'test-host' })!; // still running
    const orphanTo = jobsInFile(orphan.path).to;
    const s = await h.run({ isAlive: (pid) => pid === 222 });
    expect(s).toMatchObject({ recovered: 1, delivered: 1 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual([orphanTo]);
    expect(h.store.entries('active').map((e) => e.path)).toEqual([busy.path]);
  });

  it('without a liveness check no claim is recovered (another drain may be delivering it)', async () => {
    const { smtp, h } = await setup();
    await enqueue(h.store, h.config, h.clock);
    h.store.claim(h.store.scan(h.clock.now(), false)[0]!, { pid: 111, host: 'test-host' });
    expect(await h.run()).toMatchObject({ recovered: 0, delivered: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it('on shutdown finishes what is in flight and puts unstarted claims back', async () => {
    const { smtp, h } = await setup();
    for (let i = 0; i < 6; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const ctl = new AbortController();
    const provider: Provider = {
      name: 'spy',
      send: async (m) => {
        ctl.abort(); // SIGTERM arrives while the first message is in flight
        return h.provider.send(m);
      },
      close: async () => {},
    };
    // The rate limit keeps the other workers' claims waiting at the gate: those are "unstarted".
    const s = await h.run({ provider, signal: ctl.signal, concurrency: 3, ratePerSecond: 1 });
    expect(s.delivered).toBe(1);
    expect(s.released).toBeGreaterThanOrEqual(1);
    expect(countFiles(h.store.dirs.active)).toBe(0);
    expect(countFiles(h.store.dirs.incoming)).toBe(5);
    expect(smtp.messages).toHaveLength(1);
  });

  it('keeps to the global rate limit across workers', async () => {
    const { h } = await setup();
    for (let i = 0; i < 5; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const sends: number[] = [];
    const provider: Provider = {
      name: 'spy',
      send: (m) => (sends.push(h.clock.now()), h.provider.send(m)),
      close: async () => {},
    };
    expect(await h.run({ provider, concurrency: 3, ratePerSecond: 10 })).toMatchObject({ delivered: 5 });
    const sorted = [...sends].sort((x, y) => x - y);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(100);
  });

  it('a job past MAILCTL_MAX_LIFETIME goes to dead instead of being retried', async () => {
    const { h } = await setup({ data: { code: 451 } });
    await enqueue(h.store, h.config, h.clock, { type: 'change-email-completed', vars: { email: 'x@example.com' } });
    const policy = { maxAttempts: 10, minBackoffMs: 60_000, maxBackoffMs: 60_000, maxLifetimeMs: 90_000 };
    expect(await h.run({ policy })).toMatchObject({ deferred: 1 });
    h.clock.advance(60_000);
    expect(await h.run({ policy })).toMatchObject({ dead: 1 }); // the next retry would be past the lifetime
    expect(jobsIn(h.store, 'dead')[0]).toMatchObject({ deadReason: 'max-lifetime', lastError: { code: 451 } });
  });

  it('reports progress events with a growing done count', async () => {
    const { h } = await setup();
    for (let i = 0; i < 3; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const done: number[] = [];
    await h.run({ onEvent: (e) => e.type === 'settled' && done.push(e.done) });
    expect(done).toEqual([1, 2, 3]);
  });
});

describe('fake clock', () => {
  it('advances only when slept on', async () => {
    const c = fakeClock(0);
    await Promise.all([c.sleep(5), c.sleep(3)]);
    expect(c.now()).toBe(5);
  });
});
