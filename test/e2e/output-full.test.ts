/**
 * Issue #11: stdout on a full disk is a fault of the machine, not a bug. With stdout on
 * /dev/full (the kernel's always-full device) the built binary printed an uncaught ENOSPC stack
 * and exited 1; now one sentence and the contract's 75. A reader that goes away (EPIPE) stays a
 * quiet end with the command's own code (test/e2e/terminal.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
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
    return spawnSync(process.execPath, ['--', BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' },
      stdio: ['ignore', full, 'pipe'],
      encoding: 'utf8',
      timeout: 20_000,
    });
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
        'hint: free space on that file system (or raise the quota), then run the command again; nothing was lost\n',
    );
    expect(r.status).toBe(75);
  });
});
