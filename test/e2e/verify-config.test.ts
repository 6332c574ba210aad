import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const GOOD_SMTP = {
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: 'smtp.example.com',
  SMTP_PORT: '587',
  SMTP_USE_TLS: 'true',
  SMTP_OPPORTUNISTIC_TLS: 'true',
  SMTP_USERNAME: 'no-reply@example.com',
  SMTP_PASSWORD: 'correct horse battery staple',
  MAIL_DEFAULT_SEND_FROM: 'Example <no-reply@example.com>',
};

describe('mailctl verify-config (static)', () => {
  it('passes with no configuration at all: the file provider', async () => {
    const r = await runCli(['verify-config']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('file: .eml files into .mailctl/outbox');
    expect(r.stdout).toMatch(/ok: 0 errors, 0 warnings/);
  });

  it('passes a good SMTP configuration and never prints the password', async () => {
    const r = await runCli(['verify-config'], { env: GOOD_SMTP });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('smtp smtp.example.com:587 (STARTTLS required, AUTH as no-reply@example.com)');
    expect(r.stdout + r.stderr).not.toContain(GOOD_SMTP.SMTP_PASSWORD);
  });

  it('reports every problem at once with key and source, and exits 78', async () => {
    const r = await runCli(['verify-config'], {
      env: { MAIL_TYPE: 'smtp', SMTP_PORT: '99999', SMTP_USE_TLS: 'maybe', SMTP_USERNAME: 'u@example.com' },
    });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toContain('SMTP_PORT: 99999 is out of range (1–65535) [env SMTP_PORT]');
    expect(r.stdout).toContain('SMTP_USE_TLS: "maybe" is not a boolean');
    expect(r.stdout).toContain('SMTP_SERVER is required for MAIL_TYPE=smtp [not set]');
    expect(r.stdout).toContain('SMTP_USERNAME is set but SMTP_PASSWORD is not');
    expect(r.stdout).toContain('MAIL_DEFAULT_SEND_FROM is required');
    expect(r.stdout).toMatch(/failed: 5 errors/);
  });

  it('--json prints one object with ok and problems {key, severity, message, source}', async () => {
    const r = await runCli(['verify-config', '--json'], {
      env: { ...GOOD_SMTP, SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'false' },
    });
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: Record<string, string>[] };
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([
      expect.objectContaining({
        key: 'SMTP_PORT',
        severity: 'warning',
        source: 'env SMTP_PORT',
        message: expect.stringContaining('implicit TLS on port 587'),
      }),
    ]);
    expect(Object.keys(report.problems[0]!).sort()).toEqual(['hint', 'key', 'message', 'severity', 'source']);
    expect(r.stdout).not.toContain(GOOD_SMTP.SMTP_PASSWORD);
  });

  it('--debug prints the resolved configuration with sources on stderr, secrets masked', async () => {
    const r = await runCli(['--debug', 'verify-config'], { env: GOOD_SMTP });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('config: SMTP_PORT=587 [env SMTP_PORT]');
    expect(r.stderr).toContain('config: SMTP_PASSWORD="********" [env SMTP_PASSWORD]');
    expect(r.stderr).toContain('config: MAILCTL_SPOOL_DIR=".mailctl/spool" [default]');
    expect(r.stdout + r.stderr).not.toContain(GOOD_SMTP.SMTP_PASSWORD);
  });

  it('--json with errors: ok false and exit 78', async () => {
    const r = await runCli(['verify-config', '--json'], { env: { MAIL_TYPE: 'mailgun' } });
    expect(r.exitCode).toBe(78);
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: { key: string; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({
      key: 'MAIL_TYPE',
      message: expect.stringContaining('file, smtp, sendgrid, resend'),
    });
  });
});

describe('config file discovery (cosmiconfig, module "mailctl")', () => {
  const fileConfig = { mailType: 'smtp', defaultFrom: 'a@example.com', smtp: { server: 'file.example.com', port: 25 } };

  it.each([
    ['mailctl.config.json', JSON.stringify(fileConfig)],
    ['.mailctlrc', JSON.stringify(fileConfig)],
    ['.mailctlrc.yaml', 'mailType: smtp\ndefaultFrom: a@example.com\nsmtp:\n  server: file.example.com\n  port: 25\n'],
    [
      'mailctl.config.yaml',
      'mailType: smtp\ndefaultFrom: a@example.com\nsmtp: { server: file.example.com, port: 25 }\n',
    ],
    ['package.json', JSON.stringify({ name: 'app', mailctl: fileConfig })],
    // Files that run code are loaded only when named (test/e2e/config-files.test.ts: never by search).
    ['--config mailctl.config.mjs', `export default ${JSON.stringify(fileConfig)};`],
    [
      '--config mailctl.config.ts',
      `const config: Record<string, unknown> = ${JSON.stringify(fileConfig)};\nexport default config;`,
    ],
  ])('finds %s in the working directory and names it as the source', async (given, content) => {
    const cwd = tempDir();
    const name = given.replace(/^--config /, '');
    writeFileSync(join(cwd, name), content);
    const flags = given.startsWith('--config ') ? ['--config', name] : [];
    const r = await runCli([...flags, 'verify-config', '--json'], { cwd, env: { SMTP_PORT: '2525' } });
    const report = JSON.parse(r.stdout) as { transport: string; configFile: string };
    expect(report.configFile).toBe(join(cwd, name));
    // env beats the file
    expect(report.transport).toContain('smtp file.example.com:2525');
    expect(r.exitCode).toBe(0);
  });

  it('--config PATH names the file explicitly (relative to the working directory)', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'conf'));
    writeFileSync(join(cwd, 'conf', 'mail.json'), JSON.stringify({ mailType: 'smtp', smtp: { port: 'x' } }));
    const r = await runCli(['--config', 'conf/mail.json', 'verify-config'], { cwd });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toContain(`smtp.port: "x" is not a whole number [${join(cwd, 'conf', 'mail.json')} (smtp.port)]`);
  });

  it('a missing --config file is a clear configuration error (78)', async () => {
    const r = await runCli(['verify-config', '--config', 'nope.json']);
    expect(r.exitCode).toBe(78);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^mailctl: config file .*nope\.json does not exist$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a file with broken syntax is a clear configuration error (78)', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'mailctl.config.json'), '{ "mailType": ');
    const r = await runCli(['verify-config'], { cwd });
    expect(r.exitCode).toBe(78);
    expect(r.stderr.split('\n')[0]).toBe(
      `mailctl: ${join(cwd, 'mailctl.config.json')}:1:15: syntax error: expected a value`,
    );
  });

  it('does not look in parent directories or HOME', async () => {
    const home = tempDir();
    writeFileSync(join(home, '.mailctlrc'), JSON.stringify({ mailType: 'bogus' }));
    const cwd = join(home, 'project');
    mkdirSync(cwd);
    const r = await runCli(['verify-config'], { cwd, env: { HOME: home } });
    expect(r.exitCode).toBe(0);
  });
});

describe('usage errors and the error model', () => {
  it.each([
    [['bogus']],
    [['verify-config', '--bogus']],
    [['send']],
    [['drain', '--concurrency', 'zero']],
    [['drain', '--rate', 'fast']],
  ])('%j exits 64 with one clear line and no stack', async (args) => {
    const r = await runCli(args);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/^mailctl: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('--help and --version exit 0 and print to stdout', async () => {
    const help = await runCli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Examples:');
    const version = await runCli(['--version']);
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every command has --help with examples or a description', async () => {
    for (const cmd of ['verify-config', 'preview', 'send', 'enqueue', 'drain']) {
      const r = await runCli([cmd, '--help']);
      expect(r.exitCode, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('Examples:');
    }
  });
});
