/**
 * Issue #11: stdout on a full disk is a fault of the machine, not a bug. With stdout on
 * /dev/full (the kernel's always-full device) the built binary printed an uncaught ENOSPC stack
 * and exited 1; now one sentence and the contract's 75. A reader that goes away (EPIPE) stays a
 * quiet end with the command's own code (test/e2e/terminal.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runIntoDevFull(args: string[]) {
  const cwd = tempDir('mailctl-devfull-');
  dirs.push(cwd);
  const full = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, ['--', BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' },
      stdio: ['ignore', full, 'pipe'],
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { ...r, cwd };
  } finally {
    closeSync(full);
  }
}

describe.skipIf(!existsSync('/dev/full'))('stdout on /dev/full', () => {
  it.each([
    ['preview', ['preview', 'invite-member']],
    ['templates list', ['templates', 'list']],
  ])('%s: one sentence naming the output, exit 75, no stack', (_name, args) => {
    const r = runIntoDevFull(args);
    expect(r.stderr).toBe(
      'mailctl: cannot write the output (stdout): the disk is full (ENOSPC)\n' +
        'hint: the command itself finished and only its output was lost: check what it did before running it again (a send would go twice)\n',
    );
    expect(r.status).toBe(75);
  });

  it('send: the mail went out, so the message says so instead of "run it again"', () => {
    const r = runIntoDevFull(['send', 'reset-password', '--to', 'ops@example.com', '--json']);
    expect(r.status).toBe(75);
    expect(r.stderr).toMatch(/^mailctl: cannot write the output \(stdout\): the disk is full \(ENOSPC\)$/m);
    expect(r.stderr).toMatch(/^hint: .*only its output was lost.*a send would go twice/m);
    expect(r.stderr).not.toMatch(/nothing was lost|at .*\.js:\d+/);
    // The file provider wrote the one mail: exactly one .eml in the outbox.
    expect(readdirSync(join(r.cwd, '.mailctl', 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });
});
