/**
 * Issue #11, item 9: the outbox holds one-time codes, so the `file` provider creates it (and any
 * missing parent) 0700 and each .eml 0600 whatever the umask: mkdir's mode is filtered by the
 * umask, so a permissive umask (000) and a strict one (077) must give the same modes. Through the
 * built binary, started by a shell that sets the umask first.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('the outbox is private whatever the umask', () => {
  it.each(['000', '022', '077'])('umask %s: outbox and its new parents 700, the .eml 600', (umask) => {
    const cwd = tempDir('mailctl-umask-');
    dirs.push(cwd);
    const outbox = join(cwd, 'new', 'outbox');
    const r = spawnSync(
      'sh',
      [
        '-c',
        `umask ${umask} && exec "$0" -- "$@"`,
        process.execPath,
        BIN,
        'send',
        'reset-password',
        '--to',
        'ops@example.com',
      ],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', MAILCTL_OUTBOX_DIR: outbox },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(r.stderr).not.toContain('internal error');
    expect(r.status).toBe(0);
    expect(mode(join(cwd, 'new'))).toBe('700');
    expect(mode(outbox)).toBe('700');
    const [eml] = readdirSync(outbox);
    expect(mode(join(outbox, eml!))).toBe('600');
  });
});
