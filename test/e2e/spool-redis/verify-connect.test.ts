/**
 * `verify-config --connect` with MAILCTL_SPOOL_URL=redis://…: a `spool` report that reaches Redis
 * and reads its persistence settings; a warning when a restart of Redis would lose acknowledged
 * jobs (appendonly no, appendfsync no); 69 when Redis cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { refusedPort } from '../../helpers/ports.js';

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

async function check(url: string): Promise<{
  exitCode: number | null;
  stdout: string;
  stderr: string;
  spool?: { ok: boolean; stages: Stage[] } | undefined;
}> {
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
    expect(r.spool!.stages.find((s) => s.name === 'persist')!.warning).toMatch(
      /appendonly is no: a restart of Redis loses/,
    );
    redis.cli('CONFIG', 'SET', 'appendonly', 'yes');
  });

  it('Redis unreachable: 69 with one sentence on stderr', async () => {
    const port = await refusedPort();
    const r = await check(`redis://127.0.0.1:${port}/0`);
    expect(r.exitCode).toBe(69);
    expect(r.spool!.ok).toBe(false);
    expect(r.stderr).toMatch(
      /^mailctl: spool check failed: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0: connect ECONNREFUSED/,
    );
  });

  it('the file spool has no spool report', async () => {
    const r = await runCli(['verify-config', '--connect', '--json']);
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { spool?: unknown }).spool).toBeUndefined();
  });
});

describe('a Redis spool with a password', () => {
  const PASSWORD = 'redis-pw-0a1b2c3d-secret';
  let own: TestRedis;
  beforeAll(async () => {
    own = await startRedis();
    own.cli('CONFIG', 'SET', 'requirepass', PASSWORD);
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('MAILCTL_REDIS_PASSWORD logs in; no output carries it', async () => {
    const env = { MAILCTL_SPOOL_URL: own.url, MAILCTL_REDIS_PASSWORD: PASSWORD };
    const outs = [
      await runCli(['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=1', '--json'], { env }),
      await runCli(['queue', 'status', '--json'], { env }),
      await runCli(['verify-config', '--connect', '--debug'], { env }),
    ];
    for (const r of outs) expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(outs[1]!.stdout)).toMatchObject({ incoming: 1 });
    for (const r of outs) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('a wrong or missing password is 77 (refused login), the password masked', async () => {
    const wrong = await runCli(['queue', 'status'], {
      env: { MAILCTL_SPOOL_URL: `redis://:wrong-pw-zz@127.0.0.1:${own.port}/0` },
    });
    expect(wrong.exitCode).toBe(77);
    expect(wrong.stderr).toMatch(/^mailctl: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the login/);
    expect(wrong.stderr).not.toContain('wrong-pw-zz');
    const missing = await runCli(['queue', 'status'], { env: { MAILCTL_SPOOL_URL: own.url } });
    expect(missing.exitCode).toBe(77);
  });
});
