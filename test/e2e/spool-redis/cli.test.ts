/**
 * The same command sequence through the built binary on the file spool and on the Redis spool:
 * enqueue, send --queue, queue status/list/hold/release/retry/purge/monitor, drain (file
 * provider). Every exit code and every line of output must be the same once job ids, times and
 * the spool's location are written as placeholders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

interface Step {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

async function session(env: Record<string, string>): Promise<{ steps: Step[]; location: string }> {
  const cwd = tempDir();
  const steps: Step[] = [];
  const run = async (...args: string[]): Promise<Step> => {
    const r = await runCli(args, { cwd, env });
    const step = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    steps.push(step);
    return step;
  };
  const first = JSON.parse(
    (await run('enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=123456', '--json')).stdout,
  ) as { id: string };
  await run(
    'send',
    'change-email-completed',
    '--to',
    'b@example.com',
    '--var',
    'email=b@example.com',
    '--queue',
    '--priority',
    '3',
    '--ttl',
    '2h',
    '--json',
  );
  await run('enqueue', 'reset-password', '--to', 'not-an-address', '--var', 'code=1');
  const status = JSON.parse((await run('queue', 'status', '--json')).stdout) as { spool: string };
  await run('queue', 'status');
  await run('queue', 'list');
  await run('queue', 'hold', first.id);
  await run('queue', 'hold', first.id);
  await run('queue', 'list', '--state', 'hold', '--json');
  await run('queue', 'release', first.id);
  await run('queue', 'release', first.id);
  await run('queue', 'retry');
  await run('queue', 'retry', first.id);
  await run('queue', 'retry', '01ARZ3NDEKTSV4RRFFQ69G5FAZ');
  await run('queue', 'list', '--state', 'nope');
  await run('drain', '--json');
  await run('queue', 'status', '--format', 'prometheus');
  await run('queue', 'list');
  await run('queue', 'purge', '--state', 'active');
  await run('queue', 'purge', '--state', 'dead', '--json');
  await run('queue', 'monitor', '--alert-to', 'ops@example.com', '--threshold', '1', '--json');
  return { steps, location: status.spool };
}

function normalize(s: { steps: Step[]; location: string }): Step[] {
  const clean = (text: string): string =>
    text
      .split(s.location)
      .join('<SPOOL>')
      .replace(/<SPOOL>[^\s"]*/g, '<SPOOL>')
      .replace(/[0-9A-HJKMNP-TV-Z]{26}/g, '<ID>')
      .replace(/[0-9a-hjkmnp-tv-z]{26}@/g, '<id>@')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<TIME>')
      .replace(/"durationMs":\d+/g, '"durationMs":0')
      .replace(/"oldestAgeSeconds":\d+/g, '"oldestAgeSeconds":0')
      .replace(/oldest {4}\d+s/g, 'oldest    0s');
  return s.steps.map((st) => ({ exitCode: st.exitCode, stdout: clean(st.stdout), stderr: clean(st.stderr) }));
}

describe('the same CLI on both spools', () => {
  it('prints the same output with the same exit codes', async () => {
    const file = await session({});
    const redisRun = await session({ MAILCTL_SPOOL_URL: `${redis.url}?queue=cli` });
    expect(redisRun.location).toBe(`${redis.url}?queue=cli`);
    const a = normalize(file);
    const b = normalize(redisRun);
    expect(b.map((s) => s.exitCode)).toEqual([0, 0, 65, 0, 0, 0, 0, 0, 0, 0, 0, 64, 65, 65, 64, 0, 0, 0, 64, 0, 0]);
    for (let i = 0; i < a.length; i++) expect(b[i], `step ${i + 1}`).toEqual(a[i]);
    expect(JSON.parse(redisRun.steps[15]!.stdout)).toMatchObject({ delivered: 2 });
  }, 120_000);
});
