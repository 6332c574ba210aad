/**
 * Queue management and the store's housekeeping, on a real spool in a temp dir: status from names,
 * retry (keeps id, Message-ID and history), hold of a claimed job, purge by age, recovery of an
 * unparsable claim, stale temp files, empty deferred buckets, and the drain command's progress bar.
 */
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as drainCommand } from '../../../src/commands/drain.js';
import type { CommandContext } from '../../../src/commands/shared.js';
import { BUCKET_MS } from '../../../src/spool/file/store.js';
import { holdJob, purgeJobs, retryAll, retryById, spoolStatus } from '../../../src/spool/file/manage.js';
import { loadConfig } from '../../../src/config/index.js';
import { enqueue, jobsIn, tempSpool } from '../../helpers/spool.js';
import { fakeClock } from '../../helpers/clock.js';

async function fileConfig() {
  return (await loadConfig({ cwd: '/', env: {} })).config;
}

describe('queue management', () => {
  it('status counts states, types and the oldest age from file names', async () => {
    const store = tempSpool();
    const clock = fakeClock();
    const config = await fileConfig();
    const first = await enqueue(store, config, clock);
    clock.advance(90_000);
    await enqueue(store, config, clock, { type: 'change-email-completed', vars: { email: 'a@example.com' } });
    const held = await enqueue(store, config, clock);
    holdJob(store, held.id);
    const s = spoolStatus(store, clock.now() + 10_000);
    expect(s).toMatchObject({
      incoming: 2,
      hold: 1,
      active: 0,
      deferred: 0,
      dead: 0,
      corrupt: 0,
      backlog: 2,
      oldestId: first.id,
      oldestAgeSeconds: 100,
    });
    expect(s.byType).toEqual({ 'reset-password': { incoming: 1, hold: 1 }, 'change-email-completed': { incoming: 1 } });
  });

  it('retry makes dead and deferred jobs due again, keeping id, Message-ID and history', async () => {
    const store = tempSpool();
    const clock = fakeClock();
    const config = await fileConfig();
    const a = await enqueue(store, config, clock, { type: 'change-email-completed', vars: { email: 'a@example.com' } });
    const [c] = store.scan(clock.now(), false);
    const claim = store.claim(c!, { pid: 1, host: 'h' })!;
    store.settle(
      claim,
      { ...a, attempts: 8, deadReason: 'max-attempts', history: [{ at: 'x', ok: false, code: 451 }] },
      'dead',
    );
    expect(() => retryById(store, a.id, { pid: 1, host: 'h' }, clock.now())).not.toThrow();
    const [back] = jobsIn(store, 'incoming');
    expect(back).toMatchObject({ id: a.id, messageId: a.messageId, attempts: 0, history: [{ code: 451 }] });
    expect(back!.deadReason).toBeUndefined();

    const [c2] = store.scan(clock.now(), false);
    const claim2 = store.claim(c2!, { pid: 1, host: 'h' })!;
    store.settle(
      claim2,
      { ...back!, attempts: 1, nextAttemptAt: new Date(clock.now() + 3_600_000).toISOString() },
      'deferred',
    );
    expect(store.scan(clock.now(), false)).toEqual([]);
    expect(retryAll(store, { pid: 1, host: 'h' }, clock.now())).toBe(1);
    expect(store.scan(clock.now(), false)).toHaveLength(1);
  });

  it('refuses to hold or retry a job that a drain is delivering (75)', async () => {
    const store = tempSpool();
    const clock = fakeClock();
    const job = await enqueue(store, await fileConfig(), clock);
    store.claim(store.scan(clock.now(), false)[0]!, { pid: 77, host: 'h' });
    expect(() => holdJob(store, job.id)).toThrow(
      expect.objectContaining({ exitCode: 75, message: expect.stringMatching(/claimed by 77@h/) }),
    );
    expect(() => retryById(store, job.id, { pid: 1, host: 'h' }, clock.now())).toThrow(
      expect.objectContaining({ exitCode: 75 }),
    );
  });

  it('purge deletes only files older than the limit', async () => {
    const store = tempSpool();
    const now = Date.now();
    for (const [name, age] of [
      ['old.json', 8 * 86_400_000],
      ['new.json', 86_400_000],
    ] as const) {
      const path = join(store.dirs.dead, name);
      writeFileSync(path, '{}');
      utimesSync(path, (now - age) / 1000, (now - age) / 1000);
    }
    expect(purgeJobs(store, 'dead', 7 * 86_400_000, now)).toBe(1);
    expect(readdirSync(store.dirs.dead)).toEqual(['new.json']);
  });

  it('recovery moves an unparsable claim of a dead process to corrupt/, removes stale temp files and empty old buckets', async () => {
    const store = tempSpool();
    const now = Date.now();
    writeFileSync(join(store.dirs.active, '999@h~01-0000000000000-01M8SQA09K5QTC2DWAGVXH798N-x.json'), 'garbage');
    const tmp = join(store.tmp, 'stale.tmp');
    writeFileSync(tmp, 'x');
    utimesSync(tmp, (now - 2 * 3_600_000) / 1000, (now - 2 * 3_600_000) / 1000);
    writeFileSync(join(store.tmp, 'fresh.tmp'), 'x');
    const bucket = store.bucketDir(now - 10 * BUCKET_MS);
    mkdirSync(bucket, { recursive: true });
    expect(store.recover({ pid: 1, host: 'h' }, () => false, now)).toMatchObject({ recovered: 0, corrupt: 1 });
    expect(readdirSync(store.dirs.corrupt).sort()).toEqual([
      '.reasons',
      '01-0000000000000-01M8SQA09K5QTC2DWAGVXH798N-x.json',
    ]);
    expect(store.reasonOf('01-0000000000000-01M8SQA09K5QTC2DWAGVXH798N-x.json')).toMatch(/^not JSON/);
    expect(readdirSync(store.tmp)).toEqual(['fresh.tmp']);
    store.scan(now, false);
    expect(readdirSync(store.dirs.deferred)).toEqual([]);
  });
});

describe('drain command output', () => {
  it('draws a progress bar on stderr when it is a terminal, and the summary on stdout', async () => {
    const store = tempSpool();
    const clock = fakeClock();
    for (let i = 0; i < 3; i++)
      await enqueue(store, await fileConfig(), clock, {
        type: 'change-email-completed',
        to: `u${i}@example.com`,
        vars: { email: 'a@example.com' },
      });
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CommandContext = {
      env: { MAILCTL_OUTBOX_DIR: join(store.root, '..', 'outbox') },
      cwd: join(store.root, '..'),
      io: { out: (s) => void out.push(s), err: (s) => void err.push(s), outIsTTY: false, errIsTTY: true },
      clock,
      random: () => 0.5,
      pid: 1,
      hostname: 'h',
      signal: new AbortController().signal,
      debug: false,
      configPath: undefined,
    };
    expect(await drainCommand({ spool: store.root }, ctx)).toBe(0);
    expect(err.join('')).toMatch(/drain \[[█░]*\] \d\/3/);
    expect(out.join('')).toMatch(/^drain: 3 delivered, 0 deferred, 0 dead, 0 corrupt, 0 expired \(\d+ ms\)\n$/);
    expect(readdirSync(join(store.root, '..', 'outbox'))).toHaveLength(3);
  });
});
