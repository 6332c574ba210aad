/**
 * What `mailctl drain` tells the operator beside its summary: the configuration's warnings (an
 * unverified certificate is always said) and, when jobs were deferred or went dead, the last
 * delivery error in the provider's own words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer({ rcpt: { code: 451, message: '4.7.1 Greylisted, try again in 5 minutes' } });
});
afterAll(async () => {
  await smtp.close();
});

describe('mailctl drain reports why', () => {
  it("prints the last delivery error with the server's words, and the TLS-verification warning", async () => {
    const cwd = tempDir();
    const env = {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
      SMTP_TLS_VERIFY: 'false',
    };
    const enq = await runCli(['enqueue', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456'], {
      cwd,
      env,
    });
    expect(enq.exitCode, enq.stderr).toBe(0);

    const r = await runCli(['drain'], { cwd, env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^drain: 0 delivered, 1 deferred/);
    expect(r.stderr).toContain('mailctl: warning: SMTP_TLS_VERIFY=false');
    expect(r.stderr).toMatch(/mailctl: drain: last delivery error: .*451.*Greylisted/);
    expect(r.stderr).toContain('hint: `mailctl queue list --state deferred --json`');

    const json = await runCli(['drain', '--flush', '--json'], { cwd, env });
    expect(JSON.parse(json.stdout)).toMatchObject({ deferred: 1, lastError: expect.stringContaining('Greylisted') });
  });

  it('says nothing extra when everything was delivered', async () => {
    const ok = await startSmtpServer();
    try {
      const cwd = tempDir();
      const env = {
        MAIL_TYPE: 'smtp',
        SMTP_SERVER: '127.0.0.1',
        SMTP_PORT: String(ok.port),
        MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
      };
      await runCli(['enqueue', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456'], { cwd, env });
      const r = await runCli(['drain'], { cwd, env });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^drain: 1 delivered/);
      expect(r.stderr).toBe('');
    } finally {
      await ok.close();
    }
  });

  it('queue monitor, which mails too, warns about unverified certificates', async () => {
    const env = {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
      SMTP_TLS_VERIFY: 'false',
    };
    const r = await runCli(['queue', 'monitor', '--threshold', '5', '--alert-to', 'ops@example.com'], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('mailctl: warning: SMTP_TLS_VERIFY=false');
  });
});
