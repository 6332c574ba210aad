/**
 * The one classification table: any provider failure → a {@link DeliveryError} with the contract's
 * exit code, transient or permanent, and how long the provider asked us to wait. Pure (the clock
 * comes in as `now`); `send` and the spool's `drain` both use it, so they can never disagree.
 *
 * | failure | exit | kind |
 * |---|---|---|
 * | SMTP 421 | 75 | transient, retryAfterMs (the reply's own figure, else 60 s) |
 * | SMTP 530, 534, 535 (and any 5xx to AUTH) | 77 | permanent |
 * | SMTP 454 (temporary AUTH failure), other 4xx | 75 | transient |
 * | SMTP other 5xx | 69 | permanent |
 * | SMTP 2xx/3xx where another was due, EPROTOCOL | 76 | transient |
 * | ECONNREFUSED, ENOTFOUND, EAI_AGAIN, EHOSTUNREACH, ENETUNREACH (DNS, connect) | 69 | transient |
 * | TLS handshake or certificate failure | 69 | transient (an operator fixes it; the mail is fine) |
 * | ETIMEDOUT, any timeout | 75 | transient |
 * | connection reset or closed mid-session | 75 | transient |
 * | EAUTH / ENOAUTH without a reply | 77 | permanent |
 * | HTTP 400, 404, 413, 422 and other 4xx | 69 | permanent |
 * | HTTP 401, 403 | 77 | permanent |
 * | HTTP 408, 409 concurrent idempotent request | 75 | transient |
 * | HTTP 429 | 75 | transient, retryAfterMs from x-ratelimit-reset (epoch s), ratelimit-reset or Retry-After |
 * | HTTP 5xx | 75 | transient |
 * | HTTP 3xx (never followed) | 76 | transient, the message names the Location |
 * | HTTP 2xx that is not the provider's acceptance (SendGrid: not 202; Resend: no JSON id) | 76 | transient |
 * | OAuth2 token endpoint: an OAuth error (`invalid_grant`, `invalid_client`, …), HTTP 401/403 | 77 | permanent |
 * | OAuth2 token endpoint: unreachable (DNS, connect, TLS), HTTP 404 and other 4xx | 69 | transient / permanent |
 * | OAuth2 token endpoint: timeout, HTTP 408, 429, 5xx | 75 | transient |
 * | OAuth2 token endpoint: a redirect, or a 2xx without an access token | 76 | transient |
 */
import { keyDef } from '../config/keys.js';
import { providerSpec } from '../config/providers.js';
import { DeliveryError, ExitCode, type FailureKind, type ProviderReply } from '../errors.js';

interface Verdict {
  exitCode: ExitCode;
  kind: FailureKind;
  message: string;
  hint?: string | undefined;
  retryAfterMs?: number | undefined;
}

const CONNECT_ERRNOS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'EDNS',
]);
const TIMEOUT_ERRNOS = new Set([
  'ETIMEDOUT',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const RESET_ERRNOS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNECTION',
  'ESOCKET',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const TLS_ERRNOS =
  /^(ETLS|EPROTO|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|CERT_|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Why a connection-level failure happened, from errno-like codes along the cause chain. */
function errnoChain(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur !== null && typeof cur === 'object'; depth += 1) {
    const o = cur as { code?: unknown; originalCode?: unknown; errno?: unknown; name?: unknown; timeoutType?: unknown };
    for (const v of [o.originalCode, o.code]) if (typeof v === 'string' && !codes.includes(v)) codes.push(v);
    if (o.name === 'TimeoutError' && !codes.includes('ETIMEDOUT')) codes.push('ETIMEDOUT');
    // fetch's AbortError; axios (SendGrid's client) says CanceledError / ERR_CANCELED
    if ((o.name === 'AbortError' || o.name === 'CanceledError') && !codes.includes('EABORT')) codes.push('EABORT');
    if (typeof o.timeoutType === 'string' && !codes.includes('ETIMEDOUT')) codes.push('ETIMEDOUT');
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

/** OpenSSL's `80EC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…` → `wrong version number`. */
function tlsWords(message: string): string {
  const m = /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  return (m ? m[1]! : message.replace(/^Error initiating TLS - /, '')).trim();
}

/** A network-level failure (no protocol reply at all), shared by SMTP and HTTP providers. */
function classifyNetwork(codes: readonly string[], what: string, err: unknown): Verdict | undefined {
  const has = (set: ReadonlySet<string>): string | undefined => codes.find((c) => set.has(c));
  const tls =
    codes.find((c) => TLS_ERRNOS.test(c)) ??
    (/certificate|self[- ]signed|TLS|SSL/i.test(messageOf(err)) && !has(TIMEOUT_ERRNOS) ? 'ETLS' : undefined);
  const connect = has(CONNECT_ERRNOS);
  if (connect) {
    const dns = connect.startsWith('EAI_') || connect === 'ENOTFOUND' || connect === 'EDNS';
    return {
      exitCode: ExitCode.UNAVAILABLE,
      kind: 'transient',
      message: dns ? `cannot resolve the ${what} host (${connect})` : `cannot connect to the ${what} (${connect})`,
      hint: dns
        ? 'check the host name and DNS'
        : 'check the host, the port and that the server is running and reachable',
    };
  }
  if (tls) {
    return {
      exitCode: ExitCode.UNAVAILABLE,
      kind: 'transient',
      message: `the TLS handshake with the ${what} failed (${tls}): ${tlsWords(messageOf(err))}`,
      hint: 'check the TLS mode against the port (465 implicit TLS, 587 STARTTLS) and the server certificate; SMTP_TLS_VERIFY=false only for a test server',
    };
  }
  if (has(TIMEOUT_ERRNOS)) {
    return {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the ${what} did not answer in time (timeout)`,
      hint: 'try again later; check the port and firewall, or raise the timeout',
    };
  }
  const reset = has(RESET_ERRNOS);
  if (reset) {
    return {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the connection to the ${what} was lost (${reset}): ${messageOf(err)}`,
      hint: 'try again later',
    };
  }
  if (codes.includes('EABORT') || codes.includes('ABORT_ERR')) {
    return { exitCode: ExitCode.TEMPFAIL, kind: 'transient', message: `sending to the ${what} was aborted` };
  }
  return undefined;
}

/** The seconds in an SMTP reply such as `421 4.7.0 Try again in 120 seconds`, as milliseconds. */
function smtpRetryAfter(reply: string | undefined): number | undefined {
  const m = reply ? /(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?)\b/i.exec(reply) : null;
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.min(/^m/i.test(m[2]!) ? n * 60_000 : n * 1000, MAX_RETRY_AFTER_MS);
}

/** A token the token endpoint gave, refused by the SMTP server: a permission is missing on the mail side. */
export const XOAUTH2_REFUSED_HINT =
  "the server refused the OAuth2 token for SMTP_USERNAME: Microsoft 365 needs SMTP AUTH on for the mailbox and, app-only, the app's service principal registered in Exchange with rights on it; Google needs the https://mail.google.com/ scope granted to the client (see the README's OAuth2 recipes)";

/** Default wait after an SMTP 421 that names no time (the server is shutting the channel). */
export const SMTP_421_RETRY_MS = 60_000;

/**
 * Any error from the SMTP transport (nodemailer) → DeliveryError. `server` (`host:port`) is named
 * in connection-level failures: "cannot connect to the SMTP server smtp.example.com:587".
 */
export function classifySmtpError(err: unknown, server?: string): DeliveryError {
  const smtpServer = server ? `SMTP server ${server}` : 'SMTP server';
  if (err instanceof DeliveryError) return err;
  // A token that could not be had reaches us through nodemailer's XOAUTH2 step, wrapped: keep its verdict.
  if (err instanceof Error && err.cause instanceof DeliveryError) return err.cause;
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; response?: unknown; command?: unknown };
  const codes = errnoChain(err);
  const response = typeof e.response === 'string' ? e.response.trim() : undefined;
  const responseCode =
    typeof e.responseCode === 'number'
      ? e.responseCode
      : response && /^\d{3}/.test(response)
        ? Number(response.slice(0, 3))
        : undefined;
  const enhancedStatus = response ? /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(response)?.[1] : undefined;
  const command = typeof e.command === 'string' && e.command !== 'CONN' && e.command !== 'API' ? e.command : undefined;
  const ncode = typeof e.code === 'string' ? e.code : undefined;
  const at = command ? ` at ${command}` : '';

  let v: Verdict | undefined;
  if (ncode === 'ETLS' && command === 'STARTTLS' && responseCode !== undefined) {
    v = {
      exitCode: ExitCode.UNAVAILABLE,
      kind: 'transient',
      message: `the SMTP server did not accept STARTTLS (${responseCode}); TLS is required, so nothing was sent in plaintext`,
      hint: 'this server offers no STARTTLS on this port: use port 465 with implicit TLS (SMTP_OPPORTUNISTIC_TLS=false), or another port',
    };
  } else if (ncode === 'ETLS') {
    // The handshake failed: never fall back to plaintext.
    v = classifyNetwork(codes, smtpServer, err);
  } else if (responseCode !== undefined) {
    const isAuth = ncode === 'EAUTH' || (command?.startsWith('AUTH') ?? false);
    if (responseCode === 421) {
      v = {
        exitCode: ExitCode.TEMPFAIL,
        kind: 'transient',
        message: `the SMTP server is closing the connection (421${at}); it asks to try again later`,
        hint: 'try again later',
        retryAfterMs: smtpRetryAfter(response) ?? SMTP_421_RETRY_MS,
      };
    } else if (
      responseCode === 530 ||
      responseCode === 534 ||
      responseCode === 535 ||
      (isAuth && responseCode >= 500 && responseCode < 600)
    ) {
      v = {
        exitCode: ExitCode.NOPERM,
        kind: 'permanent',
        message: `the SMTP server refused the login (${responseCode}${at})`,
        hint:
          command === 'AUTH XOAUTH2'
            ? XOAUTH2_REFUSED_HINT
            : 'check SMTP_USERNAME and SMTP_PASSWORD (many providers want an app password or an API key as the password)',
      };
    } else if (responseCode >= 400 && responseCode < 500) {
      v = {
        exitCode: ExitCode.TEMPFAIL,
        kind: 'transient',
        message: `the SMTP server deferred the message (${responseCode}${at})`,
        hint: 'a temporary refusal: try again later, or `mailctl send --queue` to let drain retry it',
        retryAfterMs: smtpRetryAfter(response),
      };
    } else if (responseCode >= 500 && responseCode < 600) {
      v = {
        exitCode: ExitCode.UNAVAILABLE,
        kind: 'permanent',
        message: `the SMTP server refused the message permanently (${responseCode}${at})`,
        hint:
          command === 'MAIL FROM'
            ? 'the server does not accept this sender: check MAIL_DEFAULT_SEND_FROM against the account'
            : command === 'RCPT TO'
              ? 'the server does not accept this recipient'
              : undefined,
      };
    } else {
      v = {
        exitCode: ExitCode.PROTOCOL,
        kind: 'transient',
        message: `the SMTP server gave an unexpected reply (${responseCode}${at})`,
      };
    }
  } else if (ncode === 'EAUTH' || ncode === 'ENOAUTH') {
    v = {
      exitCode: ExitCode.NOPERM,
      kind: 'permanent',
      message: `SMTP authentication failed: ${messageOf(err)}`,
      hint: 'check SMTP_USERNAME and SMTP_PASSWORD, and that the server offers AUTH (often only after STARTTLS)',
    };
  } else if (ncode === 'EPROTOCOL') {
    v = {
      exitCode: ExitCode.PROTOCOL,
      kind: 'transient',
      message: `the SMTP server broke the protocol: ${messageOf(err)}`,
      hint: 'check that SMTP_SERVER:SMTP_PORT really is an SMTP server and the TLS mode matches the port',
    };
  } else if (ncode === 'EENVELOPE') {
    v = {
      exitCode: ExitCode.DATAERR,
      kind: 'permanent',
      message: `the message envelope is invalid: ${messageOf(err)}`,
    };
  } else if (ncode === 'EMESSAGE') {
    v = {
      exitCode: ExitCode.UNAVAILABLE,
      kind: 'permanent',
      message: `the SMTP server cannot take this message: ${messageOf(err)}`,
    };
  } else {
    v = classifyNetwork(codes, smtpServer, err);
  }
  v ??= { exitCode: ExitCode.TEMPFAIL, kind: 'transient', message: `sending over SMTP failed: ${messageOf(err)}` };

  const reply: ProviderReply = { provider: 'smtp' };
  if (responseCode !== undefined) reply.responseCode = responseCode;
  if (enhancedStatus !== undefined) reply.enhancedStatus = enhancedStatus;
  if (response) reply.reply = response;
  if (command) reply.command = command;
  const errno = codes.find((c) => c !== ncode) ?? ncode;
  if (errno) reply.errno = errno;
  return new DeliveryError(
    v.message,
    { exitCode: v.exitCode, kind: v.kind, reply, retryAfterMs: v.retryAfterMs, hint: v.hint, cause: err },
    `delivery.${v.kind}`,
  );
}

/** The provider's own words from an HTTP error body (SendGrid `errors[]`, Resend `message`, text). */
export function httpErrorWords(body: unknown): string | undefined {
  if (typeof body === 'string') {
    const t = body.trim();
    if (!t) return undefined;
    try {
      return httpErrorWords(JSON.parse(t)) ?? t.slice(0, 300);
    } catch {
      return t.slice(0, 300);
    }
  }
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as { errors?: unknown; message?: unknown; error?: unknown; name?: unknown };
  if (Array.isArray(b.errors)) {
    const words = b.errors
      .map((x) => {
        if (typeof x === 'string') return x;
        const o = (x ?? {}) as { message?: unknown; field?: unknown };
        const msg = typeof o.message === 'string' ? o.message : undefined;
        const field = typeof o.field === 'string' && o.field !== 'null' ? o.field : undefined;
        return msg ? (field ? `${msg} (${field})` : msg) : undefined;
      })
      .filter((x): x is string => !!x);
    if (words.length > 0) return words.join('; ');
  }
  if (typeof b.message === 'string') return typeof b.name === 'string' ? `${b.message} (${b.name})` : b.message;
  if (typeof b.error === 'string') return b.error;
  return undefined;
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower && v !== undefined) return String(v);
  return undefined;
}

/**
 * The longest wait a provider's answer is taken at its word for; beyond it the figure is nonsense
 * (`Retry-After: 99999999999`) and would overflow a Date. The spool caps it further, at
 * MAILCTL_BACKOFF_MAX (spool/after-failure.ts).
 */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** How long a 429 asks us to wait: x-ratelimit-reset (epoch seconds), ratelimit-reset or Retry-After; capped. */
export function httpRetryAfter(headers: Record<string, string | undefined>, now: number): number | undefined {
  const ms = askedWait(headers, now);
  return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}

function askedWait(headers: Record<string, string | undefined>, now: number): number | undefined {
  const reset = header(headers, 'x-ratelimit-reset');
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset.trim())) {
    const n = Number(reset);
    // SendGrid sends epoch seconds; a small figure is a delta in seconds (as some gateways send).
    return Math.max(0, n > 1e9 ? Math.round(n * 1000 - now) : Math.round(n * 1000));
  }
  const draft = header(headers, 'ratelimit-reset');
  if (draft !== undefined && /^\d+$/.test(draft.trim())) return Number(draft) * 1000;
  const retry = header(headers, 'retry-after');
  if (retry !== undefined) {
    const t = retry.trim();
    if (/^\d+$/.test(t)) return Number(t) * 1000;
    const at = Date.parse(t);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** The DeliveryError of an HTTP request's verdict: what the server said, or the transport's failure. */
function httpDeliveryError(
  v: Verdict,
  provider: string,
  status: number | undefined,
  said: string | undefined,
  err: unknown,
): DeliveryError {
  const reply: ProviderReply = { provider };
  if (status !== undefined) reply.status = status;
  if (said) reply.reply = said;
  else if (status === undefined && err !== undefined) reply.reply = messageOf(err);
  const errno = errnoChain(err)[0];
  if (status === undefined && errno) reply.errno = errno;
  return new DeliveryError(
    v.message,
    { exitCode: v.exitCode, kind: v.kind, reply, retryAfterMs: v.retryAfterMs, hint: v.hint, cause: err },
    `delivery.${v.kind}`,
  );
}

/** A failed HTTP request → DeliveryError: who was asked, and what came back (or the error instead). */
export type HttpErrorClassifier = (
  peer: string,
  status: number | undefined,
  body: unknown,
  headers: Record<string, string | undefined>,
  err?: unknown,
  now?: number,
) => DeliveryError;

/**
 * An HTTP classifier from its verdicts: an error already classified (a DeliveryError) passes
 * through unchanged, and `now` defaults to the system clock.
 */
function httpClassifier(
  classify: (...args: Required<Parameters<HttpErrorClassifier>>) => DeliveryError,
): HttpErrorClassifier {
  return (peer, status, body, headers, err, now = Date.now()) =>
    err instanceof DeliveryError ? err : classify(peer, status, body, headers, err, now);
}

/** Any failure of an HTTP API provider (SendGrid, Resend) → DeliveryError. */
export const classifyHttpError = httpClassifier((provider, status, body, headers, err, now) => {
  const words = httpErrorWords(body);
  // The provider's spec names it, says what to check on 401/403 and which key is its base URL.
  const spec = providerSpec(provider);
  const name = spec?.label ?? provider;
  const urlKey = spec?.http ? keyDef(spec.http.baseUrl).env : undefined;
  let v: Verdict | undefined;
  if (status === undefined) {
    v = classifyNetwork(errnoChain(err), `${name} API`, err) ?? {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the request to the ${name} API failed: ${messageOf(err)}`,
    };
  } else if (status === 401 || status === 403) {
    v = {
      exitCode: ExitCode.NOPERM,
      kind: 'permanent',
      message: `the ${name} API refused the credentials (HTTP ${status})`,
      hint: spec?.authHint,
    };
  } else if (status === 429) {
    v = {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the ${name} API is rate limiting us (HTTP 429)`,
      hint: 'try again later, or lower MAILCTL_RATE for drain',
      retryAfterMs: httpRetryAfter(headers, now),
    };
  } else if (status === 408 || (status === 409 && /concurrent/i.test(words ?? ''))) {
    v = {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the ${name} API asks to try again (HTTP ${status})`,
      retryAfterMs: httpRetryAfter(headers, now),
    };
  } else if (status >= 500) {
    v = {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the ${name} API failed on its side (HTTP ${status})`,
      hint: 'try again later',
      retryAfterMs: httpRetryAfter(headers, now),
    };
  } else if (status >= 400) {
    v = {
      exitCode: ExitCode.UNAVAILABLE,
      kind: 'permanent',
      message: `the ${name} API refused the message (HTTP ${status})`,
      hint: status === 404 ? `check the API base URL${urlKey ? ` (${urlKey})` : ''}` : undefined,
    };
  } else if (status >= 300 && status < 400) {
    // Following it would re-POST the whole message (login code included) to whoever the Location
    // names, or turn it into a GET that "succeeds": a redirect is never an acceptance.
    const location = header(headers, 'location');
    v = {
      exitCode: ExitCode.PROTOCOL,
      kind: 'transient',
      message: `the ${name} API answered with a redirect (HTTP ${status} to ${location ?? 'no Location'}); mailctl follows no redirects, so the message was not sent`,
      hint: `check ${urlKey ?? 'the API base URL'}: it should name the API itself, and any proxy between`,
    };
  } else {
    const type = header(headers, 'content-type')?.split(';')[0]?.trim();
    v = {
      exitCode: ExitCode.PROTOCOL,
      kind: 'transient',
      message: `the ${name} API gave an answer that is not its acceptance (HTTP ${status}${type ? `, ${type}` : ''}), so the message may not have been sent`,
      hint: 'a captive portal or a proxy may stand in the way: check the API base URL and the network',
    };
  }
  return httpDeliveryError(v, provider, status, words, err);
});

/** What an OAuth2 token endpoint said when it refused: RFC 6749 §5.2 `error` and `error_description`. */
export function oauthErrorWords(body: unknown): { error: string; description: string | undefined } | undefined {
  let data = body;
  if (typeof body === 'string') {
    try {
      data = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (data === null || typeof data !== 'object') return undefined;
  const o = data as { error?: unknown; error_description?: unknown };
  if (typeof o.error !== 'string' || o.error === '') return undefined;
  // Entra appends "\r\nTrace ID: …\r\nCorrelation ID: …" lines: the first line is the sentence.
  const description =
    typeof o.error_description === 'string' ? o.error_description.split(/\r?\n/)[0]!.trim().slice(0, 400) : undefined;
  return { error: o.error, description: description || undefined };
}

const OAUTH_HINTS: Record<string, string> = {
  invalid_client:
    "check SMTP_OAUTH2_CLIENT_ID and SMTP_OAUTH2_CLIENT_SECRET (the secret's value, not its id; Entra secrets expire)",
  invalid_grant:
    'the refresh token has expired or was revoked (a password change or an admin revokes it): get a new one and set SMTP_OAUTH2_REFRESH_TOKEN',
  unauthorized_client: 'the app registration is not allowed this grant: see the README recipe for your platform',
  invalid_scope: "check SMTP_OAUTH2_SCOPE (unset, mailctl asks for the platform's SMTP scope)",
  access_denied: 'an administrator must grant the app its SMTP permission (admin consent)',
};

/**
 * A failed request to an OAuth2 token endpoint → DeliveryError. An OAuth error is the endpoint
 * refusing our credentials (77), with its own description; the rest is transport, as for HTTP APIs.
 */
export const classifyTokenError = httpClassifier((endpoint, status, body, headers, err, now) => {
  const oauth = oauthErrorWords(body);
  const said = oauth ? `${oauth.error}${oauth.description ? `: ${oauth.description}` : ''}` : httpErrorWords(body);
  const what = `the OAuth2 token endpoint ${endpoint}`;
  let v: Verdict;
  if (status === undefined) {
    v = classifyNetwork(errnoChain(err), 'OAuth2 token endpoint', err) ?? {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `the request to ${what} failed: ${messageOf(err)}`,
    };
  } else if (status >= 300 && status < 400) {
    v = {
      exitCode: ExitCode.PROTOCOL,
      kind: 'transient',
      message: `${what} answered with a redirect (HTTP ${status}${headers.location ? ` to ${headers.location}` : ''}), which mailctl does not follow`,
      hint: 'set SMTP_OAUTH2_TOKEN_URL to the token endpoint itself',
    };
  } else if (oauth && status >= 400 && status < 500) {
    v = {
      exitCode: ExitCode.NOPERM,
      kind: 'permanent',
      message: `${what} refused the credentials (${said})`,
      hint: OAUTH_HINTS[oauth.error] ?? 'check the SMTP_OAUTH2_* settings against the README recipe',
    };
  } else if (status === 401 || status === 403) {
    v = {
      exitCode: ExitCode.NOPERM,
      kind: 'permanent',
      message: `${what} refused the credentials (HTTP ${status})`,
      hint: OAUTH_HINTS.invalid_client,
    };
  } else if (status === 408 || status === 429 || status >= 500) {
    v = {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      message: `${what} failed on its side (HTTP ${status})`,
      hint: 'try again later; drain defers the mail and retries',
      retryAfterMs: httpRetryAfter(headers, now),
    };
  } else if (status >= 400) {
    v = {
      exitCode: ExitCode.UNAVAILABLE,
      kind: 'permanent',
      message: `${what} answered HTTP ${status}`,
      hint: 'check SMTP_OAUTH2_TOKEN_URL (microsoft:TENANT, google, or the https URL of the token endpoint)',
    };
  } else {
    v = {
      exitCode: ExitCode.PROTOCOL,
      kind: 'transient',
      message: `${what} gave no access token (HTTP ${status})`,
      hint: 'check that SMTP_OAUTH2_TOKEN_URL is an OAuth2 token endpoint',
    };
  }
  return httpDeliveryError(v, 'oauth2', status, said, err);
});
