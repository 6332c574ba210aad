/**
 * A real OAuth2 token endpoint for tests: a small HTTP server on 127.0.0.1, port 0, that speaks
 * RFC 6749's token request for both grants (client_credentials, refresh_token) and issues
 * short-lived bearer tokens that the XOAUTH2 test SMTP server (helpers/smtp.ts) checks.
 *
 *   const idp = await startTokenEndpoint({ clientId: 'app', clientSecret: 's3cret', refreshToken: 'r1' });
 *   SMTP_OAUTH2_TOKEN_URL=idp.url ... xoauth2: { user, accept: idp.isValid }
 *   idp.revoke(token)            // expire one early: the SMTP server refuses it from now on
 *   idp.mode = 'invalid_grant'   // or 'invalid_client', 'server_error' (HTTP 500), 'hang', 'stall-body', 'ok'
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from './smtp.js';
import { selfSignedCert } from './cert.js';

export type EndpointMode = 'ok' | 'invalid_grant' | 'invalid_client' | 'server_error' | 'hang' | 'stall-body';

export interface TokenRequest {
  grant_type?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
  scope?: string;
}

export interface TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  /** The refresh token the refresh_token grant must present. */
  refreshToken?: string;
  /** expires_in of every token, seconds. @defaultValue 3600 */
  lifetimeSec?: number;
  /** Issue a new refresh token with each refresh (as Microsoft does). */
  rotateRefreshToken?: boolean;
}

export interface TokenEndpoint {
  url: string;
  mode: EndpointMode;
  /** Every request's form, in order. */
  requests: TokenRequest[];
  /** Every access token issued, in order. */
  issued: string[];
  /** Refresh tokens issued by rotation. */
  rotated: string[];
  /** Issued, not revoked and not past its lifetime. */
  isValid: (token: string) => boolean;
  /** Makes a token invalid before its time (a revocation, or an early expiry). */
  revoke: (token: string) => void;
  close(): Promise<void>;
}

const ENTRA_INVALID_GRANT =
  "AADSTS70000: The provided value for the 'refresh_token' is not valid. The refresh token has expired due to inactivity.\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-12-06 12:00:00Z";
const ENTRA_INVALID_CLIENT =
  'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 2222';

async function formOf(req: IncomingMessage): Promise<TokenRequest> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) as TokenRequest;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const expiry = new Map<string, number>();
  const refreshTokens = new Set(options.refreshToken ? [options.refreshToken] : []);
  const hanging = new Set<ServerResponse>();
  const endpoint: TokenEndpoint = {
    url: '',
    mode: 'ok',
    requests: [],
    issued: [],
    rotated: [],
    isValid: (token) => (expiry.get(token) ?? 0) > Date.now(),
    revoke: (token) => void expiry.set(token, 0),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    void formOf(req).then((form) => {
      endpoint.requests.push(form);
      if (req.method !== 'POST' || req.url !== '/token') return json(res, 404, { error: 'not_found' });
      switch (endpoint.mode) {
        case 'hang':
          hanging.add(res);
          return;
        case 'stall-body':
          // 200 and half a body, then nothing: a proxy that stalls mid-answer.
          hanging.add(res);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"token_type":"Bearer","access_');
          return;
        case 'server_error':
          return json(res, 500, { error: 'temporarily_unavailable', error_description: 'try later' });
        case 'invalid_grant':
          return json(res, 400, { error: 'invalid_grant', error_description: ENTRA_INVALID_GRANT });
        case 'invalid_client':
          return json(res, 401, { error: 'invalid_client', error_description: ENTRA_INVALID_CLIENT });
        case 'ok':
          break;
      }
      if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret)
        return json(res, 401, { error: 'invalid_client', error_description: ENTRA_INVALID_CLIENT });
      if (form.grant_type === 'refresh_token' && !refreshTokens.has(form.refresh_token ?? ''))
        return json(res, 400, { error: 'invalid_grant', error_description: ENTRA_INVALID_GRANT });
      if (form.grant_type !== 'refresh_token' && form.grant_type !== 'client_credentials')
        return json(res, 400, { error: 'unsupported_grant_type' });
      const token = `at-${endpoint.issued.length + 1}-${randomBytes(12).toString('base64url')}`;
      const lifetime = options.lifetimeSec ?? 3600;
      expiry.set(token, Date.now() + lifetime * 1000);
      endpoint.issued.push(token);
      const body: Record<string, unknown> = { token_type: 'Bearer', access_token: token, expires_in: lifetime };
      if (form.scope) body.scope = form.scope;
      if (form.grant_type === 'refresh_token' && options.rotateRefreshToken) {
        const next = `rt-${randomBytes(12).toString('base64url')}`;
        refreshTokens.add(next);
        endpoint.rotated.push(next);
        body.refresh_token = next;
      }
      json(res, 200, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token endpoint has no port');
  endpoint.url = `http://127.0.0.1:${address.port}/token`;
  return endpoint;
}

/** Every form of `secret` an output must never hold: raw, base64, and inside the base64 XOAUTH2 string. */
export function oauth2SecretForms(secret: string, user: string): string[] {
  return [
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(`user=${user}\u0001auth=Bearer ${secret}\u0001\u0001`).toString('base64'),
  ];
}

export interface OAuth2Rig {
  endpoint: TokenEndpoint;
  smtp: TestSmtpServer;
  /** Tokens the SMTP server refused (with its default check: issued, unexpired, not revoked). */
  refused: string[];
  /** A temp dir holding ca.pem, the SMTP server's certificate. */
  cwd: string;
  /** The operator's environment: STARTTLS (or implicit TLS) to `localhost`, the certificate trusted, oauth2 on. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A token endpoint and an XOAUTH2 SMTP server that checks its tokens, with the environment for the
 * built binary (certificate verification on: NODE_EXTRA_CA_CERTS trusts the test's certificate).
 */
export async function startOAuth2Rig(options: {
  user: string;
  clientSecret: string;
  refreshToken?: string | undefined;
  lifetimeSec?: number | undefined;
  smtp?: Partial<TestSmtpOptions>;
}): Promise<OAuth2Rig> {
  const endpoint = await startTokenEndpoint({
    clientId: 'app-0001',
    clientSecret: options.clientSecret,
    ...(options.refreshToken ? { refreshToken: options.refreshToken } : {}),
    ...(options.lifetimeSec ? { lifetimeSec: options.lifetimeSec } : {}),
  });
  const refused: string[] = [];
  const accept = (token: string): boolean => endpoint.isValid(token) || (refused.push(token), false);
  const smtp = await startSmtpServer({
    tls: 'starttls',
    xoauth2: { user: options.user, accept },
    ...options.smtp,
  });
  const cwd = mkdtempSync(join(tmpdir(), 'mailctl-oauth2-'));
  writeFileSync(join(cwd, 'ca.pem'), (await selfSignedCert()).cert);
  const implicit = options.smtp?.tls === 'implicit';
  return {
    endpoint,
    smtp,
    refused,
    cwd,
    env: {
      MAIL_TYPE: 'smtp',
      MAIL_DEFAULT_SEND_FROM: `Contoso <${options.user}>`,
      SMTP_SERVER: 'localhost',
      SMTP_PORT: String(smtp.port),
      SMTP_USE_TLS: 'true',
      SMTP_OPPORTUNISTIC_TLS: implicit ? 'false' : 'true',
      SMTP_LOCAL_HOSTNAME: 'mailer.example.net',
      NODE_EXTRA_CA_CERTS: join(cwd, 'ca.pem'),
      SMTP_SOCKET_TIMEOUT: '5s',
      SMTP_AUTH_METHOD: 'oauth2',
      SMTP_USERNAME: options.user,
      SMTP_OAUTH2_TOKEN_URL: endpoint.url,
      SMTP_OAUTH2_CLIENT_ID: 'app-0001',
      SMTP_OAUTH2_CLIENT_SECRET: options.clientSecret,
      ...(options.refreshToken ? { SMTP_OAUTH2_REFRESH_TOKEN: options.refreshToken } : {}),
    },
    close: async () => {
      await Promise.all([endpoint.close(), smtp.close()]);
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
