/**
 * SMTP_AUTH_METHOD=oauth2 against real parts: smtp-server offering only AUTH XOAUTH2 (STARTTLS or
 * implicit TLS, a self-signed certificate made for the test) that checks each bearer token against
 * a local OAuth2 token endpoint (helpers/oauth2.ts). The provider is the one `send` and `drain`
 * use, built by createProvider, so the token source is the real one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/config/redact.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import type { Clock } from '../../../src/context.js';
import { composeMessage } from '../../../src/message/compose.js';
import { createProvider } from '../../../src/providers/index.js';
import type { Provider } from '../../../src/providers/types.js';
import { startTokenEndpoint, type TokenEndpoint, type TokenEndpointOptions } from '../../helpers/oauth2.js';
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from '../../helpers/smtp.js';
import { refusedPort } from '../../helpers/ports.js';
import { deliveryFailure as failure } from '../../helpers/delivery.js';

const MAILBOX = 'no-reply@contoso.example';
const CLIENT = { clientId: 'app-0001', clientSecret: 'client-secret-Q7~xyz' };

const closers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c.close()));
});

async function idp(options: Partial<TokenEndpointOptions> = {}): Promise<TokenEndpoint> {
  const e = await startTokenEndpoint({ ...CLIENT, ...options });
  closers.push(e);
  return e;
}

async function smtp(endpoint: TokenEndpoint, options: Partial<TestSmtpOptions> = {}): Promise<TestSmtpServer> {
  const s = await startSmtpServer({
    tls: 'starttls',
    xoauth2: { user: MAILBOX, accept: endpoint.isValid },
    ...options,
  });
  closers.push(s);
  return s;
}

function config(port: number, tokenUrl: string, env: Record<string, string> = {}) {
  return resolveConfig({
    env: {
      MAIL_TYPE: 'smtp',
      MAIL_DEFAULT_SEND_FROM: `Contoso <${MAILBOX}>`,
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(port),
      SMTP_USE_TLS: 'true',
      SMTP_OPPORTUNISTIC_TLS: 'true',
      // The test's self-signed certificate; the e2e tests trust it through NODE_EXTRA_CA_CERTS instead.
      SMTP_TLS_VERIFY: 'false',
      SMTP_SOCKET_TIMEOUT: '5s',
      SMTP_LOCAL_HOSTNAME: 'mail.client.test',
      SMTP_AUTH_METHOD: 'oauth2',
      SMTP_USERNAME: MAILBOX,
      SMTP_OAUTH2_TOKEN_URL: tokenUrl,
      SMTP_OAUTH2_CLIENT_ID: CLIENT.clientId,
      SMTP_OAUTH2_CLIENT_SECRET: CLIENT.clientSecret,
      ...env,
    },
  }).config;
}

function message(n = 1) {
  return composeMessage({
    rendered: {
      type: 'reset-password',
      lang: 'en-US',
      subject: 'Reset your password',
      html: '<p>Reset</p>',
      text: 'Reset\n',
      category: 'code',
    },
    to: 'ops@example.com',
    from: `Contoso <${MAILBOX}>`,
    messageId: `<oauth${n}.${Math.random().toString(36).slice(2)}@contoso.example>`,
    date: new Date('2026-12-06T10:00:00Z'),
  });
}

/** A clock the test moves: the token source's notion of "soon to expire". */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    advance: (ms) => void (offset += ms),
  };
}

async function provider(
  cfg: ReturnType<typeof config>,
  extra: { clock?: Clock; pool?: boolean; secrets?: Redactor } = {},
): Promise<Provider> {
  const p = await createProvider(cfg, {
    cwd: process.cwd(),
    clock: extra.clock ?? movableClock(),
    pool: extra.pool === true,
    secrets: extra.secrets,
  });
  closers.push(p);
  return p;
}

describe('XOAUTH2: both grants', () => {
  it('client credentials over STARTTLS: one token for two sends, the scope and the grant as Microsoft wants them', async () => {
    const endpoint = await idp();
    const server = await smtp(endpoint);
    const secrets = new Redactor();
    const p = await provider(config(server.port, endpoint.url), { secrets });
    const first = await p.send(message(1));
    const second = await p.send(message(2));
    expect(first.response).toMatch(/^250 /);
    expect(second.response).toMatch(/^250 /);
    expect(server.messages.map((m) => [m.user, m.secure])).toEqual([
      [MAILBOX, true],
      [MAILBOX, true],
    ]);
    expect(endpoint.requests).toEqual([
      {
        grant_type: 'client_credentials',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        scope: 'https://outlook.office365.com/.default',
      },
    ]);
    expect(server.bearerTokens).toEqual([endpoint.issued[0], endpoint.issued[0]]);
    // The token is registered with the run's redactor, with its mailbox: raw and XOAUTH2 forms are masked.
    const xoauth2 = Buffer.from(`user=${MAILBOX}\u0001auth=Bearer ${endpoint.issued[0]}\u0001\u0001`).toString(
      'base64',
    );
    expect(secrets.redact(`AUTH XOAUTH2 ${xoauth2} / ${endpoint.issued[0]}`)).toBe('AUTH XOAUTH2 ******** / ********');
  });

  it('refresh token over implicit TLS: the refresh_token grant, no scope for a non-Microsoft endpoint, a rotated refresh token used next', async () => {
    const endpoint = await idp({ refreshToken: 'rt-initial', rotateRefreshToken: true });
    const server = await smtp(endpoint, { tls: 'implicit' });
    const clock = movableClock();
    const p = await provider(
      config(server.port, endpoint.url, {
        SMTP_OPPORTUNISTIC_TLS: 'false',
        SMTP_OAUTH2_REFRESH_TOKEN: 'rt-initial',
      }),
      { clock },
    );
    await p.send(message(1));
    clock.advance(3600_000); // the token is due for refresh by the source's clock
    await p.send(message(2));
    expect(endpoint.requests.map((r) => [r.grant_type, r.refresh_token, r.scope])).toEqual([
      ['refresh_token', 'rt-initial', undefined],
      ['refresh_token', endpoint.rotated[0], undefined],
    ]);
    expect(server.bearerTokens).toEqual(endpoint.issued);
    expect(server.messages).toHaveLength(2);
  });
});

describe('XOAUTH2: a refused token is renewed once, then reported', () => {
  it('535 at once (Microsoft 365): a token revoked early is replaced and the mail goes out', async () => {
    const endpoint = await idp();
    const server = await smtp(endpoint);
    const p = await provider(config(server.port, endpoint.url));
    await p.send(message(1));
    endpoint.revoke(endpoint.issued[0]!);
    await p.send(message(2));
    expect(endpoint.issued).toHaveLength(2);
    expect(server.bearerTokens).toEqual([endpoint.issued[0], endpoint.issued[0], endpoint.issued[1]]);
    expect(server.messages).toHaveLength(2);
  });

  it("the 334 error challenge (Google's protocol): nodemailer asks for a renewed token on the same connection", async () => {
    const endpoint = await idp({ refreshToken: 'rt-1' });
    const server = await smtp(endpoint, { xoauth2: { user: MAILBOX, accept: endpoint.isValid, challenge: true } });
    const p = await provider(config(server.port, endpoint.url, { SMTP_OAUTH2_REFRESH_TOKEN: 'rt-1' }));
    await p.send(message(1));
    endpoint.revoke(endpoint.issued[0]!);
    await p.send(message(2));
    expect(endpoint.issued).toHaveLength(2);
    expect(server.bearerTokens.at(-1)).toBe(endpoint.issued[1]);
    expect(server.messages).toHaveLength(2);
  });

  it('a token the server never accepts: one renewal, then 77 with the server reply and an OAuth hint', async () => {
    const endpoint = await idp();
    const server = await smtp(endpoint, { xoauth2: { user: MAILBOX, accept: () => false } });
    const p = await provider(config(server.port, endpoint.url));
    const err = await failure(p.send(message()));
    expect(err.exitCode).toBe(77);
    expect(err.kind).toBe('permanent');
    expect(err.reply).toMatchObject({ provider: 'smtp', responseCode: 535, command: 'AUTH XOAUTH2' });
    expect(err.hint).toMatch(/OAuth2 token for SMTP_USERNAME/);
    expect(endpoint.issued).toHaveLength(2);
    expect(server.messages).toHaveLength(0);
  });
});

describe('XOAUTH2: the token endpoint fails', () => {
  it.each<[string, 'invalid_grant' | 'invalid_client', RegExp]>([
    ['invalid_grant', 'invalid_grant', /refused the credentials \(invalid_grant: AADSTS70000: .*inactivity\.\)$/],
    [
      'invalid_client',
      'invalid_client',
      /refused the credentials \(invalid_client: AADSTS7000215: Invalid client secret/,
    ],
  ])("%s is 77 with the endpoint's own description, and nothing reaches the SMTP server", async (_n, mode, words) => {
    const endpoint = await idp({ refreshToken: 'rt-1' });
    const server = await smtp(endpoint);
    endpoint.mode = mode;
    const p = await provider(config(server.port, endpoint.url, { SMTP_OAUTH2_REFRESH_TOKEN: 'rt-1' }));
    const err = await failure(p.send(message()));
    expect(err.exitCode).toBe(77);
    expect(err.kind).toBe('permanent');
    expect(err.message).toMatch(words);
    expect(err.message).not.toMatch(/Trace ID/);
    expect(err.reply).toMatchObject({ provider: 'oauth2', status: mode === 'invalid_grant' ? 400 : 401 });
    expect(server.messages).toHaveLength(0);
  });

  it('HTTP 500 is 75, transient (drain defers)', async () => {
    const endpoint = await idp();
    const server = await smtp(endpoint);
    endpoint.mode = 'server_error';
    const err = await failure((await provider(config(server.port, endpoint.url))).send(message()));
    expect([err.exitCode, err.kind, err.reply.status]).toEqual([75, 'transient', 500]);
  });

  it.each(['hang', 'stall-body'] as const)(
    'an endpoint that never answers whole (%s) is 75 after SMTP_SOCKET_TIMEOUT',
    async (mode) => {
      const endpoint = await idp();
      const server = await smtp(endpoint);
      endpoint.mode = mode;
      const err = await failure(
        (await provider(config(server.port, endpoint.url, { SMTP_SOCKET_TIMEOUT: '1s' }))).send(message()),
      );
      expect([err.exitCode, err.kind]).toEqual([75, 'transient']);
      expect(err.message).toMatch(/did not answer in time/);
    },
  );

  it('an unreachable endpoint is 69', async () => {
    const endpoint = await idp();
    const server = await smtp(endpoint);
    const port = await refusedPort();
    const err = await failure((await provider(config(server.port, `http://127.0.0.1:${port}/token`))).send(message()));
    expect(err.exitCode).toBe(69);
    expect(err.message).toMatch(/cannot connect to the OAuth2 token endpoint \(ECONNREFUSED\)/);
  });
});

describe('XOAUTH2: pooled connections share one token', () => {
  it('five sends at once through the pool: one token request, every session logged in with it', async () => {
    const endpoint = await idp();
    const server = await smtp(endpoint);
    const p = await provider(config(server.port, endpoint.url, { SMTP_POOL_SIZE: '3' }), { pool: true });
    await Promise.all([1, 2, 3, 4, 5].map((n) => p.send(message(n))));
    expect(endpoint.issued).toHaveLength(1);
    expect(new Set(server.bearerTokens)).toEqual(new Set(endpoint.issued));
    expect(server.messages).toHaveLength(5);
  });
});
