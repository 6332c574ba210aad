/**
 * Only the provider's acceptance counts as delivered (issue 11, item 5): SendGrid's is exactly 202,
 * Resend's a 2xx whose JSON carries an `id`. A redirect is never followed (a 307 would re-POST the
 * message, login code included, to another host; a 302 would turn into a GET that "succeeds"), and
 * a 200 captive-portal page is not a delivery. Through the built binary: `send` exits 76 naming
 * the Location, `drain` keeps the job in the spool, `verify-config --connect` follows nothing.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startHttpServer, type HttpAnswer, type TestHttpServer } from '../../helpers/http.js';

const dirs: string[] = [];
let api: TestHttpServer;
/** Where the redirects point: it must never receive the message. */
let elsewhere: TestHttpServer;
beforeAll(async () => {
  api = await startHttpServer();
  elsewhere = await startHttpServer(() => ({ status: 202, headers: { 'x-message-id': 'stolen' }, body: { id: 'x' } }));
});
afterAll(async () => {
  await Promise.all([api.close(), elsewhere.close()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-http-acceptance-');
  dirs.push(d);
  return d;
}
const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

const providers = {
  sendgrid: () => ({
    MAIL_TYPE: 'sendgrid',
    SENDGRID_API_KEY: 'SG.acceptance-secret',
    SENDGRID_API_BASE_URL: api.url,
    MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  }),
  resend: () => ({
    MAIL_TYPE: 'resend',
    RESEND_API_KEY: 're_acceptance_secret',
    RESEND_API_URL: api.url,
    MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  }),
};

const answers: [string, () => HttpAnswer, RegExp][] = [
  [
    '307 to another host',
    () => ({ status: 307, headers: { location: `${elsewhere.url}/v3/mail/send` } }),
    /redirect \(HTTP 307 to http:\/\/127\.0\.0\.1:\d+\/v3\/mail\/send\)/,
  ],
  [
    '302 (would become a GET)',
    () => ({ status: 302, headers: { location: `${elsewhere.url}/login` } }),
    /redirect \(HTTP 302 to http:\/\/127\.0\.0\.1:\d+\/login\)/,
  ],
  [
    '200 with a captive-portal HTML page',
    () => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Sign in to the hotel Wi-Fi</body></html>',
    }),
    /not its acceptance \(HTTP 200, text\/html\)/,
  ],
];

const sendArgs = ['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'];

describe.each(Object.keys(providers) as (keyof typeof providers)[])('%s', (provider) => {
  const env = providers[provider];

  it.each(answers)('send: %s → exit 76, not delivered, nothing reaches the Location', async (_, answer, words) => {
    api.respond(answer);
    const before = elsewhere.requests.length;
    const r = await runCli(sendArgs, { cwd: cwd(), env: env() });
    expect(r.stderr).toMatch(words);
    expect(r.exitCode).toBe(76);
    expect(r.stdout).not.toMatch(/Accepted|OK/);
    expect(elsewhere.requests.length).toBe(before);
  });

  it.each(answers)('drain: %s → the job stays in the spool (deferred)', async (_, answer) => {
    const dir = cwd();
    const q = await runCli(['enqueue', ...sendArgs.slice(1)], { cwd: dir, env: env() });
    expect(q.exitCode).toBe(0);
    api.respond(answer);
    const before = elsewhere.requests.length;
    const r = await runCli(['drain', '--json'], { cwd: dir, env: env() });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ delivered: 0, deferred: 1 });
    expect(files(join(dir, '.mailctl/spool/deferred'))).toHaveLength(1);
    expect(files(join(dir, '.mailctl/spool/active'))).toEqual([]);
    expect(elsewhere.requests.length).toBe(before);
  });

  it('the acceptance itself is still delivered', async () => {
    api.respond(() =>
      provider === 'sendgrid'
        ? { status: 202, headers: { 'x-message-id': 'SG-OK' } }
        : { status: 200, body: { id: 'rs-ok' } },
    );
    const r = await runCli(sendArgs, { cwd: cwd(), env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      provider === 'sendgrid' ? '202 Accepted (x-message-id SG-OK)' : '200 OK (id rs-ok)',
    );
  });

  it('verify-config --connect: a 307 is reported (76) and not followed', async () => {
    api.respond(() => ({ status: 307, headers: { location: `${elsewhere.url}/v3/scopes` } }));
    const before = elsewhere.requests.length;
    const r = await runCli(['verify-config', '--connect'], { cwd: cwd(), env: env() });
    expect(r.exitCode).toBe(76);
    expect(r.stdout + r.stderr).toMatch(/redirected the request \(307 to http:\/\/127\.0\.0\.1:\d+\/v3\/scopes\)/);
    expect(elsewhere.requests.length).toBe(before);
  });
});

describe('a 2xx that is not the acceptance: SendGrid 200 {}, Resend 200 without an id', () => {
  it.each(Object.keys(providers) as (keyof typeof providers)[])('%s: 200 {} → exit 76', async (provider) => {
    api.respond(() => ({ status: 200, body: {} }));
    const r = await runCli(sendArgs, { cwd: cwd(), env: providers[provider]() });
    expect(r.stderr).toMatch(/not its acceptance \(HTTP 200, application\/json\)/);
    expect(r.exitCode).toBe(76);
  });
});
