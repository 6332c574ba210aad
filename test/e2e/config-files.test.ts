/**
 * Config files are data: a code file found by the search never runs (only `--config PATH` runs
 * one), cosmiconfig's meta-config and `$import` are not followed, a YAML alias bomb is refused at
 * once, and a syntax error names file:line:col without quoting the file (it may hold a password).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../helpers/cli.js';

const PASSWORD = 'hunter2-Secret-77';
/** A config file whose evaluation leaves a marker file behind. */
const marking = (marker: string): string =>
  `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = { mailType: 'file' };\n`;

const EML = [
  'From: App <no-reply@example.com>',
  'To: ops@example.com',
  'Subject: hello',
  'Date: Sun, 06 Dec 2026 10:00:00 +0000',
  'Message-ID: <1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'hello',
  '',
].join('\r\n');

// Keep `check` off the network: DNS questions go to a closed local port.
const env = { MAILCTL_DNS_SERVERS: '127.0.0.1:1' };

describe('a config file that runs code', () => {
  for (const name of ['.mailctlrc.js', '.mailctlrc.cjs', 'mailctl.config.cjs']) {
    it(`${name} found by search does not run on \`check x.eml\` or \`verify-config\`, with a one-line warning`, async () => {
      const cwd = tempDir();
      const marker = join(cwd, 'MARKER');
      writeFileSync(join(cwd, name), marking(marker));
      writeFileSync(join(cwd, 'x.eml'), EML);
      for (const args of [['check', 'x.eml'], ['verify-config']]) {
        const r = await runCli(args, { cwd, env });
        expect(r.exitCode, r.stderr).not.toBe(70);
        expect(existsSync(marker), `${args.join(' ')} ran ${name}`).toBe(false);
        const warning = r.stderr.split('\n').filter((l) => l.includes(name));
        expect(warning, r.stderr).toEqual([
          `mailctl: warning: ignoring ${name}: a config file that runs code is loaded only when named with --config (hint: mailctl --config ${name} …)`,
        ]);
      }
    });
  }

  it('runs when named with --config', async () => {
    const cwd = tempDir();
    const marker = join(cwd, 'MARKER');
    writeFileSync(join(cwd, '.mailctlrc.cjs'), marking(marker));
    const r = await runCli(['--config', '.mailctlrc.cjs', 'verify-config', '--json'], { cwd, env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect((JSON.parse(r.stdout) as { configFile: string }).configFile).toBe(join(cwd, '.mailctlrc.cjs'));
    expect(r.stderr).not.toContain('warning: ignoring');
  });

  it('a data file beside it still counts: the search goes on past the code file', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.mailctlrc.js'), marking(join(cwd, 'MARKER')));
    writeFileSync(join(cwd, 'mailctl.config.json'), JSON.stringify({ mailType: 'smtp' }));
    const r = await runCli(['verify-config', '--json'], { cwd, env });
    expect((JSON.parse(r.stdout) as { configFile: string }).configFile).toBe(join(cwd, 'mailctl.config.json'));
    expect(existsSync(join(cwd, 'MARKER'))).toBe(false);
  });
});

it('YAML merge keys (<<: *base) still work, as they did with cosmiconfig', async () => {
  const cwd = tempDir();
  writeFileSync(
    join(cwd, 'mailctl.config.yaml'),
    'base: &base\n  server: smtp.example.com\n  port: 2525\nmailType: smtp\ndefaultFrom: a@example.com\nsmtp:\n  <<: *base\n',
  );
  const r = await runCli(['verify-config', '--json'], { cwd, env });
  expect((JSON.parse(r.stdout) as { transport: string }).transport).toContain('smtp smtp.example.com:2525');
});

describe("cosmiconfig's meta-config and $import are not followed", () => {
  it('.config/config.js and package.json#cosmiconfig never run', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, '.config'));
    writeFileSync(join(cwd, '.config', 'config.js'), marking(join(cwd, 'META')));
    writeFileSync(join(cwd, 'evil.js'), marking(join(cwd, 'EVIL')));
    writeFileSync(
      join(cwd, 'package.json'),
      JSON.stringify({ name: 'app', cosmiconfig: { searchPlaces: ['evil.js'] } }),
    );
    const r = await runCli(['verify-config'], { cwd, env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(cwd, 'META'))).toBe(false);
    expect(existsSync(join(cwd, 'EVIL'))).toBe(false);
  });

  it('$import is refused with 78 and the file it names does not run', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'evil.cjs'), marking(join(cwd, 'EVIL')));
    writeFileSync(join(cwd, '.mailctlrc.yaml'), '$import: ./evil.cjs\nmailType: file\n');
    const r = await runCli(['verify-config'], { cwd, env });
    expect(r.exitCode).toBe(78);
    expect(r.stderr.split('\n')[0]).toBe(`mailctl: ${join(cwd, '.mailctlrc.yaml')}: \`$import\` is not supported`);
    expect(existsSync(join(cwd, 'EVIL'))).toBe(false);
  });
});

describe('a YAML alias bomb', () => {
  // 820 bytes; expanded, 9^9 = 387 million values (main ran out of heap on it).
  const levels = ['l0: &l0 {k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol, k8: lol, k9: lol}'];
  for (let i = 1; i <= 8; i++)
    levels.push(`l${i}: &l${i} {${Array.from({ length: 9 }, (_, j) => `k${j + 1}: *l${i - 1}`).join(', ')}}`);
  levels.push('smtp: *l8');
  const bomb = `${levels.join('\n')}\n`;

  it('exits 78 at once with one clear sentence, within a small heap', async () => {
    expect(bomb.length).toBeLessThan(1024);
    const cwd = tempDir();
    writeFileSync(join(cwd, '.mailctlrc.yaml'), bomb);
    // A 128 MB heap: expanding the aliases would crash (exit 134), not exit 78.
    const r = await runCli(['verify-config'], {
      cwd,
      env: { NODE_OPTIONS: '--max-old-space-size=128' },
      timeoutMs: 20_000,
    });
    expect(r.signal, 'killed by the 20 s bound').toBeNull();
    expect(r.exitCode, r.stderr).toBe(78);
    expect(r.stderr.split('\n')[0]).toBe(
      `mailctl: ${join(cwd, '.mailctlrc.yaml')}: YAML aliases expand to more than 100 copies (a "billion laughs" file?)`,
    );
  });
});

describe('a config file with a syntax error', () => {
  const cases: [string, string, string][] = [
    [
      'mailctl.config.json',
      `{\n  "mailType": "smtp",\n  "smtp": {\n    "password": ${PASSWORD}\n  }\n}\n`,
      ':4:17: syntax error: unexpected character (a string value needs "double quotes")',
    ],
    [
      'mailctl.config.json',
      `{"smtp": {"password": "${PASSWORD}",}}\n`,
      ':1:43: syntax error: expected a "double-quoted" property name (no trailing comma)',
    ],
    [
      '.mailctlrc.yaml',
      `mailType: smtp\nsmtp:\n  password: ${PASSWORD}\n   port: [1, 2\n`,
      ':3:13: syntax error: Nested mappings are not allowed in compact mappings',
    ],
    ['.mailctlrc', `smtp:\n  password: "${PASSWORD}\n`, ':3:1: syntax error: Missing closing "quote'],
    [
      '.mailctlrc.yml',
      `smtp:\n  password: |${PASSWORD}\n    x\n`,
      ':2:14: syntax error: Block scalar header includes extra characters',
    ],
  ];
  it.each(cases)(
    '%s names file:line:col and never the password (with and without --debug)',
    async (name, text, where) => {
      const cwd = tempDir();
      writeFileSync(join(cwd, name), text);
      for (const debug of [[], ['--debug']]) {
        const r = await runCli([...debug, 'verify-config'], { cwd });
        expect(r.exitCode, r.stderr).toBe(78);
        expect(r.stderr.split('\n')[0]).toContain(`mailctl: ${join(cwd, name)}${where}`);
        expect(r.stderr).toContain('hint: fix the file there');
        expect(r.stdout + r.stderr).not.toContain(PASSWORD);
        expect(r.stdout + r.stderr).not.toContain('hunter2');
      }
    },
  );
});

// chmod does not stop root: the unreadable file is read by another user (nobody), as a service would.
const asRoot = process.getuid?.() === 0;
if (!asRoot)
  console.warn('config-files.test.ts: not root, cannot run mailctl as another user: the EACCES test is skipped');

describe.skipIf(!asRoot)('a config file the user cannot read', () => {
  it('is 77 with one sentence naming it, not silently skipped', () => {
    const cwd = tempDir();
    chmodSync(cwd, 0o755);
    const file = join(cwd, '.mailctlrc.json');
    writeFileSync(file, JSON.stringify({ mailType: 'smtp' }));
    chmodSync(file, 0o600);
    const r = spawnSync(process.execPath, [BIN, 'verify-config'], {
      cwd,
      uid: 65534,
      gid: 65534,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(77);
    expect(r.stderr.split('\n')[0]).toBe(`mailctl: permission denied on the config file ${file} (EACCES)`);
  });
});
