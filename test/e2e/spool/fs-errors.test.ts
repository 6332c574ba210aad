/**
 * File-system errors are the machine's, not bugs (issue #11, item 3), with the built binary and
 * real faults: a spool made by root drained by the service user (uid 65534: chmod does not stop
 * root), a spool path that is a file, a read-only tmpfs, an outbox the user cannot write, a
 * config file that is a directory or unreadable. Each is one sentence naming the path, a hint,
 * and the contract's code (77, 73), never "internal error … bug" (70). A missing spool is not
 * an empty queue: `queue status` warns, `"present": false`, `mailctl_spool_present 0`.
 */
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from '../../helpers/cli.js';
import { isRoot, mountTmpfs, NOBODY, type Tmpfs } from '../../helpers/fs-faults.js';

const ENQUEUE = ['enqueue', 'custom', '--to', 'a@example.com', '--var', 'subject=Hi', '--var', 'body=ok'];

/** One sentence and a hint, nothing else: no stack, no bug report. */
function expectOneSentence(r: CliResult, exitCode: number, sentence: RegExp): void {
  expect(r.stderr).toMatch(sentence);
  expect(r.stderr).not.toMatch(/internal error|bug in mailctl|\n\s+at /);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^hint: /);
  expect(r.exitCode).toBe(exitCode);
}

if (!isRoot) console.warn('SKIPPED the EACCES and EROFS tests: not root (cannot run as uid 65534 or mount)');

describe.skipIf(!isRoot)('a spool made by root, used by the service user (EACCES → 77)', () => {
  const cwd = tempDir('mailctl-perm-');
  chmodSync(cwd, 0o755);
  const env = { MAILCTL_SPOOL_DIR: join(cwd, 'spool'), MAILCTL_OUTBOX_DIR: join(cwd, 'outbox') };

  for (const args of [['drain'], ['queue', 'status'], ['queue', 'list'], ENQUEUE]) {
    it(args.slice(0, 2).join(' '), async () => {
      if (readdirSync(cwd).length === 0) expect((await runCli(ENQUEUE, { cwd, env })).exitCode).toBe(0);
      const r = await runCli(args, { cwd, env, uid: NOBODY });
      expectOneSentence(
        r,
        77,
        /^mailctl: permission denied on the spool \S+ \(EACCES\)\nhint: run as the user that owns /,
      );
    });
  }

  it('send into an outbox the user cannot write → 77 naming the outbox', async () => {
    mkdirSync(join(cwd, 'outbox'), { recursive: true, mode: 0o700 });
    const r = await runCli(['send', 'custom', '--to', 'a@example.com', '--var', 'subject=Hi', '--var', 'body=ok'], {
      cwd,
      env,
      uid: NOBODY,
    });
    expectOneSentence(r, 77, /^mailctl: permission denied on the outbox \S+outbox\S* \(EACCES\)\n/);
  });

  it('--config naming a file the user cannot read → 77 naming the file', async () => {
    const config = join(cwd, 'mailctl.config.json');
    writeFileSync(config, '{"mailType":"file"}', { mode: 0o600 });
    const r = await runCli(['verify-config', '--config', config], { cwd, env, uid: NOBODY });
    expectOneSentence(r, 77, /^mailctl: permission denied on the config file \S+mailctl\.config\.json \(EACCES\)\n/);
  });
});

describe('a path that is not a directory (ENOTDIR/EEXIST → 73)', () => {
  it('MAILCTL_SPOOL_DIR names a file: enqueue, drain and queue status say so', async () => {
    const cwd = tempDir('mailctl-notdir-');
    writeFileSync(join(cwd, 'spool'), 'a file');
    const env = { MAILCTL_SPOOL_DIR: join(cwd, 'spool') };
    for (const args of [ENQUEUE, ['drain'], ['queue', 'status', '--json']]) {
      const r = await runCli(args, { cwd, env });
      expectOneSentence(r, 73, /^mailctl: cannot (create|use) the spool \S+spool\b.*\nhint: /);
    }
  });

  it('--config naming a directory → 73 naming it', async () => {
    const cwd = tempDir('mailctl-confdir-');
    const r = await runCli(['verify-config', '--config', cwd], { cwd });
    expectOneSentence(r, 73, /^mailctl: cannot use the config file \S+: it is a directory, not a file\nhint: /);
  });
});

describe('present: a missing spool is not an empty queue', () => {
  it('--format prometheus exports mailctl_spool_present 0 and warns; 1 once the spool exists', async () => {
    const cwd = tempDir('mailctl-present-');
    const env = { MAILCTL_SPOOL_DIR: join(cwd, 'typo') };
    const missing = await runCli(['queue', 'status', '--format', 'prometheus'], { cwd, env });
    expect(missing.exitCode).toBe(0);
    expect(missing.stdout).toContain('\nmailctl_spool_present 0\n');
    expect(missing.stderr).toMatch(/warning: the spool \S+typo does not exist/);
    expect((await runCli(ENQUEUE, { cwd, env })).exitCode).toBe(0);
    const there = await runCli(['queue', 'status', '--format', 'prometheus'], { cwd, env });
    expect(there.stdout).toContain('\nmailctl_spool_present 1\n');
    expect(there.stderr).toBe('');
    const json = await runCli(['queue', 'status', '--json'], { cwd, env });
    expect(JSON.parse(json.stdout)).toMatchObject({ present: true, incoming: 1 });
  });
});

describe.skipIf(!isRoot)('a read-only file system (EROFS → 73)', () => {
  const fs = mountTmpfs('2m');
  afterAll(() => {
    if (typeof fs !== 'string') fs.unmount();
  });

  it('enqueue and drain name the spool and the fix; the queued job stays', async () => {
    if (typeof fs === 'string') throw new Error(fs);
    const mount: Tmpfs = fs;
    const env = { MAILCTL_SPOOL_DIR: join(mount.dir, 'spool'), MAILCTL_OUTBOX_DIR: join(mount.dir, 'outbox') };
    expect((await runCli(ENQUEUE, { env })).exitCode).toBe(0);
    mount.remount('ro');
    try {
      expectOneSentence(
        await runCli(ENQUEUE, { env }),
        73,
        /^mailctl: cannot write the spool \S+: the file system is read-only\nhint: /,
      );
      expectOneSentence(
        await runCli(['drain'], { env }),
        73,
        /^mailctl: cannot write the spool \S+: the file system is read-only\nhint: /,
      );
      expect(readdirSync(join(mount.dir, 'spool', 'incoming'))).toHaveLength(1);
      const status = await runCli(['queue', 'status', '--json'], { env });
      expect(JSON.parse(status.stdout)).toMatchObject({ present: true, incoming: 1 });
    } finally {
      mount.remount('rw');
    }
  });

  it('a directory still to be made names the read-only file system, not ENOENT (spool, outbox, templates init)', async () => {
    if (typeof fs === 'string') throw new Error(fs);
    const mount: Tmpfs = fs;
    const env = { MAILCTL_SPOOL_DIR: join(mount.dir, 'new-spool'), MAILCTL_OUTBOX_DIR: join(mount.dir, 'new-outbox') };
    mount.remount('ro');
    try {
      expectOneSentence(
        await runCli(ENQUEUE, { env }),
        73,
        /^mailctl: cannot write the spool \S+: the file system is read-only\nhint: /,
      );
      expectOneSentence(
        await runCli(['send', 'custom', '--to', 'a@example.com', '--var', 'subject=Hi', '--var', 'body=ok'], { env }),
        73,
        /^mailctl: cannot write the outbox \S+new-outbox: the file system is read-only\nhint: /,
      );
      expectOneSentence(
        await runCli(['templates', 'init', join(mount.dir, 'tpl', 'x')], { env }),
        73,
        /^mailctl: cannot write the template directory \S+: the file system is read-only\nhint: /,
      );
    } finally {
      mount.remount('rw');
    }
  });
});
