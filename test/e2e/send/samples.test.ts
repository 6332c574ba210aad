/**
 * `send` is the operator's test mail with every provider: a variable left out takes the type's
 * sample value and stderr names it. `enqueue` and the library's `enqueue()` write real mail and
 * still refuse a missing variable (65). `preview --format json` shows the variables it used.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const dirs: string[] = [];
const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-samples-');
  dirs.push(d);
  return d;
}
const FILLED = /mailctl: warning: --var code not given: using the sample value "(\d{6})"/;
const filledCode = (stderr: string): string => FILLED.exec(stderr)?.[1] ?? 'none';

describe('send fills missing variables from samples, with every provider', () => {
  let smtp: TestSmtpServer;
  let api: TestHttpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    api = await startHttpServer();
    servers.push(smtp, api);
  });

  it('smtp: the headline example sends, with the sample code, and says so', async () => {
    const r = await runCli(['send', 'reset-password', '--lang', 'zh-CN', '--to', 'me@example.com'], {
      cwd: cwd(),
      env: {
        MAIL_TYPE: 'smtp',
        SMTP_SERVER: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
      },
    });
    expect(r.stderr).toMatch(FILLED);
    expect(r.exitCode).toBe(0);
    const [msg] = await smtp.waitForMessages(1);
    const parsed = await simpleParser(msg!.raw);
    expect(parsed.text).toContain(filledCode(r.stderr));
  });

  it.each([
    ['sendgrid', { SENDGRID_API_KEY: 'SG.samples-key', SENDGRID_API_BASE_URL: '' }, 202],
    ['resend', { RESEND_API_KEY: 're_samples_key', RESEND_API_URL: '' }, 200],
  ] as const)('%s: sends with the sample code and says so', async (provider, keys, status) => {
    api.respond(() => ({ status, body: { id: 'x' } }));
    const env: Record<string, string> = { MAIL_TYPE: provider, MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com' };
    for (const [k, v] of Object.entries(keys)) env[k] = v === '' ? api.url : v;
    const before = api.requests.length;
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com'], { cwd: cwd(), env });
    expect(r.stderr).toMatch(FILLED);
    expect(r.exitCode).toBe(0);
    expect(api.requests.length).toBe(before + 1);
    expect(JSON.stringify(api.requests.at(-1)?.json)).toContain(filledCode(r.stderr));
  });

  it('a value given with --var is used and not reported', async () => {
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=111222'], {
      cwd: cwd(),
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toMatch(/not given/);
  });
});

describe('enqueue and the library still refuse a missing variable', () => {
  it('enqueue exits 65 and writes nothing', async () => {
    const dir = cwd();
    const r = await runCli(['enqueue', 'email-code-login', '--to', 'me@example.com'], { cwd: dir });
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/missing template variable "code"/);
    const incoming = join(dir, '.mailctl', 'spool', 'incoming');
    expect(existsSync(incoming) ? readdirSync(incoming) : []).toEqual([]);
  });

  it('enqueue() throws a 65 DataError', async () => {
    const { enqueue } = await import(join(ROOT, 'dist', 'index.js'));
    const dir = cwd();
    await expect(
      enqueue({ type: 'email-code-login', to: 'me@example.com', vars: {}, cwd: dir, env: {} }),
    ).rejects.toMatchObject({ exitCode: 65 });
  });
});

describe('preview --format json', () => {
  it('includes the variables it rendered with, and which came from the samples', async () => {
    const r = await runCli(['preview', 'invite-member', '--format', 'json', '--var', 'inviter_name=Ana']);
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as { vars: Record<string, string>; filled: string[] };
    expect(json.vars.inviter_name).toBe('Ana');
    expect(json.vars.workspace_name).toBe('Acme Research');
    expect(json.filled).toContain('workspace_name');
    expect(json.filled).not.toContain('inviter_name');
  });
});
