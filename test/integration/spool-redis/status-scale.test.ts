/**
 * `queue status` on a Redis spool whose sets are too large to read job by job (the limits are
 * lowered here so that a few hundred jobs stand for a million): the totals are Redis's counts,
 * the oldest job is found exactly, and what only a sample can tell is marked as estimated.
 */
import { tmpdir } from 'node:os';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { openSpool } from '../../../src/spool/backend.js';
import type { SpoolStatus } from '../../../src/spool/contract.js';
import { newJobId, STATES, type Job, type JobState } from '../../../src/spool/job.js';
import type { RedisBackend } from '../../../src/spool/redis/backend.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const NOW = T0 + 3_600_000;
const TYPES = ['reset-password', 'invite-member', 'email-code-login', 'custom'];
const SMALL = { read: 40, sample: 25 };

let redis: TestRedis;
let backend: RedisBackend;
beforeAll(async () => {
  redis = await startRedis();
  const { config } = await loadConfig({ cwd: tmpdir(), env: { PATH: process.env.PATH ?? '' } });
  backend = (await openSpool(config, tmpdir(), { url: `${redis.url}?queue=scale&timeout=10s` })) as RedisBackend;
});
afterAll(async () => {
  await backend?.close();
  await redis?.stop();
});

function job(i: number, createdMs: number, dueMs: number): Job {
  return {
    version: 1,
    id: newJobId(createdMs, new Uint8Array(10).fill(i % 256)),
    type: TYPES[i % TYPES.length]!,
    to: `u${i}@example.com`,
    vars: {},
    priority: 1 + (i % 9),
    createdAt: new Date(createdMs).toISOString(),
    attempts: 0,
    nextAttemptAt: new Date(dueMs).toISOString(),
    history: [],
  };
}

const put = (state: JobState, j: Job): Promise<boolean> =>
  backend.importJob(state === 'corrupt' ? { id: j.id, state, raw: '{ not json' } : { id: j.id, state, job: j }, NOW);

/** Per state, the sum of the per-type counts. */
function typeTotals(s: SpoolStatus): Partial<Record<JobState, number>> {
  const out: Partial<Record<JobState, number>> = {};
  for (const counts of Object.values(s.byType))
    for (const state of STATES) if (counts[state]) out[state] = (out[state] ?? 0) + counts[state];
  return out;
}

describe('queue status on large Redis sets', () => {
  it('counts totals with Redis, finds the oldest job exactly, and marks the sampled estimates', async () => {
    for (let i = 0; i < 200; i++) await put('incoming', job(i, T0 + i * 1000, T0));
    // Deferred jobs were created before every incoming one: the oldest pending job is one of them.
    for (let i = 0; i < 60; i++) await put('deferred', job(1000 + i, T0 - (i + 1) * 60_000, NOW + 3_600_000));
    for (let i = 0; i < 30; i++) await put('hold', job(2000 + i, T0 - 86_400_000 + i, T0));
    for (let i = 0; i < 30; i++)
      await put('dead', { ...job(3000 + i, T0 - 86_400_000 + i, T0), deadReason: 'permanent' });
    for (let i = 0; i < 5; i++) await put('corrupt', job(4000 + i, T0, T0));

    const exact = await backend.status(NOW);
    expect(exact).toMatchObject({ incoming: 200, deferred: 60, hold: 30, dead: 30, corrupt: 5, backlog: 260 });
    expect(exact.sampled).toBeUndefined();
    expect(exact.oldestId).toBe(job(1059, T0 - 60 * 60_000, 0).id);

    const est = await backend.status(NOW, SMALL);
    // Where the set alone says the state, the total is Redis's count, exact.
    expect(est).toMatchObject({ incoming: 200, active: 0, deferred: 60, backlog: 260 });
    expect(est.oldestId).toBe(exact.oldestId);
    expect(est.oldestAgeSeconds).toBe(exact.oldestAgeSeconds);
    // Parked jobs (held, dead, corrupt) share one set: its size is exact, the split estimated.
    expect(est.hold + est.dead + est.corrupt).toBe(65);
    for (const state of ['hold', 'dead'] as const) expect(Math.abs(est[state] - exact[state])).toBeLessThanOrEqual(10);
    expect(est.sampled).toEqual({
      jobs: 3 * SMALL.sample,
      of: 200 + 60 + 65,
      estimated: expect.arrayContaining([
        'byType.incoming',
        'byType.deferred',
        'byType.hold',
        'byType.dead',
        'hold',
        'dead',
      ]),
    });
    expect(est.sampled!.estimated).not.toContain('incoming');
    // Per-type estimates add up to the exact totals and stay near the exact counts.
    expect(typeTotals(est)).toMatchObject({ incoming: 200, deferred: 60 });
    for (const type of TYPES)
      for (const state of ['incoming', 'deferred'] as const)
        expect(Math.abs((est.byType[type]?.[state] ?? 0) - exact.byType[type]![state]!)).toBeLessThanOrEqual(
          exact[state] / 4,
        );
    expect(await backend.backlog(SMALL.read)).toBe(260);
    expect(await backend.backlog()).toBe(260);
  });

  it('finds the oldest job among ids that are not ULIDs (another producer) by its BullMQ timestamp', async () => {
    const q = new Queue('scale', { connection: { host: '127.0.0.1', port: redis.port } });
    await q.add('custom', job(5000, T0, T0), { jobId: 'legacy-1', priority: 6, timestamp: T0 - 7 * 86_400_000 });
    await q.close();
    const exact = await backend.status(NOW);
    const est = await backend.status(NOW, SMALL);
    expect(exact.oldestId).toBe('legacy-1');
    expect(est).toMatchObject({ oldestId: 'legacy-1', oldestAgeSeconds: exact.oldestAgeSeconds, incoming: 201 });
  });

  it('a job held while it waited is hold when read, incoming when its set is only counted (until a drainer parks it)', async () => {
    const before = await backend.status(NOW);
    const { value: waiting } = await backend.list(['incoming'])[Symbol.asyncIterator]().next();
    await backend.hold((waiting as { id: string }).id);
    const exact = await backend.status(NOW);
    expect(exact).toMatchObject({ incoming: before.incoming - 1, hold: before.hold + 1 });
    const est = await backend.status(NOW, SMALL);
    expect(est.incoming).toBe(before.incoming);
  });
});
