/**
 * Access tokens for SMTP XOAUTH2. One {@link TokenSource} per process holds one token: fetched
 * when first needed, refreshed shortly before it expires, and renewed once when a server refuses
 * it. Concurrent callers (drain's pooled connections) share one request in flight.
 *
 * The token, the client secret and the refresh token never leave this module except to the token
 * endpoint (the form body) and to the SMTP server (inside the XOAUTH2 string); every value is
 * registered with the run's redactor first, so it is masked on every output path and in every job.
 */
import type { Config } from '../config/index.js';
import { oauth2Settings, type OAuth2Settings } from '../config/oauth2.js';
import type { SecretRegistry } from '../config/redact.js';
import type { Clock } from '../context.js';
import { ConfigError } from '../errors.js';
import { classifyTokenError } from './classify.js';

export interface AccessToken {
  value: string;
  /** Epoch milliseconds at which the endpoint said it lapses. */
  expiresAt: number;
  /** Epoch milliseconds at which we got it. */
  fetchedAt: number;
}

export interface TokenSourceDeps {
  clock: Clock;
  /** A total deadline for one token request. */
  timeoutMs: number;
  /** Told every secret this source learns (tokens, with the mailbox they log in as; a rotated refresh token). */
  secrets?: SecretRegistry | undefined;
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

export interface TokenSource {
  readonly settings: OAuth2Settings;
  /** A token valid for a while yet: the held one, or a fresh one. */
  get(signal?: AbortSignal): Promise<AccessToken>;
  /**
   * A new token because a server refused `refused` (a token value; undefined: whichever is held).
   * When another caller has already replaced the refused token, that newer one is returned.
   */
  renew(refused: string | undefined, signal?: AbortSignal): Promise<AccessToken>;
}

/** Used when the endpoint names no lifetime (RFC 6749 §5.1 makes expires_in optional). */
const DEFAULT_LIFETIME_MS = 3600_000;
/** Refresh this long before expiry, at most a tenth of the token's life. */
const REFRESH_MARGIN_MS = 60_000;

/** When a token should be replaced: a minute before it lapses, or a tenth of its life for short ones. Pure. */
export function refreshAt(token: AccessToken): number {
  const life = token.expiresAt - token.fetchedAt;
  return token.expiresAt - Math.min(REFRESH_MARGIN_MS, Math.max(0, life) / 10);
}

/** The SASL XOAUTH2 initial response before base64: `user=…^Aauth=Bearer …^A^A` (Google's and Microsoft's docs). */
export function xoauth2Payload(user: string, token: string): string {
  return `user=${user}\u0001auth=Bearer ${token}\u0001\u0001`;
}

export function createTokenSource(settings: OAuth2Settings, deps: TokenSourceDeps): TokenSource {
  const doFetch = deps.fetch ?? globalThis.fetch;
  let held: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;
  // Microsoft rotates refresh tokens: use the newest for the rest of this process.
  let refreshToken = settings.refreshToken;

  const request = async (signal: AbortSignal | undefined): Promise<AccessToken> => {
    const form = new URLSearchParams({ grant_type: settings.grant, client_id: settings.clientId });
    form.set('client_secret', settings.clientSecret);
    if (settings.grant === 'refresh_token' && refreshToken) form.set('refresh_token', refreshToken);
    if (settings.scope) form.set('scope', settings.scope);
    const deadline = AbortSignal.timeout(deps.timeoutMs);
    const started = deps.clock.now();
    let status: number | undefined;
    let headers: Record<string, string> = {};
    let text = '';
    try {
      const res = await doFetch(settings.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        // A token endpoint that redirects is misconfigured; following it would post the secret elsewhere.
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      status = res.status;
      headers = Object.fromEntries(res.headers);
      text = await res.text();
    } catch (err) {
      // No answer (or none whole, e.g. a body that stalls past the deadline): the network's fault.
      throw classifyTokenError(settings.tokenUrl, undefined, '', {}, err, deps.clock.now());
    }
    const body = parseJson(text);
    const value = typeof body?.access_token === 'string' ? body.access_token : '';
    const type = typeof body?.token_type === 'string' ? body.token_type : 'Bearer';
    if (status !== 200 || value === '' || type.toLowerCase() !== 'bearer')
      throw classifyTokenError(settings.tokenUrl, status, text, headers, undefined, deps.clock.now());
    deps.secrets?.add(value, { user: settings.user });
    if (typeof body?.refresh_token === 'string' && body.refresh_token !== '') {
      refreshToken = body.refresh_token;
      deps.secrets?.add(refreshToken);
    }
    const seconds = Number(body?.expires_in);
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_LIFETIME_MS;
    return { value, fetchedAt: started, expiresAt: started + lifetime };
  };

  const fetchShared = (signal: AbortSignal | undefined): Promise<AccessToken> => {
    inFlight ??= request(signal)
      .then((token) => (held = token))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  return {
    settings,
    async get(signal) {
      if (held && deps.clock.now() < refreshAt(held)) return held;
      return fetchShared(signal);
    },
    async renew(refused, signal) {
      if (inFlight) return inFlight;
      if (held && refused !== undefined && held.value !== refused) return held;
      return fetchShared(signal);
    },
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const data: unknown = JSON.parse(text);
    return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The process's one XOAUTH2 token source when SMTP_AUTH_METHOD=oauth2; else undefined. */
export function tokenSourceFor(
  config: Config,
  deps: { clock: Clock; secrets?: SecretRegistry | undefined },
): TokenSource | undefined {
  if (config.values['smtp.authMethod'] !== 'oauth2') return undefined;
  const settings = oauth2Settings(config.values);
  if (!settings)
    throw new ConfigError('SMTP_AUTH_METHOD=oauth2 needs SMTP_USERNAME and the SMTP_OAUTH2_* settings', {
      hint: 'run `mailctl verify-config` to see which is missing',
    });
  return createTokenSource(settings, {
    clock: deps.clock,
    // One token request may take as long as one SMTP command may stay silent.
    timeoutMs: config.values['smtp.socketTimeout'] ?? 30_000,
    secrets: deps.secrets,
  });
}
