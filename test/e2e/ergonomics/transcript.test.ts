/**
 * `send --transcript` (and `--debug`) prints the SMTP dialogue of a real send on stderr as swaks
 * does, with the AUTH exchange masked; `drain --debug` does the same for each pooled connection.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const USER = 'mailer-login';
const PASSWORD = 'hunter2-transcript-secret';
let smtp: TestSmtpServer;
const dirs: string[] = [];
beforeAll(async () => {
  smtp = await startSmtpServer({ tls: 'starttls', auth: { user: USER, pass: PASSWORD } });
});
afterAll(async () => {
  await smtp.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-transcript-');
  dirs.push(d);
  return d;
}
const env = (): Record<string, string> => ({
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(smtp.port),
  SMTP_USE_TLS: 'true',
  SMTP_OPPORTUNISTIC_TLS: 'true',
  SMTP_TLS_VERIFY: 'false',
  SMTP_USERNAME: USER,
  SMTP_PASSWORD: PASSWORD,
  MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
});

/** Every form the credentials could take on the wire. */
function expectNoCredentials(text: string): void {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (const secret of [PASSWORD, b64(PASSWORD), b64(`\0${USER}\0${PASSWORD}`), b64(USER), b64(`\0${USER}\0`)]) {
    expect(text).not.toContain(secret);
  }
}

describe('send --transcript', () => {
  it.each([['--transcript'], ['--debug']])(
    '%s: the dialogue on stderr, AUTH masked; stdout unchanged',
    async (flag) => {
      const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456', flag], {
        cwd: cwd(),
        env: env(),
      });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^250 .*\nMessage-ID: </);
      const lines = r.stderr.split('\n');
      const index = (re: RegExp): number => lines.findIndex((l) => re.test(l));
      const order = [
        /^<- {2}220 /,
        /^ -> EHLO /,
        /^ -> STARTTLS$/,
        /^<- {2}220 /,
        /^ -> AUTH PLAIN \*{8}$/,
        /^<- {2}235 /,
        /^ -> MAIL FROM:<no-reply@example\.com>/,
        /^ -> RCPT TO:<me@example\.com>$/,
        /^ -> DATA$/,
        /^<- {2}354 /,
        /^=== <\d+ bytes encoded mime message/,
        /^<- {2}250 /,
      ];
      let last = -1;
      for (const re of order) {
        const i = lines.findIndex((l, n) => n > last && re.test(l));
        expect(i, `${re} after line ${last}`).toBeGreaterThan(last);
        last = i;
      }
      expect(index(/123456/)).toBe(-1); // the body (and its code) is not copied
      expectNoCredentials(r.stderr);
    },
  );

  it('without the flag, nothing of the dialogue is printed', async () => {
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'], {
      cwd: cwd(),
      env: env(),
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toMatch(/^ -> /m);
  });
});

describe('drain --debug', () => {
  it("prints each connection's dialogue, AUTH masked", async () => {
    const dir = cwd();
    for (const code of ['111111', '222222']) {
      const q = await runCli(['enqueue', 'email-code-login', '--to', 'me@example.com', '--var', `code=${code}`], {
        cwd: dir,
        env: env(),
      });
      expect(q.exitCode).toBe(0);
    }
    const r = await runCli(['drain', '--debug', '--json'], { cwd: dir, env: env() });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ delivered: 2 });
    expect(r.stderr).toMatch(/^(\[\S+\] )? -> AUTH PLAIN \*{8}$/m);
    expect(r.stderr.match(/^(\[\S+\] )? -> RCPT TO:<me@example\.com>$/gm)).toHaveLength(2);
    expectNoCredentials(r.stderr);
  });
});
