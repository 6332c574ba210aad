/**
 * `mailctl send` with SMTP_AUTH_METHOD=oauth2, as an operator runs it: the built binary against
 * smtp-server offering only AUTH XOAUTH2 under TLS (the test's certificate trusted through
 * NODE_EXTRA_CA_CERTS, verification on) and a local OAuth2 token endpoint. Both recipes of the
 * README (Microsoft 365 app-only, a refresh token as for Google Workspace), then each failure of
 * the token endpoint with the contract's exit code; no secret in any output.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { oauth2SecretForms, startOAuth2Rig, type OAuth2Rig, type TokenEndpoint } from '../../helpers/oauth2.js';
import { type TestSmtpOptions } from '../../helpers/smtp.js';
import { refusedPort } from '../../helpers/ports.js';

const MAILBOX = 'no-reply@contoso.example';
const CLIENT_SECRET = 'cs~Secret-0f1e2d3c4b5a';
const REFRESH_TOKEN = 'rt-1//0gRefresh-9a8b7c6d';

const rigs: OAuth2Rig[] = [];
afterAll(async () => {
  await Promise.all(rigs.map((r) => r.close()));
});

async function setUp(
  smtp: Partial<TestSmtpOptions> = {},
  refreshToken?: string,
): Promise<{ endpoint: TokenEndpoint; env: Record<string, string>; cwd: string; messages: () => number }> {
  const rig = await startOAuth2Rig({ user: MAILBOX, clientSecret: CLIENT_SECRET, refreshToken, smtp });
  rigs.push(rig);
  return { endpoint: rig.endpoint, env: rig.env, cwd: rig.cwd, messages: () => rig.smtp.messages.length };
}

const SEND = ['send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'];

/** No secret of the configuration or of the run, raw, base64, or as the XOAUTH2 string. */
function expectNoSecret(r: CliResult, endpoint: TokenEndpoint): void {
  for (const s of [CLIENT_SECRET, REFRESH_TOKEN, ...endpoint.issued])
    for (const form of oauth2SecretForms(s, MAILBOX))
      expect(r.stdout + r.stderr, 'a secret in the output').not.toContain(form);
}

describe('mailctl send with OAuth2: the two recipes', () => {
  it('Microsoft 365 app-only (client credentials) over STARTTLS: exit 0, the server reply, one token', async () => {
    const t = await setUp();
    const r = await runCli(['--debug', ...SEND], { cwd: t.cwd, env: t.env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^250 .*queued as TEST0001/m);
    expect(r.stderr).toMatch(
      /sent reset-password \(en-US\) for ops@example\.com via smtp localhost:\d+ \(STARTTLS required, AUTH XOAUTH2 as no-reply@contoso\.example\)/,
    );
    expect(t.endpoint.requests.map((q) => [q.grant_type, q.scope])).toEqual([
      ['client_credentials', 'https://outlook.office365.com/.default'],
    ]);
    expect(t.messages()).toBe(1);
    expectNoSecret(r, t.endpoint);
  });

  it('a refresh token (Google Workspace, Microsoft delegated) over implicit TLS: exit 0', async () => {
    const t = await setUp({ tls: 'implicit' }, REFRESH_TOKEN);
    const r = await runCli(['--debug', ...SEND, '--json'], { cwd: t.cwd, env: t.env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    expect(t.endpoint.requests.map((q) => [q.grant_type, q.refresh_token])).toEqual([['refresh_token', REFRESH_TOKEN]]);
    expect(t.messages()).toBe(1);
    expectNoSecret(r, t.endpoint);
  });
});

describe('mailctl send with OAuth2: failures and their exit codes', () => {
  it("invalid_grant: 77, the endpoint's own words, a hint, nothing sent", async () => {
    const t = await setUp({}, REFRESH_TOKEN);
    t.endpoint.mode = 'invalid_grant';
    const r = await runCli(['--debug', ...SEND], { cwd: t.cwd, env: t.env });
    expect(r.exitCode).toBe(77);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^mailctl: the OAuth2 token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused the credentials \(invalid_grant: AADSTS70000: .*\)$/m,
    );
    expect(r.stderr).toMatch(/^hint: the refresh token has expired or was revoked/m);
    expect(t.messages()).toBe(0);
    expectNoSecret(r, t.endpoint);
  });

  it('invalid_client: 77 naming the client secret', async () => {
    const t = await setUp();
    const r = await runCli(SEND, { cwd: t.cwd, env: { ...t.env, SMTP_OAUTH2_CLIENT_SECRET: 'wrong-secret-value' } });
    expect(r.exitCode).toBe(77);
    expect(r.stderr).toMatch(/\(invalid_client: AADSTS7000215: Invalid client secret provided\./);
    expect(r.stderr).toMatch(/^hint: check SMTP_OAUTH2_CLIENT_ID and SMTP_OAUTH2_CLIENT_SECRET/m);
    expect(r.stderr).not.toContain('wrong-secret-value');
  });

  it('the SMTP server refuses every token: 77 after one renewal, with the permissions hint', async () => {
    const t = await setUp({ xoauth2: { user: MAILBOX, accept: () => false } });
    const r = await runCli(SEND, { cwd: t.cwd, env: t.env });
    expect(r.exitCode).toBe(77);
    expect(r.stderr).toMatch(/refused the login \(535 at AUTH XOAUTH2\)/);
    expect(r.stderr).toMatch(/hint: the server refused the OAuth2 token for SMTP_USERNAME/);
    expect(t.endpoint.issued).toHaveLength(2);
    expectNoSecret(r, t.endpoint);
  });

  it('HTTP 500 from the endpoint: 75', async () => {
    const t = await setUp();
    t.endpoint.mode = 'server_error';
    const r = await runCli(SEND, { cwd: t.cwd, env: t.env });
    expect(r.exitCode).toBe(75);
    expect(r.stderr).toMatch(/token endpoint .* failed on its side \(HTTP 500\)/);
  });

  it('an endpoint that hangs: 75 after SMTP_SOCKET_TIMEOUT', async () => {
    const t = await setUp();
    t.endpoint.mode = 'hang';
    const r = await runCli(SEND, { cwd: t.cwd, env: { ...t.env, SMTP_SOCKET_TIMEOUT: '1s' } });
    expect(r.exitCode).toBe(75);
    expect(r.stderr).toMatch(/the OAuth2 token endpoint did not answer in time/);
  });

  it('an unreachable endpoint: 69', async () => {
    const t = await setUp();
    const port = await refusedPort();
    const r = await runCli(SEND, {
      cwd: t.cwd,
      env: { ...t.env, SMTP_OAUTH2_TOKEN_URL: `http://127.0.0.1:${port}/token` },
    });
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toMatch(/cannot connect to the OAuth2 token endpoint \(ECONNREFUSED\)/);
  });

  it('oauth2 without TLS: 78 before any request', async () => {
    const t = await setUp();
    const r = await runCli(SEND, {
      cwd: t.cwd,
      env: { ...t.env, SMTP_USE_TLS: 'false', SMTP_OPPORTUNISTIC_TLS: 'false' },
    });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(/SMTP_AUTH_METHOD=oauth2 needs TLS/);
    expect(t.endpoint.requests).toHaveLength(0);
  });
});
