/**
 * `verify-config --connect` with MAILCTL_SPOOL_URL=redis://…: a `spool` report that reaches Redis
 * and reads its persistence settings; a warning when a restart of Redis would lose acknowledged
 * jobs (appendonly no, appendfsync no); 69 when Redis cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { refusedPort } from '../../helpers/smtp.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

interface Stage {
  name: string;
  ok: boolean;
  reply?: string;
  warning?: string;
}

async function check(url: string): Promise<{ exitCode: number | null; stdout: string; stderr: string; spool?: { ok: boolean; stages: Stage[] } }> {
  const r = await runCli(['verify-config', '--connect', '--json'], { env: { MAILCTL_SPOOL_URL: url } });
  return { ...r, spool: (JSON.parse(r.stdout) as { spool?: { ok: boolean; stages: Stage[] } }).spool };
}

describe('verify-config --connect with a Redis spool', () => {
  it('appendonly yes, appendfsync always: ok, no warning', async () => {
    redis.cli('CONFIG', 'SET', 'appendonly', 'yes');
    redis.cli('CONFIG', 'SET', 'appendfsync', 'always');
    const r = await check(redis.url);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.spool!.ok).toBe(true);
    expect(r.spool!.stages.map((s) => [s.name, s.reply])).toEqual([
      ['redis', `PONG from ${redis.url}`],
      ['persist', 'yes'],
      ['fsync', 'always'],
    ]);
    expect(r.spool!.stages.filter((s) => s.warning)).toEqual([]);
  });

  it('appendfsync no: warns that a crash loses acknowledged jobs', async () => {
    redis.cli('CONFIG', 'SET', 'appendfsync', 'no');
    const r = await check(redis.url);
    expect(r.exitCode).toBe(0);
    expect(r.spool!.stages.find((s) => s.name === 'fsync')!.warning).toMatch(/lose .*acknowledged jobs.*everysec/);
    redis.cli('CONFIG', 'SET', 'appendfsync', 'always');
  });

  it('appendonly no: warns that a restart loses the queued jobs', async () => {
    redis.cli('CONFIG', 'SET', 'appendonly', 'no');
    const r = await check(redis.url);
    expect(r.exitCode).toBe(0);
    expect(r.spool!.stages.find((s) => s.name === 'persist')!.warning).toMatch(/appendonly is no: a restart of Redis loses/);
    redis.cli('CONFIG', 'SET', 'appendonly', 'yes');
  });

  it('Redis unreachable: 69 with one sentence on stderr', async () => {
    const port = await refusedPort();
    const r = await check(`redis://127.0.0.1:${port}/0`);
    expect(r.exitCode).toBe(69);
    expect(r.spool!.ok).toBe(false);
    expect(r.stderr).toMatch(/^mailctl: spool check failed: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0: connect ECONNREFUSED/);
  });

  it('the file spool has no spool report', async () => {
    const r = await runCli(['verify-config', '--connect', '--json']);
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { spool?: unknown }).spool).toBeUndefined();
  });
});
