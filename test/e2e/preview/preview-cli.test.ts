// The built binary, spawned with a clean env and a temp cwd/HOME (test/helpers/cli.ts).
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';

const dirs: string[] = [];
const temp = (): string => {
  const d = tempDir('mailctl-preview-e2e-');
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('mailctl preview', () => {
  it('prints the HTML by default, with sample variables', async () => {
    const r = await runCli(['preview', 'reset-password']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^<!doctype html>/i);
    expect(r.stdout).toContain('<title>Set Your Dify Password</title>');
    expect(r.stdout).toContain('492817');
  });

  it('--format text in zh-CN via an alias, --var overrides the sample', async () => {
    const r = await runCli([
      'preview',
      'email-code-login',
      '--lang',
      'zh-Hans',
      '--format',
      'text',
      '--var',
      'code=246810',
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('请使用以下验证码登录 Dify：\n\n246810');
    expect(r.stderr).toBe('');
  });

  it('states the code validity MAILCTL_CODE_TTL sets, not a fixed 5 minutes', async () => {
    const r = await runCli(['preview', 'reset-password', '--format', 'text'], { env: { MAILCTL_CODE_TTL: '2h' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('This code is valid for 2 hours.');
    expect(r.stdout).not.toContain('5 minutes');
  });

  it('a MAILCTL_CODE_TTL that is not a duration is named on stderr; the preview uses the default', async () => {
    const r = await runCli(['preview', 'reset-password', '--format', 'text'], { env: { MAILCTL_CODE_TTL: 'bogus' } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(
      'mailctl: warning: MAILCTL_CODE_TTL: "bogus" is not a duration (e.g. 500ms, 30s, 5m, 1h, 7d); previewing with the type\'s own TTL\n',
    );
    expect(r.stdout).toContain('This code is valid for 5 minutes.');
  });

  it('--format json has type, lang, subject, html, text, category, priority, ttlMs', async () => {
    const r = await runCli(['preview', 'invite-member', '--format', 'json', '--lang', 'zh-CN']);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({
      type: 'invite-member',
      lang: 'zh-CN',
      subject: '立即加入 Dify 工作空间',
      category: 'code',
      priority: 1,
      ttlMs: 72 * 3_600_000,
      warnings: [],
    });
    expect(j.html).toEqual(expect.stringContaining('<!doctype html>'));
    expect(j.text).toEqual(expect.stringContaining('Ana Lima 邀请您加入'));
  });

  it('--format eml is a full multipart/alternative message', async () => {
    const r = await runCli(['preview', 'reset-password', '--format', 'eml', '--lang', 'zh-CN']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(r.stdout).toContain('Content-Type: multipart/alternative');
    expect(r.stdout).toContain('text/plain; charset=utf-8');
    expect(r.stdout).toContain('text/html; charset=utf-8');
  });

  it('an unknown --lang is a usage error (64) naming the languages there are, for preview, send and enqueue', async () => {
    const cwd = tempDir('mailctl-lang-');
    const spool = join(cwd, 'spool');
    const runs = [
      ['preview', 'reset-password', '--lang', 'fr-FR', '--format', 'text'],
      ['send', 'reset-password', '--lang', 'fr-FR', '--to', 'ops@example.com'],
      ['enqueue', 'reset-password', '--lang', 'fr-FR', '--to', 'ops@example.com', '--var', 'code=123456'],
    ];
    for (const argv of runs) {
      const r = await runCli(argv, { cwd, env: { MAILCTL_SPOOL_DIR: spool } });
      expect(r.exitCode, argv[0]).toBe(64);
      expect(r.stdout, argv[0]).toBe('');
      expect(r.stderr.split('\n')[0], argv[0]).toBe(
        'mailctl: no fr-FR translation: the languages are en-US, ja-JP, zh-CN',
      );
      expect(r.stderr, argv[0]).toMatch(/^hint: .*Adding a language/m);
    }
    // Nothing was sent or queued.
    expect(existsSync(join(cwd, '.mailctl', 'outbox'))).toBe(false);
    expect(existsSync(spool)).toBe(false);
    // An alias is a language there is: en-GB renders en-US with no warning.
    const alias = await runCli(['preview', 'reset-password', '--lang', 'en-GB', '--format', 'text'], { cwd });
    expect(alias.exitCode).toBe(0);
    expect(alias.stdout).toContain('Use this code to set a new password');
    expect(alias.stderr).toBe('');
  });

  it('--no-brand renders the white-label variant: no default product anywhere', async () => {
    const r = await runCli(['preview', 'invite-member', '--no-brand', '--format', 'json'], {
      env: { APPLICATION_TITLE: 'Acme Cloud' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(/dify/i);
    expect(JSON.parse(r.stdout)).toMatchObject({ subject: 'Join Acme Cloud Workspace Now' });
  });

  it('BRANDING_ENABLED + APPLICATION_TITLE + logo + support address from the environment', async () => {
    const env = {
      BRANDING_ENABLED: 'yes',
      APPLICATION_TITLE: 'Acme Cloud',
      BRANDING_LOGO_URL: 'https://cdn.example.com/acme.png',
      BRANDING_SUPPORT_EMAIL: 'help@acme.example',
    };
    const r = await runCli(['preview', 'owner-transfer-old-notify'], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(/dify/i);
    expect(r.stdout).toContain('src="https://cdn.example.com/acme.png"');
    expect(r.stdout).toContain('help@acme.example');
  });

  it('--vars FILE, then --var on top; escaping in the output', async () => {
    const cwd = temp();
    writeFileSync(
      join(cwd, 'vars.json'),
      JSON.stringify({ inviter_name: '<script>alert(1)</script>', workspace_name: 'Ops "Team"' }),
    );
    const r = await runCli(
      [
        'preview',
        'invite-member',
        '--vars',
        'vars.json',
        '--var',
        'url=https://console.example.com/activate?token=abc',
      ],
      { cwd },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('<script>alert(1)</script>');
    expect(r.stdout).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(r.stdout).toContain('Ops &#34;Team&#34;');
    expect(r.stdout).toContain('href="https://console.example.com/activate?token=abc"');
  });

  it.each([
    [
      ['preview', 'custom', '--var', 'subject=Hi {{who}}', '--var', 'body=x'],
      65,
      'mailctl: missing template variable "who" for custom',
    ],
    [
      ['preview', 'invite-member', '--var', 'url=javascript:alert(1)'],
      65,
      'mailctl: variable "url" of invite-member must be an http(s) URL, got "javascript:alert(1)"',
    ],
    [
      ['preview', 'queue-monitor-alert', '--var', 'threshold=lots'],
      65,
      'mailctl: variable "threshold" of queue-monitor-alert must be a number, got "lots"',
    ],
    [['preview', 'reset-passwd'], 64, 'mailctl: unknown mail type "reset-passwd"'],
    [['preview', 'reset-password', '--lang', '../x'], 64, 'mailctl: --lang "../x" is not a language tag'],
    [['preview', 'reset-password', '--lang', '123'], 64, 'mailctl: --lang "123" is not a language tag'],
    [['preview'], 64, 'mailctl: preview needs a mail TYPE (or --serve for the gallery)'],
    [['preview', 'reset-password', '--port', '8025'], 64, 'mailctl: --port only goes with --serve'],
    [['preview', 'nope', '--serve'], 64, 'mailctl: unknown mail type "nope"'],
    [['preview', '--serve', '--port', '70000'], 64, '--port takes a port number from 0 (a free one) to 65535.'],
    [['preview', 'reset-password', '--format', 'pdf'], 64, 'pdf'],
  ])('%j exits %i with one clear line', async (args, code, first) => {
    const r = await runCli(args);
    expect(r.exitCode).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toContain(first);
  });

  it('an empty --var value counts as not given: preview falls back to the sample', async () => {
    const ok = await runCli(['preview', 'reset-password', '--var', 'code=', '--format', 'text']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain('492817');
  });

  it('--open writes a temp file, prints its path and starts $BROWSER on it', async () => {
    const cwd = temp();
    const record = join(cwd, 'opened.txt');
    const browser = join(cwd, 'fake-browser.sh');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`);
    chmodSync(browser, 0o755);
    const r = await runCli(['preview', 'change-email-new', '--lang', 'zh-CN', '--open'], {
      cwd,
      env: { BROWSER: browser, TMPDIR: cwd },
    });
    expect(r.exitCode).toBe(0);
    const path = r.stdout.trim();
    expect(path).toMatch(/mailctl-preview-.+\/change-email-new\.zh-CN\.html$/);
    expect(readFileSync(path, 'utf8')).toContain('确认您的邮箱地址变更');
    const deadline = Date.now() + 5000;
    while (!existsSync(record) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    expect(readFileSync(record, 'utf8')).toBe(path);
  });

  it('--open with a browser that cannot start: the path is printed, then 69', async () => {
    const cwd = temp();
    const r = await runCli(['preview', 'reset-password', '--open'], {
      cwd,
      env: { BROWSER: join(cwd, 'no-such-browser'), TMPDIR: cwd },
    });
    expect(r.exitCode).toBe(69);
    expect(r.stdout).toMatch(/reset-password\.en-US\.html\n$/);
    expect(r.stderr).toMatch(/^mailctl: cannot start the browser/);
  });
});
