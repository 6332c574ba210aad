/**
 * `mailctl send` as an operator runs it: the built binary, a clean env, a temp cwd and HOME.
 * The quick start with no configuration; SMTP against a real smtp-server (success, 451, 550, 535,
 * refused, timeout); SendGrid against a local API; --dry-run, --json; bad input and config.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http.js';
import { startSilentServer, startSmtpServer, type SilentServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { refusedPort } from '../../helpers/ports.js';

const PASSWORD = 'hunter2-very-secret';
const dirs: string[] = [];
const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-send-e2e-');
  dirs.push(d);
  return d;
}

const smtpEnv = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
  MAIL_TYPE: 'smtp',
  MAIL_DEFAULT_SEND_FROM: 'Acme <no-reply@example.com>',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_CONNECT_TIMEOUT: '3s',
  SMTP_GREETING_TIMEOUT: '3s',
  SMTP_SOCKET_TIMEOUT: '5s',
  ...extra,
});

describe('quick start: no configuration at all', () => {
  it('`send reset-password --lang zh-CN --to ops@example.com` writes the .eml and prints its path', async () => {
    const dir = cwd();
    const r = await runCli(['send', 'reset-password', '--lang', 'zh-CN', '--to', 'ops@example.com'], { cwd: dir });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const [path, idLine] = r.stdout.trimEnd().split('\n');
    expect(path).toBe(join(dir, '.mailctl', 'outbox', readdirSync(join(dir, '.mailctl', 'outbox'))[0]!));
    expect(existsSync(path!)).toBe(true);
    expect(idLine).toMatch(/^Message-ID: <[^>]+@localhost>$/);
    expect(r.stderr).toMatch(/--var code not given: using the sample value/);

    const parsed = await simpleParser(readFileSync(path!));
    expect(parsed.subject).toMatch(/Dify/);
    expect(parsed.subject).toMatch(/[\u4e00-\u9fff]/);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text).toMatch(/\d{6}/);
    expect(`<${idLine!.split('<')[1]}`).toBe(parsed.messageId);
  });
});

describe('smtp', () => {
  let ok: TestSmtpServer;
  beforeAll(async () => {
    ok = await startSmtpServer({ tls: 'starttls', auth: { user: 'mailer', pass: PASSWORD } });
    servers.push(ok);
  });
  const authEnv = (port: number, extra: Record<string, string> = {}) =>
    smtpEnv(port, {
      SMTP_USE_TLS: 'true',
      SMTP_OPPORTUNISTIC_TLS: 'true',
      SMTP_TLS_VERIFY: 'false',
      SMTP_USERNAME: 'mailer',
      SMTP_PASSWORD: PASSWORD,
      ...extra,
    });

  it('prints the final reply line and the Message-ID; warns that verification is off', async () => {
    const before = ok.messages.length;
    const r = await runCli(
      [
        'send',
        'invite-member',
        '--to',
        'new@example.com',
        '--var',
        'inviter_name=<b>Ana</b>',
        '--var',
        'workspace_name=R&D',
        '--var',
        'url=https://console.example.com/activate?t=1',
      ],
      { cwd: cwd(), env: authEnv(ok.port) },
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const [reply, id] = r.stdout.trimEnd().split('\n');
    expect(reply).toMatch(/^250 .*queued as TEST\d{4}$/);
    expect(id).toMatch(/^Message-ID: <[^>]+@example\.com>$/);
    expect(r.stderr).toMatch(/warning: SMTP_TLS_VERIFY=false/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);

    expect(ok.messages.length).toBe(before + 1);
    const parsed = await simpleParser(ok.messages.at(-1)!.raw);
    expect(parsed.messageId).toBe(id!.slice('Message-ID: '.length));
    expect(parsed.html).toMatch(/(&lt;|&#60;|&#x3c;)b(&gt;|&#62;|&#x3e;)Ana/i);
    expect(parsed.html).toMatch(/R&amp;D|R&#38;D/);
    expect(parsed.html).not.toContain('<b>Ana</b>');
    expect(parsed.text).toContain('<b>Ana</b>');
    expect(parsed.date).toBeInstanceOf(Date);
  });

  it("--json prints the provider's answer as one object", async () => {
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456', '--json'], {
      cwd: cwd(),
      env: authEnv(ok.port),
    });
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      ok: true,
      provider: 'smtp',
      type: 'email-code-login',
      to: ['me@example.com'],
      path: null,
      providerMessageId: null,
      accepted: ['me@example.com'],
    });
    expect(json.response).toMatch(/^250 /);
    expect(json.messageId).toMatch(/^<.+@example\.com>$/);
  });

  it('--dry-run prints the whole MIME message and sends nothing', async () => {
    const before = ok.messages.length;
    const r = await runCli(
      ['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=654321', '--dry-run'],
      { cwd: cwd(), env: authEnv(ok.port) },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^From: Acme <no-reply@example\.com>\r\n/);
    expect(r.stdout).toMatch(/\r\nContent-Type: multipart\/alternative;/);
    expect(r.stderr).toMatch(/dry run: nothing was sent/);
    const parsed = await simpleParser(Buffer.from(r.stdout));
    expect(parsed.text).toContain('654321');
    expect(ok.messages.length).toBe(before);
    expect(ok.calls.mail).toBe(before);
  });

  const failures: [string, () => Promise<Record<string, string>>, number, RegExp][] = [
    [
      '451 → 75',
      async () => {
        const s = await startSmtpServer({ rcpt: { code: 451, message: '4.7.1 Greylisted, come back later' } });
        servers.push(s);
        return smtpEnv(s.port);
      },
      75,
      /smtp said: 451 4\.7\.1 Greylisted, come back later/,
    ],
    [
      '550 → 69',
      async () => {
        const s = await startSmtpServer({ mail: { code: 550, message: '5.7.1 Sender rejected' } });
        servers.push(s);
        return smtpEnv(s.port);
      },
      69,
      /refused the message permanently \(550 at MAIL FROM\)\n {2}smtp said: 550 5\.7\.1 Sender rejected/,
    ],
    [
      '535 → 77',
      async () => {
        const s = await startSmtpServer({ tls: 'implicit', auth: { user: 'mailer', pass: 'the-right-one' } });
        servers.push(s);
        return smtpEnv(s.port, {
          SMTP_USE_TLS: 'true',
          SMTP_TLS_VERIFY: 'false',
          SMTP_USERNAME: 'mailer',
          SMTP_PASSWORD: PASSWORD,
        });
      },
      77,
      /refused the login \(535 at AUTH PLAIN\)\n {2}smtp said: 535 5\.7\.8 Authentication credentials invalid\nhint: check SMTP_USERNAME and SMTP_PASSWORD/,
    ],
    [
      'connection refused → 69',
      async () => smtpEnv(await refusedPort()),
      69,
      /cannot connect to the SMTP server 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\nhint: /,
    ],
    [
      'a server that never answers → 75',
      async () => {
        const silent: SilentServer = await startSilentServer();
        servers.push(silent);
        return smtpEnv(silent.port, { SMTP_GREETING_TIMEOUT: '400ms' });
      },
      75,
      /did not answer in time \(timeout\)/,
    ],
    [
      'self-signed certificate with verification on → 69',
      async () => {
        const s = await startSmtpServer({ tls: 'implicit' });
        servers.push(s);
        return smtpEnv(s.port, { SMTP_USE_TLS: 'true' });
      },
      69,
      /TLS handshake with the SMTP server 127\.0\.0\.1:\d+ failed/,
    ],
  ];
  it.each(failures)("%s, with the server's words and a hint on stderr", async (_name, setup, exitCode, stderr) => {
    const env = await setup();
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'], {
      cwd: cwd(),
      env,
    });
    expect(r.exitCode).toBe(exitCode);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mailctl: /);
    expect(r.stderr).toMatch(stderr);
    expect(r.stderr).not.toMatch(/internal error|\n {4}at /);
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('--json on failure prints ok:false with the classification, and still exits with the code', async () => {
    const s = await startSmtpServer({ data: { code: 452, message: '4.3.1 Insufficient system storage' } });
    servers.push(s);
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456', '--json'], {
      cwd: cwd(),
      env: smtpEnv(s.port),
    });
    expect(r.exitCode).toBe(75);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      ok: false,
      provider: 'smtp',
      exitCode: 75,
      kind: 'transient',
      response: '452 4.3.1 Insufficient system storage',
      reply: { responseCode: 452, command: 'DATA' },
    });
    expect(r.stderr).toMatch(/deferred the message \(452 at DATA\)/);
  });
});

describe('sendgrid', () => {
  let api: TestHttpServer;
  beforeAll(async () => {
    api = await startHttpServer();
    servers.push(api);
  });
  const env = () => ({
    MAIL_TYPE: 'sendgrid',
    SENDGRID_API_KEY: 'SG.e2e-secret-key',
    SENDGRID_API_BASE_URL: api.url,
    MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  });

  it('202 → prints the status and x-message-id', async () => {
    api.respond(() => ({ status: 202, headers: { 'x-message-id': 'SGID-1' } }));
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'], {
      cwd: cwd(),
      env: env(),
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('202 Accepted (x-message-id SGID-1)');
  });

  const statuses: [number, number][] = [
    [400, 69],
    [401, 77],
    [403, 77],
    [429, 75],
    [500, 75],
  ];
  it.each(statuses)("HTTP %i → exit %i, with SendGrid's words", async (status, exitCode) => {
    api.respond(() => ({
      status,
      headers: status === 429 ? { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 30) } : {},
      body: { errors: [{ message: `words for ${status}`, field: null }] },
    }));
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'], {
      cwd: cwd(),
      env: env(),
    });
    expect(r.exitCode).toBe(exitCode);
    expect(r.stderr).toContain(`sendgrid said: words for ${status}`);
    expect(r.stderr).not.toContain('SG.e2e-secret-key');
  });
});

describe('resend', () => {
  let api: TestHttpServer;
  beforeAll(async () => {
    api = await startHttpServer();
    servers.push(api);
  });
  const env = () => ({
    MAIL_TYPE: 'resend',
    RESEND_API_KEY: 're_e2e_secret_key',
    RESEND_API_URL: api.url,
    MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  });

  it("200 → prints the status and Resend's id", async () => {
    api.respond(() => ({ status: 200, body: { id: 'rs-123' } }));
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456', '--json'], {
      cwd: cwd(),
      env: env(),
    });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      provider: 'resend',
      providerMessageId: 'rs-123',
      response: '200 OK',
    });
    expect(api.requests.at(-1)?.headers['idempotency-key']).toMatch(/@example\.com$/);
  });

  it("401 → 77 with Resend's words", async () => {
    api.respond(() => ({
      status: 401,
      body: { statusCode: 401, message: 'API key is invalid', name: 'validation_error' },
    }));
    const r = await runCli(['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'], {
      cwd: cwd(),
      env: env(),
    });
    expect(r.exitCode).toBe(77);
    expect(r.stderr).toContain('resend said: API key is invalid (validation_error)');
    expect(r.stderr).toMatch(/hint: check RESEND_API_KEY/);
    expect(r.stderr).not.toContain('re_e2e_secret_key');
  });
});

describe('file provider options', () => {
  it('--json gives the path; DKIM signs the .eml; MAIL_UNSUBSCRIBE_URL lands on notifications only', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const env = {
      DKIM_DOMAIN: 'example.com',
      DKIM_SELECTOR: 's1',
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      MAIL_UNSUBSCRIBE_URL: 'https://example.com/unsub',
      MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
    };
    const dir = cwd();
    const notify = await runCli(['send', 'workflow-comment-mention', '--to', 'ops@example.com', '--json'], {
      cwd: dir,
      env,
    });
    expect(notify.exitCode).toBe(0);
    const json = JSON.parse(notify.stdout) as { path: string; provider: string };
    expect(json.provider).toBe('file');
    const eml = readFileSync(json.path, 'latin1');
    expect(eml).toMatch(/^DKIM-Signature: .*d=example\.com/m);
    expect(eml).toMatch(/^List-Unsubscribe: <https:\/\/example\.com\/unsub>\r$/m);
    expect(notify.stdout + notify.stderr).not.toContain('PRIVATE KEY');

    const code = await runCli(
      ['send', 'email-code-login', '--to', 'ops@example.com', '--var', 'code=123456', '--json'],
      { cwd: dir, env },
    );
    expect(code.exitCode).toBe(0);
    expect(readFileSync((JSON.parse(code.stdout) as { path: string }).path, 'latin1')).not.toMatch(
      /^List-Unsubscribe/m,
    );

    // A security notice is a notification a person cannot opt out of: no List-Unsubscribe either.
    const security = await runCli(
      ['send', 'owner-transfer-new-notify', '--to', 'ops@example.com', '--var', 'WorkspaceName=Acme', '--json'],
      { cwd: dir, env },
    );
    expect(security.exitCode).toBe(0);
    expect(readFileSync((JSON.parse(security.stdout) as { path: string }).path, 'latin1')).not.toMatch(
      /^List-Unsubscribe/m,
    );
  });
});

describe('bad input and configuration', () => {
  const cases: [string, string[], Record<string, string>, number, RegExp][] = [
    [
      'an invalid --to',
      ['send', 'reset-password', '--to', 'not-an-address'],
      {},
      65,
      /recipient "not-an-address" is not a valid address/,
    ],
    [
      'an invalid --from',
      ['send', 'reset-password', '--to', 'ops@example.com', '--from', 'nobody'],
      {},
      65,
      /sender "nobody" is not a valid address/,
    ],
    [
      'a CR/LF in --from',
      ['send', 'reset-password', '--to', 'ops@example.com', '--from', 'a@example.com\r\nBcc: victim@example.com'],
      {},
      65,
      /sender contains a line break/,
    ],
    [
      'a CR/LF in a variable that lands in the subject',
      [
        'send',
        'owner-transfer-new-notify',
        '--to',
        'ops@example.com',
        '--var',
        'WorkspaceName=Acme\r\nBcc: victim@example.com',
      ],
      {},
      65,
      /subject contains a line break/,
    ],
    [
      'a CR/LF in APPLICATION_TITLE (refused as configuration)',
      ['send', 'reset-password', '--to', 'ops@example.com'],
      { BRANDING_ENABLED: 'true', APPLICATION_TITLE: 'Acme\nBcc: victim@example.com' },
      78,
      /APPLICATION_TITLE: contains a line break/,
    ],
    [
      'an unknown type',
      ['send', 'no-such-type', '--to', 'ops@example.com'],
      {},
      64,
      /unknown mail type "no-such-type"/,
    ],
    [
      '--check without --dry-run',
      ['send', 'reset-password', '--to', 'ops@example.com', '--check'],
      {},
      64,
      /--check goes with --dry-run/,
    ],
    [
      '--queue with --dry-run',
      ['send', 'reset-password', '--to', 'ops@example.com', '--queue', '--dry-run'],
      {},
      64,
      /--queue and --dry-run cannot be used together/,
    ],
    ['a missing --to', ['send', 'reset-password'], {}, 64, /--to/],
    [
      'smtp without a server',
      ['send', 'reset-password', '--to', 'ops@example.com'],
      { MAIL_TYPE: 'smtp', MAIL_DEFAULT_SEND_FROM: 'a@example.com' },
      78,
      /configuration error: SMTP_SERVER is required/,
    ],
    [
      'smtp without a sender',
      ['send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=1'],
      { MAIL_TYPE: 'smtp', SMTP_SERVER: '127.0.0.1', SMTP_PORT: '25' },
      78,
      /MAIL_DEFAULT_SEND_FROM is required/,
    ],
  ];
  it.each(cases)('%s → %i', async (_name, args, env, exitCode, stderr) => {
    const dir = cwd();
    const r = await runCli(args, { cwd: dir, env });
    expect(r.exitCode).toBe(exitCode);
    expect(r.stderr).toMatch(stderr);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, '.mailctl', 'outbox'))).toBe(false);
  });

  it('--from stands in for a missing MAIL_DEFAULT_SEND_FROM', async () => {
    const r = await runCli(
      [
        'send',
        'reset-password',
        '--to',
        'ops@example.com',
        '--var',
        'code=1',
        '--from',
        'Ops <ops@example.org>',
        '--dry-run',
      ],
      { cwd: cwd(), env: { MAIL_TYPE: 'smtp', SMTP_SERVER: '127.0.0.1', SMTP_PORT: '25' } },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^From: Ops <ops@example\.org>\r\n/);
  });
});
