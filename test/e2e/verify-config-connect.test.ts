/**
 * `mailctl verify-config --connect` end to end: the built binary, spawned with a clean env, temp
 * cwd and HOME, against real servers on 127.0.0.1. Asserts exit code, stdout and stderr apart,
 * the --json shape, and that no password or API key (nor its base64) appears in any output.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import {
  DEFER_FROM,
  fakeApis,
  FROM,
  PASSWORD,
  REFUSE_FROM,
  SG_GOOD,
  SG_NO_SEND,
  startHttp,
  startSilent,
  startSmtp,
  USER,
  type HttpHandle,
  type SmtpHandle,
} from '../helpers/probe-servers.js';
import { refusedPort } from '../helpers/ports.js';
import { selfSignedCert } from '../helpers/cert.js';

const servers: { close(): Promise<void> }[] = [];
const outputs: CliResult[] = [];
let plain: SmtpHandle;
let starttls: SmtpHandle;
let implicit: SmtpHandle;
let api: HttpHandle;
let silentPort: number;
let cert: Awaited<ReturnType<typeof selfSignedCert>>;

beforeAll(async () => {
  cert = await selfSignedCert();
  plain = await startSmtp({ mode: 'plain' });
  starttls = await startSmtp({ mode: 'starttls', cert, auth: true });
  implicit = await startSmtp({ mode: 'implicit', cert, auth: true });
  api = await startHttp(fakeApis);
  const silent = await startSilent();
  silentPort = silent.port;
  servers.push(plain, starttls, implicit, api, silent);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function run(args: string[], env: Record<string, string>): Promise<CliResult> {
  const r = await runCli(['verify-config', '--connect', ...args], { env });
  outputs.push(r);
  return r;
}

const smtp = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_LOCAL_HOSTNAME: 'mailer.example.net',
  MAIL_DEFAULT_SEND_FROM: `Ops <${FROM}>`,
  ...extra,
});
const withAuth = { SMTP_USERNAME: USER, SMTP_PASSWORD: PASSWORD };
const startTlsEnv = (extra: Record<string, string> = {}) =>
  smtp(starttls.port, { SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true', ...withAuth, ...extra });

describe('mailctl verify-config --connect (smtp)', () => {
  it('STARTTLS + AUTH against a test server with SMTP_TLS_VERIFY=false: exit 0, a transcript, warnings', async () => {
    const r = await run([], startTlsEnv({ SMTP_TLS_VERIFY: 'false' }));
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      `mailctl verify-config: smtp 127.0.0.1:${starttls.port} (STARTTLS required, AUTH as ${USER})`,
    );
    for (const name of [
      'resolve',
      'connect',
      'greeting',
      'ehlo',
      'starttls',
      'tls',
      'auth',
      'mail from',
      'rset',
      'quit',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ok   ${name} +\\d+ ms`, 'm'));
    }
    expect(r.stdout).toContain('-> EHLO mailer.example.net');
    expect(r.stdout).toContain('-> STARTTLS  <- 220 ');
    expect(r.stdout).toContain('-> AUTH PLAIN ********  <- 235 ');
    expect(r.stdout).toContain(`-> MAIL FROM:<${FROM}>  <- 250 `);
    expect(r.stdout).toMatch(/warning: certificate NOT verified because SMTP_TLS_VERIFY=false/);
    expect(r.stdout).toMatch(/warning SMTP_TLS_VERIFY=false: the server certificate is not verified/);
    expect(lines.at(-2)).toBe('ok: 0 errors, 1 warning, connection ok');
  });

  it('verification on refuses the self-signed certificate: 69, the reason on stderr', async () => {
    const r = await run([], startTlsEnv());
    expect(r.exitCode).toBe(69);
    expect(r.stdout).toMatch(/^  FAIL tls .*DEPTH_ZERO_SELF_SIGNED_CERT/m);
    expect(r.stdout).toMatch(/failed: 0 errors, 0 warnings, connection failed/);
    expect(r.stderr).toMatch(
      /^mailctl: connection check failed: the server's TLS certificate is not trusted \(self-signed certificate\)\nhint: /,
    );
  });

  it('implicit TLS: --json has {ok, problems, connect: {stages}}', async () => {
    const r = await run(
      ['--json'],
      smtp(implicit.port, { SMTP_USE_TLS: 'true', SMTP_TLS_VERIFY: 'false', ...withAuth }),
    );
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as {
      ok: boolean;
      problems: { key: string; severity: string; message: string; source: string }[];
      connect: {
        ok: boolean;
        exitCode: number;
        stages: { name: string; ok: boolean; ms: number; sent?: string; reply?: string; warning?: string }[];
      };
    };
    expect(json.ok).toBe(true);
    expect(json.problems).toEqual([
      expect.objectContaining({ key: 'SMTP_TLS_VERIFY', severity: 'warning', source: 'env SMTP_TLS_VERIFY' }),
    ]);
    expect(json.connect.ok).toBe(true);
    expect(json.connect.exitCode).toBe(0);
    expect(json.connect.stages.map((s) => s.name)).toEqual([
      'resolve',
      'connect',
      'tls',
      'greeting',
      'ehlo',
      'auth',
      'mail from',
      'rset',
      'quit',
    ]);
    for (const s of json.connect.stages) {
      expect(s).toMatchObject({ ok: true, ms: expect.any(Number) });
    }
    expect(json.connect.stages.find((s) => s.name === 'tls')?.warning).toMatch(/NOT verified/);
  });

  it('a wrong password is 77; --json carries error and hint, stderr the sentence', async () => {
    const r = await run(
      ['--json'],
      smtp(implicit.port, {
        SMTP_USE_TLS: 'true',
        SMTP_TLS_VERIFY: 'false',
        SMTP_USERNAME: USER,
        SMTP_PASSWORD: 'wrong-Password-987',
      }),
    );
    expect(r.exitCode).toBe(77);
    const json = JSON.parse(r.stdout) as {
      ok: boolean;
      exitCode: number;
      connect: {
        ok: boolean;
        exitCode: number;
        error: string;
        hint: string;
        stages: { name: string; ok: boolean; reply?: string }[];
      };
    };
    expect(json).toMatchObject({ ok: false, exitCode: 77, connect: { ok: false, exitCode: 77 } });
    expect(json.connect.stages.at(-1)).toMatchObject({ name: 'auth', ok: false });
    expect(json.connect.stages.at(-1)?.reply).toMatch(/^535 /);
    expect(json.connect.error).toMatch(/refused AUTH/);
    expect(r.stderr).toMatch(/^mailctl: connection check failed: 127\.0\.0\.1 refused AUTH for ops@example\.com: 535 /);
    expect(r.stdout + r.stderr).not.toContain('wrong-Password-987');
    expect(r.stdout + r.stderr).not.toContain(Buffer.from('wrong-Password-987').toString('base64'));
  });

  it.each<[string, Record<string, string>, number, RegExp]>([
    ['a 4xx on MAIL FROM is 75', { MAIL_DEFAULT_SEND_FROM: DEFER_FROM }, 75, /^  FAIL mail from .*<- 451 /m],
    ['a 5xx on MAIL FROM is 69', { MAIL_DEFAULT_SEND_FROM: REFUSE_FROM }, 69, /^  FAIL mail from .*<- 550 /m],
  ])('%s', async (_n, extra, code, line) => {
    const r = await run([], smtp(plain.port, extra));
    expect(r.exitCode).toBe(code);
    expect(r.stdout).toMatch(line);
    expect(r.stderr).toMatch(/^mailctl: connection check failed: /);
  });

  it('a closed port is 69; a server that never greets is 75 after the greeting timeout', async () => {
    const closed = await run([], smtp(await refusedPort()));
    expect(closed.exitCode).toBe(69);
    expect(closed.stdout).toMatch(/^  FAIL connect .*ECONNREFUSED/m);
    const silent = await run([], smtp(silentPort, { SMTP_GREETING_TIMEOUT: '300ms' }));
    expect(silent.exitCode).toBe(75);
    expect(silent.stdout).toMatch(/^  FAIL greeting .*<- timeout/m);
    expect(silent.stderr).toMatch(/sent no greeting within 300 ms/);
  });

  it('the password in a config file is masked too, and --debug shows no secret', async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, '.mailctlrc.json'),
      JSON.stringify({
        mailType: 'smtp',
        smtp: { server: '127.0.0.1', port: plain.port, username: USER, password: PASSWORD },
        defaultFrom: FROM,
      }),
    );
    const r = await runCli(['--debug', 'verify-config', '--connect'], { cwd });
    outputs.push(r);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('AUTH PLAIN ********');
  });

  it('does not connect while the configuration has errors: 78', async () => {
    const r = await run([], smtp(plain.port, { SMTP_OPPORTUNISTIC_TLS: 'true' }));
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toContain('--connect skipped: fix the errors above first');
    expect(plain.forbidden).toEqual([]);
  });
});

describe('mailctl verify-config --connect (trusted certificates)', () => {
  it('verification on passes for a certificate the operator trusts (NODE_EXTRA_CA_CERTS) that names the host', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'ca.pem'), cert.cert);
    const r = await runCli(['verify-config', '--connect'], {
      cwd,
      env: { ...startTlsEnv(), SMTP_SERVER: 'localhost', NODE_EXTRA_CA_CERTS: join(cwd, 'ca.pem') },
    });
    outputs.push(r);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^  ok   tls .*certificate CN=localhost, DNS:localhost, IP Address:127\.0\.0\.1 \(issuer itself, valid until [^)]+\), verified$/m,
    );
    expect(r.stdout).not.toMatch(/warning: certificate/);
  });

  it('a trusted certificate for another name is 69: "does not name" the server', async () => {
    const other = await selfSignedCert('mx.other.example', null);
    const server = await startSmtp({ mode: 'implicit', cert: other });
    servers.push(server);
    const cwd = tempDir();
    writeFileSync(join(cwd, 'ca.pem'), other.cert);
    const r = await runCli(['verify-config', '--connect'], {
      cwd,
      env: { ...smtp(server.port, { SMTP_USE_TLS: 'true' }), NODE_EXTRA_CA_CERTS: join(cwd, 'ca.pem') },
    });
    outputs.push(r);
    expect(r.exitCode).toBe(69);
    expect(r.stdout).toMatch(/^  FAIL tls .*ERR_TLS_CERT_ALTNAME_INVALID/m);
    expect(r.stderr).toMatch(
      /the server's TLS certificate does not name 127\.0\.0\.1\nhint: set SMTP_SERVER to a name the certificate lists/,
    );
  });
});

describe('mailctl verify-config --connect (sendgrid, file)', () => {
  const sg = (key: string): Record<string, string> => ({
    MAIL_TYPE: 'sendgrid',
    SENDGRID_API_KEY: key,
    SENDGRID_API_BASE_URL: api.url,
    MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
  });

  it('a key with mail.send: exit 0', async () => {
    const r = await run([], sg(SG_GOOD));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`-> GET ${api.url}/v3/scopes (Authorization: Bearer ********)  <- 200 OK`);
    expect(r.stdout).toMatch(/^  ok   scopes .*mail\.send present/m);
    expect(r.stderr).toBe('');
  });

  it('a key without mail.send: 77', async () => {
    const r = await run(['--json'], sg(SG_NO_SEND));
    expect(r.exitCode).toBe(77);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      connect: {
        ok: false,
        exitCode: 77,
        stages: [
          { name: 'api', ok: true },
          { name: 'scopes', ok: false },
        ],
      },
    });
    expect(r.stderr).toMatch(/lacks the mail\.send scope/);
  });

  it('a refused key (401): 77', async () => {
    const r = await run([], sg('SG.revoked-0123456789abcdef'));
    expect(r.exitCode).toBe(77);
    expect(r.stdout).toMatch(/<- 401 Unauthorized: authorization required/);
  });

  it('file: the outbox is writable: exit 0', async () => {
    const r = await run([], {});
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^  ok   outbox .*<- created, writable/m);
  });
});

describe('secrets', () => {
  it('no password or API key, nor its base64, appears in any output of these runs', () => {
    expect(outputs.length).toBeGreaterThan(10);
    const forms = [PASSWORD, SG_GOOD, SG_NO_SEND, 'SG.revoked-0123456789abcdef'].flatMap((s) => [
      s,
      Buffer.from(s).toString('base64'),
    ]);
    forms.push(Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64'));
    for (const r of outputs) {
      for (const f of forms) {
        expect(r.stdout).not.toContain(f);
        expect(r.stderr).not.toContain(f);
      }
    }
  });
});
