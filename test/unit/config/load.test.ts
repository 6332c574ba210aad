/** loadError: a config file that cannot be loaded becomes one sentence and a fix. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, loadError, mayHaveConfigFile } from '../../../src/config/load.js';
import { ExitCode } from '../../../src/errors.js';

/** The error Node really throws when `typescript` cannot be found (resolved from an empty dir). */
function missingTypescript(): unknown {
  try {
    createRequire(join(mkdtempSync(join(tmpdir(), 'mailctl-no-ts-')), 'x.js'))('typescript');
  } catch (err) {
    return err;
  }
  throw new Error('typescript resolved from an empty temp dir: a global copy is on this machine');
}

describe('loadError', () => {
  it('a .ts config without the typescript package says so and how to fix it (78)', () => {
    const err = loadError(missingTypescript());
    expect(err.exitCode).toBe(ExitCode.CONFIG);
    expect(err.message).toBe('a .ts config file needs the typescript package, which is not installed');
    expect(err.hint).toMatch(/npm install typescript.*mailctl\.config\.json/);
  });

  it('another missing module, a syntax error and a missing --config file keep their own messages', () => {
    let other: unknown;
    try {
      createRequire(import.meta.url)('mailctl-no-such-module');
    } catch (e) {
      other = e;
    }
    expect(loadError(other).message).toMatch(
      /^cannot read the config file: Cannot find module 'mailctl-no-such-module'/,
    );
    expect(loadError(new SyntaxError('Unexpected end of JSON input\n  at line 1')).message).toBe(
      'cannot read the config file: Unexpected end of JSON input',
    );
    expect(loadError(Object.assign(new Error('nope'), { code: 'ENOENT' }), 'x.json').message).toBe(
      'config file x.json does not exist',
    );
  });
});

describe('loadConfigFile skips cosmiconfig when no config file can be there', () => {
  const dir = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmpdir(), 'mailctl-cfg-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };

  it('an empty directory, or a package.json without a "mailctl" key, has no config file', async () => {
    for (const d of [dir({}), dir({ 'package.json': '{"name":"app"}', 'README.md': '' })]) {
      expect(mayHaveConfigFile(d)).toBe(false);
      expect(await loadConfigFile(d)).toBeUndefined();
    }
  });

  it('a package.json with a "mailctl" key, a search place, or an unparsable package.json goes to cosmiconfig', async () => {
    const withKey = dir({ 'package.json': '{"mailctl":{"mailType":"file"}}' });
    expect(await loadConfigFile(withKey)).toEqual({ path: join(withKey, 'package.json'), data: { mailType: 'file' } });
    expect(mayHaveConfigFile(dir({ '.mailctlrc.yaml': 'mailType: file\n' }))).toBe(true);
    const broken = dir({ 'package.json': '{' });
    expect(mayHaveConfigFile(broken)).toBe(true);
    await expect(loadConfigFile(broken)).rejects.toMatchObject({ exitCode: ExitCode.CONFIG });
  });
});
