/**
 * The queue verbs Postfix users reach for, through the built binary on the file spool and on the
 * Redis spool: show (postcat -q) with the provider's replies, delete (postsuper -d) of several ids,
 * hold/release with --all and filters, purge --dry-run, ids in any case, release of a job that is
 * not held, "did you mean" for a mistyped type, aligned columns, --json with --format refused.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { redisAvailable, startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

let smtp: TestSmtpServer;
let redis: TestRedis | undefined;
const dirs: string[] = [];
beforeAll(async () => {
  smtp = await startSmtpServer({ rcpt: { code: 451, message: '4.7.1 Greylisted, come back later' } });
  if (redisAvailable()) redis = await startRedis();
  else console.log('redis-server is not installed: the Redis half of queue-verbs.test.ts is skipped');
});
afterAll(async () => {
  await smtp.close();
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const spools: [string, () => Record<string, string>][] = [
  ['file spool', () => ({})],
  ['Redis spool', () => (redis ? { MAILCTL_SPOOL_URL: `${redis.url}?queue=verbs${Date.now()}` } : {})],
];

describe.each(spools)('queue verbs on the %s', (name, spoolEnv) => {
  const skip = name === 'Redis spool' && !redisAvailable();
  let cwd: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { cwd, env });
  const ids: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    cwd = tempDir('mailctl-verbs-');
    dirs.push(cwd);
    env = spoolEnv();
    for (const [type, vars] of [
      ['reset-password', ['code=111111']],
      ['reset-password', ['code=222222']],
      ['invite-member', ['inviter_name=Ana', 'workspace_name=Acme', 'url=https://console.example.com/a']],
    ] as const) {
      const r = await cli('enqueue', type, '--to', 'u@example.com', ...vars.flatMap((v) => ['--var', v]), '--json');
      expect(r.exitCode).toBe(0);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
    }
    // One job meets a greylisting server: deferred, with the server's words in its history.
    const hold = await cli('queue', 'hold', ids[1]!, ids[2]!);
    expect(hold.exitCode).toBe(0);
    const drain = await cli('drain', '--json');
    expect(drain.stderr).not.toMatch(/internal error/);
    const smtpEnv = {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
    };
    // (the file provider delivered nothing: both others are held; now one goes through the 451 server)
    await runCli(['queue', 'release', ids[1]!], { cwd, env });
    const d2 = await runCli(['drain', '--json'], { cwd, env: { ...env, ...smtpEnv } });
    expect(JSON.parse(d2.stdout)).toMatchObject({ deferred: 1 });
  }, 60_000);

  it.skipIf(skip)(
    'show ID (in lower case, as the Message-ID has it): envelope, headers, history with the reply',
    async () => {
      const r = await cli('queue', 'show', ids[1]!.toLowerCase());
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^\\*\\*\\* ENVELOPE \\*\\*\\*\\nid {12}${ids[1]}\\nstate {9}deferred\\n`));
      expect(r.stdout).toMatch(/\ntype {10}reset-password\n/);
      expect(r.stdout).toMatch(/\nlanguage {6}en-US\n/);
      expect(r.stdout).toMatch(/\nrecipient {5}u@example\.com\n/);
      expect(r.stdout).toMatch(/\nattempts {6}1\n/);
      expect(r.stdout).toMatch(/\nnext attempt  \d{4}-\d\d-\d\dT[\d:.]+Z \(in /);
      expect(r.stdout).toMatch(/\nexpires {7}\d{4}-/);
      expect(r.stdout).toContain(`\nMessage-ID: <${ids[1]!.toLowerCase()}@`);
      expect(r.stdout).toMatch(/\nSubject: .+\n/);
      expect(r.stdout).toMatch(/\*\*\* HISTORY \*\*\*\n1 +\S+ +transient +451 .*Greylisted, come back later/);
      expect(r.stdout).not.toContain('222222'); // variables carry codes: never shown

      const j = await cli('queue', 'show', ids[1]!, '--json');
      const json = JSON.parse(j.stdout) as Record<string, unknown> & { history: { code?: number; reply?: string }[] };
      expect(json).toMatchObject({ id: ids[1], state: 'deferred', type: 'reset-password', lang: 'en-US', attempts: 1 });
      expect(json.history[0]).toMatchObject({ code: 451 });
      expect(json.history[0]!.reply).toMatch(/Greylisted/);
      expect(json.expiresAt).toEqual(expect.any(String));
    },
  );

  it.skipIf(skip)('release of a job that is not held succeeds, as hold of a held one does', async () => {
    const r = await cli('queue', 'release', ids[1]!.toLowerCase());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${ids[1]} is not on hold (it is deferred); left as it is\n`);
  });

  it.skipIf(skip)(
    'hold --all --type, a mistyped type gets "did you mean", --state narrows, release --all',
    async () => {
      const typo = await cli('queue', 'hold', '--all', '--type', 'invite-membr');
      expect(typo.exitCode).toBe(64);
      expect(typo.stderr).toMatch(/^mailctl: unknown mail type "invite-membr"; did you mean invite-member\?\n/);
      const bad = await cli('queue', 'hold', '--all', '--state', 'dead');
      expect(bad.exitCode).toBe(64);
      const h = await cli('queue', 'hold', '--all', '--type', 'reset-password', '--state', 'deferred');
      expect(h.exitCode).toBe(0);
      expect(h.stdout).toBe(`held ${ids[1]} (was deferred)\n`);
      const rel = await cli('queue', 'release', '--all', '--type', 'reset-password');
      expect(rel.exitCode).toBe(0);
      expect(rel.stdout).toBe(`released ${ids[1]} to deferred\n`);
      const both = await cli('queue', 'hold', ids[0]!, '--all');
      expect(both.exitCode).toBe(64);
    },
  );

  it.skipIf(skip)('list: the columns line up', async () => {
    const r = await cli('queue', 'list');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const col = (line: string, n: number): number => {
      let at = 0;
      for (let i = 0; i < n; i++)
        at = line.indexOf('  ', at) + 2 + (line.slice(line.indexOf('  ', at) + 2).match(/^ */)?.[0].length ?? 0);
      return at;
    };
    for (const n of [1, 2, 3, 4]) expect(new Set(lines.map((l) => col(l, n))).size, `column ${n + 1}`).toBe(1);
  });

  it.skipIf(skip)('purge --dry-run counts and deletes nothing', async () => {
    const r = await cli('queue', 'purge', '--state', 'hold', '--dry-run', '--json');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ state: 'hold', wouldPurge: 1, dryRun: true });
    const s = await cli('queue', 'status', '--json');
    expect(JSON.parse(s.stdout)).toMatchObject({ hold: 1 });
  });

  it.skipIf(skip)('delete ID...: an unknown id is named (65) and the others are still deleted', async () => {
    const r = await cli('queue', 'delete', ids[2]!.toLowerCase(), '01ARZ3NDEKTSV4RRFFQ69G5FAZ', ids[1]!);
    expect(r.exitCode).toBe(65);
    expect(r.stdout).toBe(`deleted ${ids[2]} (was hold)\ndeleted ${ids[1]} (was deferred)\n`);
    expect(r.stderr).toMatch(/^mailctl: no job "01ARZ3NDEKTSV4RRFFQ69G5FAZ" in the spool at .*\nhint: /);
    const s = await cli('queue', 'status', '--json');
    expect(JSON.parse(s.stdout)).toMatchObject({ hold: 0, deferred: 0 });
    const none = await cli('queue', 'show', ids[2]!);
    expect(none.exitCode).toBe(65);
  });

  it.skipIf(skip)('queue status takes --json or --format, not both (64)', async () => {
    const r = await cli('queue', 'status', '--json', '--format', 'prometheus');
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/^mailctl: give either --json or --format, not both\n/);
    expect(r.stdout).toBe('');
  });
});
