/**
 * The spool through the built binary: enqueue (and its refusals, with nothing written), drain with
 * the file provider, the queue commands and their exit codes, and the README's Python producer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('mailctl enqueue', () => {
  it('writes one job into incoming/ and prints its id and path', async () => {
    const cwd = tempDir();
    const r = await runCli(
      ['enqueue', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456', '--json'],
      { cwd },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as {
      id: string;
      path: string;
      priority: number;
      expiresAt: string;
      messageId: string;
    };
    expect(out).toMatchObject({ state: 'incoming', type: 'reset-password', priority: 1 });
    expect(out.path.startsWith(join(cwd, '.mailctl/spool/incoming/'))).toBe(true);
    expect(out.path).toMatch(new RegExp(`/01-\\d{13}-${out.id}-reset-password\\.json$`));
    const job = JSON.parse(readFileSync(out.path, 'utf8')) as Record<string, unknown>;
    expect(job).toMatchObject({
      version: 1,
      id: out.id,
      type: 'reset-password',
      to: 'user@example.com',
      lang: 'en-US',
      vars: { code: '123456' },
      attempts: 0,
      messageId: out.messageId,
    });
    expect(Date.parse(out.expiresAt) - Date.parse(job.createdAt as string)).toBe(5 * 60_000);
    expect(files(join(cwd, '.mailctl/spool/tmp'))).toEqual([]);
  });

  it('send --queue is the same as enqueue; --ttl and --priority are honoured', async () => {
    const cwd = tempDir();
    const r = await runCli(
      [
        'send',
        'change-email-completed',
        '--to',
        'a@example.com',
        '--var',
        'email=a@example.com',
        '--queue',
        '--priority',
        '3',
        '--ttl',
        '2h',
        '--json',
      ],
      { cwd },
    );
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { path: string; priority: number; expiresAt: string };
    expect(out.priority).toBe(3);
    expect(out.path).toMatch(/\/incoming\/03-\d{13}-[0-9A-Z]{26}-change-email-completed\.json$/);
  });

  it.each([
    ['an unknown type', 64, ['enqueue', 'no-such-type', '--to', 'a@example.com'], /unknown mail type "no-such-type"/],
    [
      'an unknown language',
      64,
      ['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=1', '--lang', 'x_y'],
      /lang|language/i,
    ],
    [
      'a bad address',
      65,
      ['enqueue', 'reset-password', '--to', 'not-an-address', '--var', 'code=1'],
      /recipient "not-an-address" is not a valid address/,
    ],
    [
      'a missing variable',
      65,
      ['enqueue', 'reset-password', '--to', 'a@example.com'],
      /missing template variable "code"/,
    ],
    [
      'header injection in --from',
      65,
      [
        'enqueue',
        'reset-password',
        '--to',
        'a@example.com',
        '--var',
        'code=1',
        '--from',
        'a@example.com\r\nBcc: evil@example.com',
      ],
      /./,
    ],
    [
      'a bad --ttl',
      64,
      ['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=1', '--ttl', 'soon'],
      /--ttl "soon" is not a duration/,
    ],
  ])('refuses %s (exit %i) and writes nothing', async (_n, code, args, message) => {
    const cwd = tempDir();
    const r = await runCli(args, { cwd });
    expect(r.exitCode).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // one sentence and a hint
    expect(files(join(cwd, '.mailctl/spool/incoming'))).toEqual([]);
  });
});

describe('mailctl drain and queue (file provider)', () => {
  it('a queued code states the validity it was queued with (--ttl, MAILCTL_CODE_TTL), in its language', async () => {
    const cwd = tempDir();
    let r = await runCli(
      ['enqueue', 'email-code-login', '--to', 'a@example.com', '--var', 'code=111111', '--ttl', '15m'],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    r = await runCli(
      ['enqueue', 'email-code-login', '--to', 'b@example.com', '--var', 'code=222222', '--lang', 'zh-CN'],
      { cwd, env: { MAILCTL_CODE_TTL: '10m' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    // drained later without MAILCTL_CODE_TTL: each job keeps the validity it was queued with
    r = await runCli(['drain'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const bodies = await Promise.all(
      files(join(cwd, '.mailctl/outbox')).map(
        async (f) => (await simpleParser(readFileSync(join(cwd, '.mailctl/outbox', f)))).text ?? '',
      ),
    );
    expect(bodies.find((t) => t.includes('111111'))).toContain('This code is valid for 15 minutes.');
    expect(bodies.find((t) => t.includes('222222'))).toContain('验证码 10分钟内有效');
  });

  it('MAILCTL_CODE_TTL shortens codes only, not invitations (whose link lives 72 hours)', async () => {
    const cwd = tempDir();
    const env = { MAILCTL_CODE_TTL: '10m' };
    const ttlOf = async (...args: string[]): Promise<number> => {
      const r = await runCli(['enqueue', ...args, '--json'], { cwd, env });
      expect(r.exitCode, r.stderr).toBe(0);
      const job = JSON.parse(r.stdout) as { id: string; expiresAt: string };
      const created = Date.parse(
        (
          JSON.parse(
            readFileSync(
              files(join(cwd, '.mailctl/spool/incoming'))
                .map((f) => join(cwd, '.mailctl/spool/incoming', f))
                .find((f) => f.includes(job.id))!,
              'utf8',
            ),
          ) as { createdAt: string }
        ).createdAt,
      );
      return Date.parse(job.expiresAt) - created;
    };
    expect(await ttlOf('reset-password', '--to', 'a@example.com', '--var', 'code=111111')).toBe(10 * 60_000);
    expect(
      await ttlOf(
        'invite-member',
        '--to',
        'b@example.com',
        '--var',
        'inviter_name=Ana',
        '--var',
        'workspace_name=Acme',
        '--var',
        'url=https://app.example.com/i?t=1',
      ),
    ).toBe(72 * 3_600_000);
  });

  it('drains to the outbox, prints the summary, and the queue commands manage what is left', async () => {
    const cwd = tempDir();
    const enq = async (...args: string[]) => {
      const r = await runCli(['enqueue', ...args, '--json'], { cwd });
      expect(r.exitCode, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { id: string }).id;
    };
    const a = await enq('reset-password', '--to', 'a@example.com', '--var', 'code=111111');
    const b = await enq('reset-password', '--to', 'b@example.com', '--var', 'code=222222');
    const gone = await enq('reset-password', '--to', 'c@example.com', '--var', 'code=333333', '--ttl', '1ms');

    // hold b, so that drain leaves it
    let r = await runCli(['queue', 'hold', b], { cwd });
    expect([r.exitCode, r.stdout]).toEqual([0, `held ${b} (was incoming)\n`]);

    r = await runCli(['queue', 'status', '--json'], { cwd });
    expect(r.exitCode).toBe(0);
    const status = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({
      incoming: 2,
      active: 0,
      deferred: 0,
      hold: 1,
      dead: 0,
      corrupt: 0,
      backlog: 2,
      byType: { 'reset-password': { incoming: 2, hold: 1 } },
    });
    expect(typeof status.oldestAgeSeconds).toBe('number');

    r = await runCli(['drain', '--json'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ delivered: 1, deferred: 0, dead: 0, corrupt: 0, expired: 1 });
    const eml = files(join(cwd, '.mailctl/outbox'));
    expect(eml).toHaveLength(1);
    expect(readFileSync(join(cwd, '.mailctl/outbox', eml[0]!), 'utf8')).toContain(
      `Message-ID: <${a.toLowerCase()}@localhost>`,
    );

    r = await runCli(['queue', 'list', '--json'], { cwd });
    const listed = jsonLines(r.stdout);
    expect(listed.map((j) => [j.id, j.state])).toEqual([
      [b, 'hold'],
      [gone, 'dead'],
    ]);
    expect(listed[1]).toMatchObject({ deadReason: 'expired' });
    expect(JSON.stringify(listed)).not.toContain('222222'); // variables (codes) are never listed

    r = await runCli(['queue', 'list', '--state', 'dead'], { cwd });
    expect(r.stdout).toMatch(new RegExp(`^${gone}  dead .* expired: expired at`));

    r = await runCli(['queue', 'release', b], { cwd });
    expect([r.exitCode, r.stdout]).toEqual([0, `released ${b} to incoming\n`]);
    r = await runCli(['drain'], { cwd });
    expect(r.stdout).toMatch(/^drain: 1 delivered, 0 deferred, 0 dead, 0 corrupt, 0 expired \(/);

    r = await runCli(['queue', 'retry', gone], { cwd });
    expect([r.exitCode, r.stdout]).toEqual([0, `requeued ${gone}\n`]);
    r = await runCli(['queue', 'status', '--format', 'prometheus'], { cwd });
    expect(r.stdout).toContain('mailctl_spool_jobs{state="incoming"} 1\n');
    expect(r.stdout).toContain('mailctl_spool_type_jobs{type="reset-password",state="incoming"} 1\n');
    expect(r.stdout).toMatch(/^# HELP mailctl_spool_jobs /);

    r = await runCli(['queue', 'hold', gone], { cwd });
    expect(r.exitCode).toBe(0);
    r = await runCli(['queue', 'purge', '--state', 'hold', '--older-than', '7d', '--json'], { cwd });
    expect(JSON.parse(r.stdout)).toEqual({ state: 'hold', purged: 0 });
    r = await runCli(['queue', 'purge', '--state', 'hold'], { cwd });
    expect(r.stdout).toBe('purged 1 job(s) from hold\n');
  });

  it.each([
    [
      'hold of a missing job',
      65,
      ['queue', 'hold', '01M8SQA09K5QTC2DWAGVXH798N'],
      /no job "01M8SQA09K5QTC2DWAGVXH798N" in the spool/,
    ],
    ['retry of a missing job', 65, ['queue', 'retry', 'nope'], /no job "nope"/],
    ['release of a missing job', 65, ['queue', 'release', 'nope'], /no job "nope"/],
    ['retry without an id', 64, ['queue', 'retry'], /name a job id or pass --all/],
    ['an unknown state', 64, ['queue', 'list', '--state', 'waiting'], /unknown state "waiting"/],
    ['purge of an unknown state', 64, ['queue', 'purge', '--state', 'sent'], /unknown state "sent"/],
    ['purge of active', 64, ['queue', 'purge', '--state', 'active'], /cannot be purged/],
    ['a bad --older-than', 64, ['queue', 'purge', '--state', 'dead', '--older-than', 'a week'], /not a duration/],
    ['monitor without recipients', 64, ['queue', 'monitor', '--threshold', '1'], /no alert recipients/],
  ])('%s exits %i', async (_n, code, args, message) => {
    const r = await runCli(args);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('drain with an unusable configuration exits 78', async () => {
    const r = await runCli(['drain'], { env: { MAIL_TYPE: 'smtp' } });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/^mailctl: configuration error: /);
  });

  it('a configuration problem found while rendering stops the drain (78) and leaves the jobs queued', async () => {
    const cwd = tempDir();
    expect(
      (await runCli(['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=1'], { cwd })).exitCode,
    ).toBe(0);
    const r = await runCli(['drain'], { cwd, env: { BRANDING_ENABLED: 'true' } });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/APPLICATION_TITLE/);
    expect(files(join(cwd, '.mailctl/spool/incoming'))).toHaveLength(1);
    expect(files(join(cwd, '.mailctl/spool/dead'))).toEqual([]);
    expect(files(join(cwd, '.mailctl/spool/active'))).toEqual([]);
  });

  it('queue status on a spool that does not exist says so: zeros, present false, a warning', async () => {
    const r = await runCli(['queue', 'status', '--json', '--spool', 'nowhere']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(
      /^mailctl: warning: the spool \S+nowhere does not exist, so nothing was ever queued there\nhint: /,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({
      present: false,
      incoming: 0,
      active: 0,
      deferred: 0,
      hold: 0,
      dead: 0,
      corrupt: 0,
      oldestAgeSeconds: null,
    });
  });
});

describe("the README's Python producer", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const doc = readme.slice(readme.indexOf('### Writing jobs from another language'));
  const python = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
  const hasPython = spawnSync('python3', ['--version']).status === 0;

  it.skipIf(!hasPython)('writes a job that mailctl drain delivers', async () => {
    expect(python).toBeDefined();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'producer.py'), python!);
    const spool = join(cwd, 'spool');
    const py = spawnSync('python3', [join(cwd, 'producer.py'), spool, 'user@example.com'], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const id = py.stdout.trim();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(files(join(spool, 'incoming'))).toEqual([
      expect.stringMatching(new RegExp(`^01-\\d{13}-${id}-reset-password\\.json$`)),
    ]);
    expect(files(join(spool, 'tmp'))).toEqual([]);

    const r = await runCli(['drain', '--spool', spool, '--json'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ delivered: 1, corrupt: 0, dead: 0, expired: 0 });
    const eml = files(join(cwd, '.mailctl/outbox'));
    expect(eml).toHaveLength(1);
    const raw = readFileSync(join(cwd, '.mailctl/outbox', eml[0]!), 'utf8');
    expect(raw).toContain(`Message-ID: <${id.toLowerCase()}@example.com>`);
    expect(raw).toContain('123456');
  });
});
