// Providers as data, end to end: a test-only HTTP provider (acme-provider.ts: its module and its
// registry entry, nothing under src/) registered with registerProvider() is validated, described
// and masked by verify-config, delivers through `send`, has its 4xx/5xx classified with its own
// hints, is probed by `verify-config --connect`, and lends its SPF include and DKIM habit to the
// DNS checks. Commands run in-process (runProgram), as cli.ts runs them, against a local HTTP API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../../../src/config/redact.js';
import { systemClock, type AppContext } from '../../../../src/context.js';
import { exitCodeOf } from '../../../../src/errors.js';
import { formatError } from '../../../../src/output/format-error.js';
import { runProgram } from '../../../../src/program.js';
import { registerProvider } from '../../../../src/providers/registry.js';
import { tempDir } from '../../../helpers/cli.js';
import { startHttpServer, type HttpAnswer, type TestHttpServer } from '../../../helpers/http.js';
import { startDns, type DnsHandle } from '../../../helpers/dns-server.js';
import { ACME, ACME_KEY } from './acme-provider.js';

let api: TestHttpServer;
let dns: DnsHandle;
let forget: () => void;
let answer: HttpAnswer = { status: 202, body: { id: 'acme-1' } };
const cwd = tempDir('mailctl-acme-');

beforeAll(async () => {
  forget = registerProvider('acme', ACME);
  api = await startHttpServer((req) =>
    req.path === '/v1/account'
      ? req.headers.authorization === `Bearer ${ACME_KEY}`
        ? { status: 200, body: { name: 'ops' } }
        : { status: 401, body: { message: 'bad key' } }
      : answer,
  );
  // acme.example publishes no SPF: the fix must name Acme Mail's include.
  dns = await startDns({ 'acme.example': { MX: [{ exchange: 'mx.acme.example', priority: 10 }] } });
});
afterAll(async () => {
  forget();
  await api.close();
  await dns.close();
});

const env = (extra: Record<string, string | undefined> = {}): Record<string, string> =>
  Object.fromEntries(
    Object.entries({
      MAIL_TYPE: 'acme',
      ACME_API_KEY: ACME_KEY,
      ACME_API_URL: api.url,
      MAIL_DEFAULT_SEND_FROM: 'App <no-reply@acme.example>',
      MAILCTL_DNS_SERVERS: dns.server,
      NO_COLOR: '1',
      ...extra,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );

/** argv → exit code, stdout, stderr: cli.ts's handling of a thrown error included. */
async function mailctl(argv: string[], vars: Record<string, string>, dir = cwd) {
  let stdout = '';
  let stderr = '';
  const redactor = new Redactor().addEnv(vars);
  const app: AppContext = {
    env: vars,
    cwd: dir,
    redactor,
    io: {
      out: (s) => void (stdout += redactor.redact(s)),
      err: (s) => void (stderr += redactor.redact(s)),
      outIsTTY: false,
      errIsTTY: false,
    },
    clock: systemClock(),
    random: Math.random,
    pid: process.pid,
    hostname: 'test.example',
    signal: new AbortController().signal,
  };
  let exitCode: number;
  try {
    exitCode = await runProgram(argv, app);
  } catch (err) {
    stderr += `${formatError(err, false, (t) => redactor.redact(t))}\n`;
    exitCode = exitCodeOf(err);
  }
  return { exitCode, stdout, stderr };
}

describe('a provider added as a module and a registry entry', () => {
  it('verify-config names a missing required key in one line, with its hint, and exits 78', async () => {
    const r = await mailctl(['verify-config'], env({ ACME_API_KEY: undefined }));
    expect(r.exitCode).toBe(78);
    const line = r.stdout.split('\n').filter((l) => l.includes('ACME_API_KEY'));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(/ACME_API_KEY is required for MAIL_TYPE=acme/);
    expect(r.stdout).toMatch(/create a key in Acme Mail → Settings → API keys/);

    const json = await mailctl(['verify-config', '--json'], env({ ACME_API_KEY: undefined }));
    expect(json.exitCode).toBe(78);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      mailType: 'acme',
      problems: [
        {
          key: 'ACME_API_KEY',
          severity: 'error',
          message: 'ACME_API_KEY is required for MAIL_TYPE=acme',
          source: 'not set',
        },
      ],
    });
  });

  it("verify-config checks its key's shape, reads its keys from a config file, and never prints the key", async () => {
    const r = await mailctl(['verify-config', '--json'], env({ ACME_API_KEY: 'sk-wrong-0123456789' }));
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).problems).toEqual([
      {
        key: 'ACME_API_KEY',
        severity: 'warning',
        message: 'ACME_API_KEY does not start with "acme_"; Acme Mail keys do',
        source: 'env ACME_API_KEY',
        hint: 'paste the whole key as Acme Mail showed it',
      },
    ]);
    expect(r.stdout + r.stderr).not.toContain('sk-wrong-0123456789');

    const typo = await mailctl(['verify-config', '--json'], env({ ACME_APIKEY: 'x' }));
    expect(JSON.parse(typo.stdout).problems).toContainEqual(
      expect.objectContaining({ key: 'ACME_APIKEY', message: expect.stringMatching(/did you mean ACME_API_KEY/) }),
    );

    const project = tempDir('mailctl-acme-file-');
    writeFileSync(join(project, 'mailctl.config.json'), JSON.stringify({ acme: { apiKey: ACME_KEY } }));
    const file = await mailctl(['verify-config', '--json'], env({ ACME_API_KEY: undefined }), project);
    expect(file.exitCode).toBe(0);
    expect(JSON.parse(file.stdout)).toMatchObject({ ok: true, problems: [] });
    expect(file.stdout).not.toContain(ACME_KEY);
  });

  it('verify-config describes it by its base URL and passes a good configuration (0)', async () => {
    const r = await mailctl(['verify-config', '--debug'], env());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`mailctl verify-config: acme ${api.url}`);
    expect(r.stderr).toContain('config: ACME_API_KEY="********" [env ACME_API_KEY]');
    expect(r.stdout + r.stderr).not.toContain(ACME_KEY);
  });

  it('an unknown MAIL_TYPE lists it among the allowed ones', async () => {
    const r = await mailctl(['verify-config', '--json'], env({ MAIL_TYPE: 'postmark' }));
    expect(r.exitCode).toBe(78);
    expect(JSON.parse(r.stdout).problems[0].message).toMatch(/one of file, smtp, sendgrid, resend, acme/);
  });

  it('verify-config --connect runs its probe: 0 with the key, 77 without', async () => {
    const good = await mailctl(['verify-config', '--connect'], env());
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toMatch(/connection ok/);
    expect(good.stdout).toContain(`GET ${api.url}/v1/account (Authorization: Bearer ********)`);
    const bad = await mailctl(['verify-config', '--connect'], env({ ACME_API_KEY: 'acme_revoked_0123456789' }));
    expect(bad.exitCode).toBe(77);
    expect(bad.stderr).toMatch(
      /Acme Mail refused the API key \(401\)\nhint: the key is wrong or revoked: check ACME_API_KEY/,
    );
  });

  it('send delivers through it and prints its answer with its message-id header', async () => {
    answer = { status: 202, body: { id: 'acme-1' } };
    const before = api.requests.length;
    const r = await mailctl(['send', 'reset-password', '--lang', 'en-US', '--to', 'ops@example.com'], env());
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('202 Accepted (x-acme-id acme-1)');
    expect(r.stderr).toContain(`via acme ${api.url}`);
    const sent = api.requests.slice(before).find((q) => q.path === '/v1/messages');
    expect(sent?.headers.authorization).toBe(`Bearer ${ACME_KEY}`);
    expect(sent?.json).toMatchObject({ from: 'no-reply@acme.example', to: ['ops@example.com'] });
  });

  it.each<[number, number, RegExp, RegExp]>([
    [
      401,
      77,
      /the Acme Mail API refused the credentials \(HTTP 401\)/,
      /check ACME_API_KEY and that the sender domain/,
    ],
    [404, 69, /the Acme Mail API refused the message \(HTTP 404\)/, /check the API base URL \(ACME_API_URL\)/],
    [429, 75, /the Acme Mail API is rate limiting us \(HTTP 429\)/, /try again later/],
    [503, 75, /the Acme Mail API failed on its side \(HTTP 503\)/, /try again later/],
  ])('send: HTTP %i is classified as exit %i, in its own words', async (status, exitCode, message, hint) => {
    answer = { status, body: { message: 'nope' } };
    const r = await mailctl(['send', 'reset-password', '--lang', 'en-US', '--to', 'ops@example.com'], env());
    expect(r.exitCode).toBe(exitCode);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(hint);
    expect(r.stdout).toBe('');
  });

  it('verify-config --dns proposes its SPF include and knows it signs DKIM itself', async () => {
    const r = await mailctl(['verify-config', '--dns', '--json'], env());
    const report = JSON.parse(r.stdout) as {
      dns: { findings: { check: string; severity: string; message: string; fix?: string }[] };
    };
    const spf = report.dns.findings.find((f) => f.check === 'spf');
    expect(spf?.fix).toBe('publish TXT acme.example "v=spf1 include:spf.acme-mail.test -all"');
    expect(report.dns.findings.find((f) => f.check === 'dkim')).toMatchObject({
      severity: 'info',
      message: expect.stringMatching(/DKIM is signed by acme/),
    });
    expect(r.exitCode).toBe(78);
  });
});
