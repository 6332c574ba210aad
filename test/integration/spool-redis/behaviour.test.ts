/**
 * One suite for the spool's behaviour, run against both backends through the SpoolBackend
 * interface (the file spool, and Redis on BullMQ against a real redis-server), with the real
 * pooled SMTP provider and a real smtp-server: claim order by priority, a transient failure
 * deferred with its history and retried with the same Message-ID, permanent and exhausted jobs
 * dead with the reason, expired codes never sent, hold and release, corrupt jobs set aside while
 * the drain goes on, status, list, purge, the monitor's state, and migration both ways.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/index.js';
import { systemClock } from '../../../src/context.js';
import { createProvider } from '../../../src/providers/index.js';
import { FileBackend, openSpool } from '../../../src/spool/backend.js';
import type { BackendDrainOptions, DrainSummary, ListedJob, SpoolBackend } from '../../../src/spool/contract.js';
import { enqueueJob, type EnqueueRequest } from '../../../src/spool/enqueue.js';
import type { Job } from '../../../src/spool/job.js';
import { createPrepare } from '../../../src/spool/prepare.js';
import { migrateSpool } from '../../../src/spool/migrate.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSmtpServer, type Hook, type TestSmtpServer } from '../../helpers/smtp.js';
import { FROM, messageIdOfRaw, smtpConfig } from '../../helpers/spool.js';

let redis: TestRedis;
let queues = 0;
const servers: TestSmtpServer[] = [];
const open: SpoolBackend[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const b of open.splice(0)) await b.close();
  for (const s of servers.splice(0)) await s.close();
  await redis?.stop();
});

interface Kind {
  name: 'file' | 'redis';
  /** A fresh, empty spool of this kind. */
  fresh(config: Config): Promise<SpoolBackend>;
  /** Puts an unparsable job where a foreign producer would. */
  injectCorrupt(backend: SpoolBackend): Promise<void>;
}

const KINDS: Kind[] = [
  {
    name: 'file',
    fresh: async () => new FileBackend(join(mkdtempSync(join(tmpdir(), 'mailctl-shared-')), 'spool')),
    async injectCorrupt(backend) {
      const store = (backend as FileBackend).store;
      store.ensure();
      writeFileSync(join(store.dirs.incoming, '05-0000000000000-01ARZ3NDEKTSV4RRFFQ69G5FAV-custom.json'), '{ not json');
    },
  },
  {
    name: 'redis',
    fresh: (config) =>
      openSpool(config, tmpdir(), { url: `${redis.url}?queue=shared${++queues}&lock=2s&stalled=1s&timeout=3s` }),
    async injectCorrupt(backend) {
      const name = new URL(backend.location).searchParams.get('queue')!;
      const q = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
      await q.add('custom', { version: 7, nonsense: true }, { jobId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', priority: 6 });
      await q.close();
    },
  },
];

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(KINDS)('spool behaviour: $name backend', (kind) => {
  async function setup(hooks: { rcpt?: Hook; data?: Hook } = {}, policy: Partial<BackendDrainOptions['policy']> = {}) {
    const smtp = await startSmtpServer(hooks);
    servers.push(smtp);
    const config = await smtpConfig(smtp.port);
    const backend = await kind.fresh(config);
    open.push(backend);
    const clock = systemClock();
    const enqueue = async (req: Partial<EnqueueRequest> = {}): Promise<Job> =>
      (
        await enqueueJob(
          { type: 'reset-password', to: 'user@example.com', vars: { code: '123456' }, ...req },
          { config, spoolDir: '/nonexistent', backend, defaultFrom: FROM, clock },
        )
      ).job;
    const run = async (o: Partial<BackendDrainOptions> = {}): Promise<DrainSummary> => {
      const provider = await createProvider(config, { cwd: tmpdir(), clock, pool: true });
      try {
        return await backend.drain({
          provider,
          prepare: createPrepare({ config, defaultFrom: FROM, clock }),
          policy: {
            maxAttempts: 3,
            minBackoffMs: 60_000,
            maxBackoffMs: 3_600_000,
            maxLifetimeMs: 5 * 86_400_000,
            ...policy,
          },
          clock,
          random: () => 0.5,
          signal: new AbortController().signal,
          claimer: { pid: 4242, host: 'test-host' },
          concurrency: 3,
          ...o,
        });
      } finally {
        await provider.close();
      }
    };
    const list = (state?: ListedJob['state']): Promise<ListedJob[]> =>
      all(backend.list(state ? [state] : ['incoming', 'active', 'deferred', 'hold', 'dead', 'corrupt']));
    return { smtp, config, backend, enqueue, run, list };
  }

  it('delivers every due job, codes before notifications, and empties the spool', async () => {
    const { smtp, backend, enqueue, run } = await setup();
    await enqueue({ type: 'change-email-completed', to: 'late@example.com', vars: { email: 'late@example.com' } });
    await enqueue({ to: 'first@example.com' });
    expect((await backend.status(Date.now())).incoming).toBe(2);
    expect(await run({ concurrency: 1 })).toMatchObject({ delivered: 2, deferred: 0, dead: 0, corrupt: 0, expired: 0 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['first@example.com', 'late@example.com']);
    expect(await backend.status(Date.now())).toMatchObject({
      incoming: 0,
      active: 0,
      deferred: 0,
      dead: 0,
      backlog: 0,
    });
  });

  it('transient failure: deferred with history; retried, it keeps its Message-ID', async () => {
    const { smtp, backend, enqueue, run, list } = await setup({
      data: ({ attempt }) => (attempt === 1 ? { code: 451, message: '4.3.0 Try again later' } : undefined),
    });
    const job = await enqueue();
    const t0 = Date.now();
    expect(await run()).toMatchObject({ delivered: 0, deferred: 1 });
    const [deferred] = await list('deferred');
    expect(deferred).toMatchObject({
      id: job.id,
      attempts: 1,
      messageId: job.messageId,
      lastError: { kind: 'transient', code: 451 },
    });
    expect(Date.parse(deferred!.nextAttemptAt!)).toBeGreaterThanOrEqual(t0 + 60_000);
    expect((await backend.status(Date.now())).deferred).toBe(1);

    await backend.retry(job.id, { pid: 1, host: 'h' }, Date.now());
    expect(await run()).toMatchObject({ delivered: 1 });
    expect(smtp.messages).toHaveLength(1);
    expect(messageIdOfRaw(smtp.messages[0]!.raw)).toBe(job.messageId);
  });

  it('--flush delivers a deferred job before it is due', async () => {
    const { smtp, enqueue, run } = await setup({
      data: ({ attempt }) => (attempt === 1 ? { code: 451, message: '4.3.0 Later' } : undefined),
    });
    await enqueue();
    expect(await run()).toMatchObject({ deferred: 1 });
    expect(await run({ flush: true })).toMatchObject({ delivered: 1 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('a permanent failure is kept as dead with the reason and the reply', async () => {
    const { smtp, backend, enqueue, run, list } = await setup({ rcpt: { code: 550, message: '5.1.1 No such user' } });
    const job = await enqueue();
    expect(await run()).toMatchObject({ dead: 1, deferred: 0 });
    const [dead] = await list('dead');
    expect(dead).toMatchObject({
      id: job.id,
      deadReason: 'permanent',
      attempts: 1,
      lastError: { kind: 'permanent', code: 550 },
    });
    expect(dead!.lastError!.reply).toMatch(/No such user/);
    expect(smtp.messages).toHaveLength(0);
    expect((await backend.status(Date.now())).dead).toBe(1);
    // A dead job can be retried: it starts its attempts again with the same id.
    await backend.retry(job.id, { pid: 1, host: 'h' }, Date.now());
    expect((await list('incoming')).map((j) => [j.id, j.attempts])).toEqual([[job.id, 0]]);
  });

  it('an exhausted job is kept as dead with reason max-attempts', async () => {
    const { enqueue, run, list } = await setup({ data: { code: 451, message: '4.3.0 Later' } }, { maxAttempts: 1 });
    const job = await enqueue();
    expect(await run()).toMatchObject({ dead: 1 });
    expect(await list('dead')).toEqual([
      expect.objectContaining({ id: job.id, deadReason: 'max-attempts', attempts: 1 }),
    ]);
  });

  it('an expired code is never sent', async () => {
    const { smtp, enqueue, run, list } = await setup();
    const job = await enqueue({ ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect(await run()).toMatchObject({ expired: 1, delivered: 0 });
    expect(smtp.calls.mail).toBe(0);
    expect(await list('dead')).toEqual([expect.objectContaining({ id: job.id, deadReason: 'expired' })]);
  });

  it('a held job is not delivered until it is released', async () => {
    const { smtp, backend, enqueue, run, list } = await setup();
    const held = await enqueue({ to: 'held@example.com' });
    await enqueue({ to: 'free@example.com' });
    expect(await backend.hold(held.id)).toEqual({ id: held.id, from: 'incoming', changed: true });
    expect(await backend.hold(held.id)).toMatchObject({ changed: false });
    expect(await run()).toMatchObject({ delivered: 1 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['free@example.com']);
    expect((await list('hold')).map((j) => j.id)).toEqual([held.id]);
    expect(await backend.release(held.id, Date.now())).toEqual({ id: held.id, to: 'incoming', changed: true });
    expect(await run()).toMatchObject({ delivered: 1 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['free@example.com', 'held@example.com']);
    await expect(backend.release(held.id, Date.now())).rejects.toMatchObject({ exitCode: 65 });
    await expect(backend.hold('01ARZ3NDEKTSV4RRFFQ69G5FAZ')).rejects.toMatchObject({
      exitCode: 65,
      message: expect.stringMatching(/no job/),
    });
  });

  it('a corrupt job is set aside and the drain goes on', async () => {
    const { smtp, backend, enqueue, run, list } = await setup();
    await kind.injectCorrupt(backend);
    await enqueue();
    expect(await run()).toMatchObject({ delivered: 1, corrupt: 1 });
    expect(smtp.messages).toHaveLength(1);
    const [corrupt] = await list('corrupt');
    expect(corrupt).toMatchObject({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', state: 'corrupt' });
    expect(corrupt!.problem).toBeTruthy();
    expect(await backend.purge('corrupt', 0, Date.now())).toBe(1);
    expect(await list('corrupt')).toEqual([]);
  });

  it('keeps the queue monitor state', async () => {
    const { backend } = await setup();
    expect(await backend.readState('monitor.json')).toBeUndefined();
    await backend.writeState('monitor.json', { version: 1, alerting: true });
    expect(await backend.readState('monitor.json')).toEqual({ version: 1, alerting: true });
  });

  it('migrates every job with its state, attempts and history to the other backend and back, idempotently', async () => {
    const { backend, config, enqueue, run } = await setup({
      rcpt: ({ attempt }) =>
        attempt === 1
          ? { code: 550, message: '5.1.1 No such user' }
          : attempt === 2
            ? { code: 451, message: '4.3.0 Later' }
            : undefined,
    });
    const dead = await enqueue({ to: 'dead@example.com' });
    await run({ concurrency: 1 });
    const deferred = await enqueue({ to: 'deferred@example.com' });
    await run({ concurrency: 1 });
    const held = await enqueue({ to: 'held@example.com' });
    await backend.hold(held.id);
    const incoming = await enqueue({ to: 'incoming@example.com' });
    const before = new Map((await all(backend.list(['incoming', 'deferred', 'hold', 'dead']))).map((j) => [j.id, j]));
    expect([...before.values()].map((j) => j.state).sort()).toEqual(['dead', 'deferred', 'hold', 'incoming']);

    const other = await KINDS.find((k) => k.name !== kind.name)!.fresh(config);
    open.push(other);
    // Interrupted: one job already copied (as a crash after the copy, before the delete, leaves it).
    const first = (await all(backend.exportJobs()))[0]!;
    expect(await other.importJob(first, Date.now())).toBe(true);
    const r = await migrateSpool(backend, other, Date.now());
    expect(r).toMatchObject({ copied: 3, skipped: 1, removed: 4 });
    expect(await all(backend.list(['incoming', 'deferred', 'hold', 'dead', 'corrupt']))).toEqual([]);
    const after = new Map((await all(other.list(['incoming', 'deferred', 'hold', 'dead']))).map((j) => [j.id, j]));
    for (const id of [dead.id, deferred.id, held.id, incoming.id]) {
      const { file: _a, ...b } = before.get(id)!;
      const { file: _b, ...a } = after.get(id)!;
      expect(a, id).toEqual(b);
    }
    // Run again: nothing left to move, nothing duplicated.
    expect(await migrateSpool(backend, other, Date.now())).toMatchObject({ copied: 0, removed: 0 });
    expect((await other.status(Date.now())).backlog).toBe(2);
    // And back.
    expect(await migrateSpool(other, backend, Date.now())).toMatchObject({ copied: 4, removed: 4 });
    expect((await backend.status(Date.now())).backlog).toBe(2);
  });
});
