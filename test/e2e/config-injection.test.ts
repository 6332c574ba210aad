/**
 * Command injection through configuration (issue 11, item 7): an SMTP_LOCAL_HOSTNAME with CR/LF
 * used to make `verify-config --connect` send MAIL/RCPT/DATA and a whole message, although it
 * promises that nothing is delivered. Now it is refused with 78 before any connection: the real
 * smtp-server sees no session, no MAIL FROM and no DATA. `send` refuses the same configuration.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

let smtp: TestSmtpServer;
const dirs: string[] = [];
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-injection-');
  dirs.push(d);
  return d;
}

const INJECTED =
  'mail.example.com\r\nMAIL FROM:<attacker@evil.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nSubject: pwned\r\n\r\nhello\r\n.';
const env = (extra: Record<string, string>) => ({
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(smtp.port),
  MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  SMTP_CONNECT_TIMEOUT: '3s',
  SMTP_GREETING_TIMEOUT: '3s',
  SMTP_SOCKET_TIMEOUT: '3s',
  ...extra,
});

describe('SMTP_LOCAL_HOSTNAME with CR/LF', () => {
  it('verify-config --connect: 78, and the server received no session, no MAIL FROM, no DATA', async () => {
    const before = { ...smtp.calls };
    const r = await runCli(['verify-config', '--connect'], { cwd: cwd(), env: env({ SMTP_LOCAL_HOSTNAME: INJECTED }) });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toMatch(/SMTP_LOCAL_HOSTNAME: contains a line break \(CR or LF\)/);
    expect(r.stdout + r.stderr).not.toContain('evil.example');
    expect(smtp.calls).toEqual(before);
    expect(smtp.messages).toEqual([]);
  });

  it('send: 78 before connecting, nothing delivered', async () => {
    const before = { ...smtp.calls };
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'], {
      cwd: cwd(),
      env: env({ SMTP_LOCAL_HOSTNAME: INJECTED }),
    });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/SMTP_LOCAL_HOSTNAME/);
    expect(smtp.calls).toEqual(before);
    expect(smtp.messages).toEqual([]);
  });

  it('a host name with a space is not a host name either (78)', async () => {
    const r = await runCli(['verify-config', '--connect'], {
      cwd: cwd(),
      env: env({ SMTP_LOCAL_HOSTNAME: 'mail.example.com MAIL' }),
    });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toMatch(/SMTP_LOCAL_HOSTNAME "mail\.example\.com MAIL" is not a host name or an address literal/);
  });

  it('a good name still connects and says EHLO with it', async () => {
    const r = await runCli(['verify-config', '--connect'], {
      cwd: cwd(),
      env: env({ SMTP_LOCAL_HOSTNAME: 'mail.example.com' }),
    });
    expect(r.exitCode).toBe(0);
    expect(smtp.ehloNames).toContain('mail.example.com');
  });
});

describe('the other protocol-bound keys through the binary', () => {
  it.each([
    ['MAIL_DEFAULT_SEND_FROM', 'no-reply@example.com\r\nRCPT TO:<victim@example.com>'],
    ['SMTP_USERNAME', 'mailer\r\nMAIL FROM:<attacker@evil.example>'],
    ['SMTP_SERVER', '127.0.0.1\r\nX'],
  ])('%s with CR/LF → 78, no session', async (key, value) => {
    const before = { ...smtp.calls };
    const r = await runCli(['verify-config', '--connect'], {
      cwd: cwd(),
      env: env({ [key]: value, ...(key === 'SMTP_USERNAME' ? { SMTP_PASSWORD: 'pw' } : {}) }),
    });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toContain(`${key}: contains a line break`);
    expect(smtp.calls).toEqual(before);
  });
});
