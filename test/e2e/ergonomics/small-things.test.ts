/** The small things an operator trips over: -v, --alert-to with a bad address, --vars errors with hints. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';

const version = (
  JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(ROOT, 'package.json'), 'utf8'))) as {
    version: string;
  }
).version;

describe('small things', () => {
  it.each([['-v'], ['-V'], ['--version']])('%s prints the version', async (flag) => {
    const r = await runCli([flag]);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
  });

  it.each([
    [['preview', 'reset-pasword']],
    [['send', 'reset-pasword', '--to', 'a@example.com']],
    [['enqueue', 'reset-pasword', '--to', 'a@example.com']],
    [['templates', 'init', 'tpl', '--from', 'reset-pasword']],
  ])('a mistyped mail type gets "did you mean" (64): %j', async (args) => {
    const r = await runCli(args);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(
      /^mailctl: unknown (mail|built-in) type "reset-pasword"; did you mean reset-password\?\nhint: /,
    );
  });

  it('--alert-to with a bad address is a usage error (64) naming it', async () => {
    const r = await runCli(['queue', 'monitor', '--alert-to', 'ops@example.com,not-an-address']);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/"not-an-address" is not an e-mail address/);
    expect(r.stderr).not.toMatch(/verify-config/);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['a missing file', 'nope.json', 64, /cannot read --vars file nope\.json: ENOENT\nhint: check the path/],
    ['a directory', 'dir', 64, /cannot read --vars file dir: EISDIR\nhint: name a JSON file, not a directory/],
    [
      'broken JSON',
      'broken.json',
      65,
      /is not valid JSON: .*\nhint: write one JSON object, e\.g\. \{"code": "123456"\}/,
    ],
    ['an array', 'array.json', 65, /must hold one JSON object of variables\nhint: write \{"name": "value", \.\.\.\}/],
  ])('--vars with %s: one sentence and a hint (%i)', async (_what, file, code, message) => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'dir'));
    writeFileSync(join(cwd, 'broken.json'), '{"code": 1');
    writeFileSync(join(cwd, 'array.json'), '["123456"]');
    const r = await runCli(['preview', 'reset-password', '--vars', file], { cwd });
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
