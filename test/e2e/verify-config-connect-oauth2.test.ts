/**
 * `mailctl verify-config --connect` with SMTP_AUTH_METHOD=oauth2: the built binary against
 * smtp-server offering AUTH XOAUTH2 under STARTTLS (its test certificate trusted through
 * NODE_EXTRA_CA_CERTS) and a local token endpoint. The transcript gains a `token` stage (endpoint,
 * grant, scope, lifetime) before `auth` (`AUTH XOAUTH2 ********` and the server's reply); the
 * token itself never appears, raw or inside the base64 XOAUTH2 string.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { oauth2SecretForms, startOAuth2Rig, type OAuth2Rig, type TokenEndpoint } from '../helpers/oauth2.js';
import type { TestSmtpOptions } from '../helpers/smtp.js';

const MAILBOX = 'no-reply@contoso.example';
const CLIENT_SECRET = 'cs~Probe-Secret-77aa';

const rigs: OAuth2Rig[] = [];
afterAll(async () => {
  await Promise.all(rigs.map((r) => r.close()));
});

async function probe(
  smtp: Partial<TestSmtpOptions>,
  before: (endpoint: TokenEndpoint) => void = () => {},
  args: string[] = [],
): Promise<{ r: CliResult; endpoint: TokenEndpoint }> {
  const rig = await startOAuth2Rig({ user: MAILBOX, clientSecret: CLIENT_SECRET, smtp });
  rigs.push(rig);
  before(rig.endpoint);
  const r = await runCli(['verify-config', '--connect', ...args], { cwd: rig.cwd, env: rig.env });
  for (const secret of [CLIENT_SECRET, ...rig.endpoint.issued])
    for (const form of oauth2SecretForms(secret, MAILBOX))
      expect(r.stdout + r.stderr, 'a secret in the output').not.toContain(form);
  return { r, endpoint: rig.endpoint };
}

describe('verify-config --connect with OAuth2', () => {
  it('a token stage before auth, AUTH XOAUTH2 masked, 235: exit 0', async () => {
    const { r, endpoint } = await probe({});
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const names = [...r.stdout.matchAll(/^ {2}ok {3}(\S+(?: from)?)/gm)].map((m) => m[1]);
    expect(names.indexOf('token')).toBeGreaterThan(names.indexOf('tls'));
    expect(names.indexOf('token')).toBe(names.indexOf('auth') - 1);
    expect(r.stdout).toContain(
      `-> POST ${endpoint.url} (client_credentials grant, scope https://outlook.office365.com/.default)  <- a Bearer token for ${MAILBOX}, valid 3600 s (until `,
    );
    expect(r.stdout).toMatch(/-> AUTH XOAUTH2 \*{8} {2}<- 235 .* \(as no-reply@contoso\.example\)/);
    expect(r.stdout).toMatch(/^  ok {3}mail from/m);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('--json: the token stage is in the report, its reply names no token', async () => {
    const { r, endpoint } = await probe({}, () => {}, ['--json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as { connect: { stages: { name: string; ok: boolean; reply?: string }[] } };
    const token = report.connect.stages.find((s) => s.name === 'token');
    expect(token).toMatchObject({ ok: true, reply: expect.stringMatching(/^a Bearer token for /) as unknown });
    expect(JSON.stringify(report)).not.toContain(endpoint.issued[0]!);
  });

  it("invalid_client at the token stage: 77, the endpoint's words, no AUTH sent", async () => {
    const { r } = await probe({}, (e) => (e.mode = 'invalid_client'));
    expect(r.exitCode).toBe(77);
    expect(r.stdout).toMatch(/^ {2}FAIL token .*invalid_client: AADSTS7000215/m);
    expect(r.stdout).not.toMatch(/^ {2}\S+ +auth/m);
    expect(r.stderr).toMatch(/^hint: check SMTP_OAUTH2_CLIENT_ID and SMTP_OAUTH2_CLIENT_SECRET/m);
  });

  it("the server refuses the token through Google's 334 challenge: 77, the challenge shown, the permissions hint", async () => {
    const { r } = await probe({ xoauth2: { user: MAILBOX, accept: () => false, challenge: true } });
    expect(r.exitCode).toBe(77);
    expect(r.stdout).toMatch(/^ {2}FAIL auth .*-> AUTH XOAUTH2 \*{8} {2}<- 535 .*\(challenge: \{"status":"401"/m);
    expect(r.stderr).toMatch(/hint: the server refused the OAuth2 token for SMTP_USERNAME/);
  });

  it('a server that offers only password AUTH: 77 naming what it offers', async () => {
    const { r } = await probe({ xoauth2: undefined, auth: { user: MAILBOX, pass: 'x' } });
    expect(r.exitCode).toBe(77);
    expect(r.stdout).toMatch(/^ {2}FAIL auth .*AUTH PLAIN LOGIN/m);
    expect(r.stderr).toMatch(/the server does not offer AUTH XOAUTH2 \(it offers PLAIN LOGIN\)/);
  });
});
