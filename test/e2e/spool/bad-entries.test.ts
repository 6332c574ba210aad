/**
 * One bad entry never stops delivery (issue #11, item 2), with the built binary: a FIFO, a
 * directory named `*.json`, a symbolic link, a file over MAILCTL_MAX_JOB_SIZE, and a job file the
 * drain's user cannot read, each next to a good job. Before the fix each was claimed and left in
 * active/ (every later drain died in recovery with 70), the FIFO blocked open() for ever, and
 * `queue list` said "no jobs". Now each is moved to corrupt/ with its reason, the good job is
 * delivered, and recovery quarantines what a dead drain left in active/.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';
import { isRoot, NOBODY } from '../../helpers/fs-faults.js';

const BAD_ID = '01JDQ3V4Z5X6Y7W8V9T0S1R2Q3';
const BAD_NAME = `01-0000000000000-${BAD_ID}-custom.json`;

interface World {
  dir: string;
  spool: string;
  outbox: string;
  env: Record<string, string>;
}

function world(): World {
  const dir = tempDir('mailctl-bad-');
  const spool = join(dir, 'spool');
  const outbox = join(dir, 'outbox');
  return { dir, spool, outbox, env: { MAILCTL_SPOOL_DIR: spool, MAILCTL_OUTBOX_DIR: outbox } };
}

/** A valid job's JSON, for links and unreadable files that would otherwise be delivered. */
function validJob(): string {
  return JSON.stringify({
    version: 1,
    id: BAD_ID,
    type: 'custom',
    to: 'bad@example.com',
    vars: { subject: 'Hi', body: 'must not be sent' },
    priority: 1,
    createdAt: '2026-12-01T21:00:00.000Z',
    attempts: 0,
    nextAttemptAt: '2026-12-01T21:00:00.000Z',
    history: [],
  });
}

async function enqueueGood(w: World): Promise<string> {
  const r = await runCli(['enqueue', 'custom', '--to', 'good@example.com', '--var', 'subject=Hi', '--var', 'body=ok'], {
    env: w.env,
    cwd: w.dir,
  });
  expect(r.exitCode).toBe(0);
  return r.stdout.split(' ')[1]!;
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const BAD_ENTRIES: { kind: string; make: (path: string, w: World) => void; reason: RegExp }[] = [
  { kind: 'a FIFO', make: (p) => execFileSync('mkfifo', [p]), reason: /a FIFO \(named pipe\), not a job file/ },
  { kind: 'a directory named *.json', make: (p) => mkdirSync(p), reason: /a directory, not a job file/ },
  {
    kind: 'a symbolic link to a valid job',
    make: (p, w) => {
      writeFileSync(join(w.dir, 'elsewhere.json'), validJob());
      symlinkSync(join(w.dir, 'elsewhere.json'), p);
    },
    reason: /a symbolic link, which the spool never follows/,
  },
  {
    kind: 'a 600 MB file (sparse)',
    make: (p) => {
      writeFileSync(p, '');
      truncateSync(p, 600 * 1024 * 1024);
    },
    reason: /629145600 bytes, larger than MAILCTL_MAX_JOB_SIZE \(10485760\)/,
  },
];

describe('a bad entry in incoming/ is set aside and the good job next to it is delivered', () => {
  for (const bad of BAD_ENTRIES) {
    it(bad.kind, async () => {
      const w = world();
      const good = await enqueueGood(w);
      bad.make(join(w.spool, 'incoming', BAD_NAME), w);

      const before = await runCli(['queue', 'list', '--json'], { env: w.env, cwd: w.dir, timeoutMs: 15_000 });
      expect(before.exitCode).toBe(0);
      expect(jsonLines(before.stdout).find((j) => j.id === BAD_ID)?.problem).toMatch(bad.reason);

      const r = await runCli(['drain'], { env: w.env, cwd: w.dir, timeoutMs: 15_000 });
      expect(r.signal).toBeNull(); // ended by itself in bounded time (a FIFO used to block open())
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^drain: 1 delivered, 0 deferred, 0 dead, 1 corrupt/);
      expect(r.stderr).toMatch(new RegExp(`mailctl: drain: set aside in corrupt/ \\S+${BAD_NAME}: `));
      expect(r.stderr).toMatch(bad.reason);
      expect(r.stderr).not.toMatch(/internal error|bug/);
      expect(readdirSync(w.outbox)).toHaveLength(1);
      expect(readdirSync(w.outbox)[0]).toContain(good.toLowerCase());
      expect(readdirSync(join(w.spool, 'corrupt'))).toContain(BAD_NAME);
      expect(readdirSync(join(w.spool, 'active'))).toEqual([]);
      expect(readFileSync(join(w.spool, 'corrupt', '.reasons', BAD_NAME), 'utf8')).toMatch(bad.reason);

      const list = await runCli(['queue', 'list', '--json'], { env: w.env, cwd: w.dir, timeoutMs: 15_000 });
      expect(jsonLines(list.stdout)).toEqual([
        expect.objectContaining({ id: BAD_ID, state: 'corrupt', problem: expect.stringMatching(bad.reason) }),
      ]);
      const status = await runCli(['queue', 'status', '--json'], { env: w.env, cwd: w.dir });
      expect(JSON.parse(status.stdout)).toMatchObject({ incoming: 0, active: 0, corrupt: 1 });

      // And the next drain is not stopped by anything.
      const again = await runCli(['drain'], { env: w.env, cwd: w.dir, timeoutMs: 15_000 });
      expect(again.exitCode).toBe(0);
    });
  }

  it.skipIf(!isRoot)('a job file the drain user cannot read (drain as uid 65534 on a spool it owns)', async () => {
    const w = world();
    await enqueueGood(w);
    const bad = join(w.spool, 'incoming', BAD_NAME);
    writeFileSync(bad, validJob(), { mode: 0o600 }); // root's, unreadable by nobody
    mkdirSync(w.outbox, { mode: 0o700 });
    for (const d of [w.dir, w.spool, w.outbox, ...readdirSync(w.spool).map((s) => join(w.spool, s))])
      chownSync(d, NOBODY, NOBODY);
    for (const f of readdirSync(join(w.spool, 'incoming')).filter((n) => n !== BAD_NAME))
      chownSync(join(w.spool, 'incoming', f), NOBODY, NOBODY);

    const r = await runCli(['drain'], { env: w.env, cwd: w.dir, uid: NOBODY, gid: NOBODY, timeoutMs: 15_000 });
    expect(r.stderr).toMatch(/set aside in corrupt\/ \S+: cannot be opened by this user \(EACCES\)/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^drain: 1 delivered, 0 deferred, 0 dead, 1 corrupt/);
    expect(readdirSync(w.outbox)).toHaveLength(1);
    expect(readdirSync(join(w.spool, 'corrupt'))).toContain(BAD_NAME);
    expect(readFileSync(join(w.spool, 'corrupt', BAD_NAME), 'utf8')).toBe(validJob()); // kept as it was
  });
  if (!isRoot) console.warn('SKIPPED the unreadable-job test: not root, cannot run the drain as another user');
});

describe('recovery never aborts', () => {
  it('a FIFO and a directory left in active/ by a dead drain are quarantined; the good job is delivered', async () => {
    const w = world();
    await enqueueGood(w);
    const tag = `999999@${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}`;
    execFileSync('mkfifo', [join(w.spool, 'active', `${tag}~${BAD_NAME}`)]);
    const dirName = BAD_NAME.replace('01-', '02-');
    mkdirSync(join(w.spool, 'active', `${tag}~${dirName}`));

    const r = await runCli(['drain'], { env: w.env, cwd: w.dir, timeoutMs: 15_000 });
    expect(r.signal).toBeNull();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^drain: 1 delivered, 0 deferred, 0 dead, 2 corrupt/);
    expect(readdirSync(join(w.spool, 'active'))).toEqual([]);
    expect(readdirSync(join(w.spool, 'corrupt')).sort()).toEqual(['.reasons', BAD_NAME, dirName]);
    expect(readdirSync(w.outbox)).toHaveLength(1);
    const again = await runCli(['drain'], { env: w.env, cwd: w.dir });
    expect(again.exitCode).toBe(0);
  });
});

describe('a FIFO and SIGTERM', () => {
  it('drain --watch with a FIFO in incoming/ sets it aside and ends at SIGTERM with 0', async () => {
    const w = world();
    await enqueueGood(w);
    execFileSync('mkfifo', [join(w.spool, 'incoming', BAD_NAME)]);
    const child = spawn(process.execPath, [BIN, 'drain', '--watch'], {
      cwd: w.dir,
      env: { PATH: process.env.PATH ?? '', HOME: w.dir, NO_COLOR: '1', ...w.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // Wait until both are settled: the good mail in the outbox, the FIFO in corrupt/.
    for (let i = 0; i < 200; i++) {
      const done =
        existsSync(w.outbox) &&
        readdirSync(w.outbox).length === 1 &&
        readdirSync(join(w.spool, 'corrupt')).includes(BAD_NAME);
      if (done) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 delivered, 0 deferred, 0 dead, 1 corrupt/);
    expect(lstatSync(join(w.spool, 'corrupt', BAD_NAME)).isFIFO()).toBe(true);
  });
});

describe('enqueue refuses a job over MAILCTL_MAX_JOB_SIZE with 65', () => {
  it('a 100 MB body (the default limit, 10 MB)', async () => {
    const w = world();
    const vars = join(w.dir, 'big.json');
    writeFileSync(vars, JSON.stringify({ subject: 'Big', body: 'b'.repeat(100 * 1024 * 1024) }));
    const r = await runCli(['enqueue', 'custom', '--to', 'a@example.com', '--vars', vars], {
      env: w.env,
      cwd: w.dir,
      timeoutMs: 60_000,
    });
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(
      /^mailctl: the job is \d+ bytes, more than MAILCTL_MAX_JOB_SIZE \(10485760 bytes\); nothing was queued\nhint: /,
    );
    expect(existsSync(w.spool) ? readdirSync(w.spool, { recursive: true }) : []).toEqual([]);
  });

  it('a 5 KB body with MAILCTL_MAX_JOB_SIZE=4096', async () => {
    const w = world();
    const r = await runCli(
      ['enqueue', 'custom', '--to', 'a@example.com', '--var', 'subject=S', '--var', `body=${'c'.repeat(5000)}`],
      {
        env: { ...w.env, MAILCTL_MAX_JOB_SIZE: '4096' },
        cwd: w.dir,
      },
    );
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/MAILCTL_MAX_JOB_SIZE \(4096 bytes\)/);
  });
});
