import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../src/errors.js';
import {
  classifyHttpError,
  classifySmtpError,
  classifyTokenError,
  httpRetryAfter,
  MAX_RETRY_AFTER_MS,
  SMTP_421_RETRY_MS,
} from '../../../src/providers/classify.js';

/** An error shaped as nodemailer's `_formatError` leaves it. */
function smtpErr(fields: {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  message?: string;
  timeoutType?: string;
}): Error {
  return Object.assign(new Error(fields.message ?? 'failed'), fields);
}

describe('classifySmtpError: the table', () => {
  const rows: [string, Error, number, 'transient' | 'permanent'][] = [
    [
      '451 at RCPT',
      smtpErr({ code: 'EENVELOPE', response: '451 4.3.0 Try again later', responseCode: 451, command: 'RCPT TO' }),
      75,
      'transient',
    ],
    [
      '450 at MAIL',
      smtpErr({ code: 'EENVELOPE', response: '450 4.2.0 Mailbox busy', responseCode: 450, command: 'MAIL FROM' }),
      75,
      'transient',
    ],
    [
      '452 at DATA',
      smtpErr({ code: 'EMESSAGE', response: '452 4.3.1 Insufficient storage', responseCode: 452, command: 'DATA' }),
      75,
      'transient',
    ],
    [
      '454 temporary AUTH failure',
      smtpErr({
        code: 'EAUTH',
        response: '454 4.7.0 Temporary authentication failure',
        responseCode: 454,
        command: 'AUTH PLAIN',
      }),
      75,
      'transient',
    ],
    [
      '421 closing',
      smtpErr({
        code: 'EENVELOPE',
        response: '421 4.7.0 Too many connections',
        responseCode: 421,
        command: 'MAIL FROM',
      }),
      75,
      'transient',
    ],
    [
      '550 at RCPT',
      smtpErr({ code: 'EENVELOPE', response: '550 5.1.1 User unknown', responseCode: 550, command: 'RCPT TO' }),
      69,
      'permanent',
    ],
    [
      '553 at MAIL',
      smtpErr({
        code: 'EENVELOPE',
        response: '553 5.7.1 Sender address rejected',
        responseCode: 553,
        command: 'MAIL FROM',
      }),
      69,
      'permanent',
    ],
    [
      '554 at DATA',
      smtpErr({ code: 'EMESSAGE', response: '554 5.7.1 Message rejected as spam', responseCode: 554, command: 'DATA' }),
      69,
      'permanent',
    ],
    [
      '535 AUTH',
      smtpErr({
        code: 'EAUTH',
        response: '535 5.7.8 Authentication credentials invalid',
        responseCode: 535,
        command: 'AUTH PLAIN',
      }),
      77,
      'permanent',
    ],
    [
      '534 AUTH',
      smtpErr({
        code: 'EAUTH',
        response: '534 5.7.9 Application-specific password required',
        responseCode: 534,
        command: 'AUTH LOGIN',
      }),
      77,
      'permanent',
    ],
    [
      '530 auth required at MAIL',
      smtpErr({
        code: 'EENVELOPE',
        response: '530 5.7.0 Authentication required',
        responseCode: 530,
        command: 'MAIL FROM',
      }),
      77,
      'permanent',
    ],
    [
      '504 to AUTH',
      smtpErr({
        code: 'EAUTH',
        response: '504 5.5.4 Unrecognized authentication type',
        responseCode: 504,
        command: 'AUTH CRAM-MD5',
      }),
      77,
      'permanent',
    ],
    [
      'EAUTH without a reply',
      smtpErr({ code: 'EAUTH', message: 'Missing credentials for "PLAIN"', command: 'API' }),
      77,
      'permanent',
    ],
    [
      '250 where 354 was due',
      smtpErr({ code: 'EPROTOCOL', response: '250 Ok', responseCode: 250, command: 'DATA' }),
      76,
      'transient',
    ],
    ['EPROTOCOL, no reply', smtpErr({ code: 'EPROTOCOL', message: 'Invalid greeting' }), 76, 'transient'],
    [
      'connection refused',
      smtpErr({
        code: 'ESOCKET',
        originalCode: 'ECONNREFUSED',
        message: 'connect ECONNREFUSED 127.0.0.1:1',
        command: 'CONN',
      }),
      69,
      'transient',
    ],
    [
      'host not found',
      smtpErr({
        code: 'EDNS',
        originalCode: 'ENOTFOUND',
        message: 'getaddrinfo ENOTFOUND smtp.invalid',
        command: 'CONN',
      }),
      69,
      'transient',
    ],
    [
      'host unreachable',
      smtpErr({ code: 'ESOCKET', originalCode: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH', command: 'CONN' }),
      69,
      'transient',
    ],
    [
      'greeting timeout',
      smtpErr({
        code: 'ETIMEDOUT',
        message: 'Greeting never received',
        timeoutType: 'GREETING_TIMEOUT',
        command: 'CONN',
      }),
      75,
      'transient',
    ],
    [
      'socket ETIMEDOUT',
      smtpErr({ code: 'ESOCKET', originalCode: 'ETIMEDOUT', message: 'connect ETIMEDOUT', command: 'CONN' }),
      75,
      'transient',
    ],
    [
      'self-signed certificate',
      smtpErr({
        code: 'ESOCKET',
        originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        message: 'self-signed certificate',
        command: 'CONN',
      }),
      69,
      'transient',
    ],
    [
      'host name mismatch',
      smtpErr({
        code: 'ESOCKET',
        originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
        message: "Hostname/IP does not match certificate's altnames",
        command: 'CONN',
      }),
      69,
      'transient',
    ],
    [
      'STARTTLS refused',
      smtpErr({
        code: 'ETLS',
        response: '502 5.5.2 Command not recognized',
        responseCode: 502,
        command: 'STARTTLS',
        message: 'Error upgrading connection with STARTTLS',
      }),
      69,
      'transient',
    ],
    [
      'TLS to a plain server',
      smtpErr({
        code: 'ESOCKET',
        originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER',
        message: 'wrong version number',
        command: 'CONN',
      }),
      69,
      'transient',
    ],
    [
      'closed during DATA',
      smtpErr({ code: 'ECONNECTION', message: 'Connection closed unexpectedly', command: 'CONN' }),
      75,
      'transient',
    ],
    [
      'reset',
      smtpErr({ code: 'ESOCKET', originalCode: 'ECONNRESET', message: 'read ECONNRESET', command: 'CONN' }),
      75,
      'transient',
    ],
    ['aborted', smtpErr({ code: 'EABORT', message: 'Message sending aborted' }), 75, 'transient'],
    [
      'message too large locally',
      smtpErr({ code: 'EMESSAGE', message: 'Message size larger than allowed 100', command: 'MAIL FROM' }),
      69,
      'permanent',
    ],
  ];

  it.each(rows)('%s → exit %i, %s', (_name, err, exitCode, kind) => {
    const d = classifySmtpError(err);
    expect(d).toBeInstanceOf(DeliveryError);
    expect(d.exitCode).toBe(exitCode);
    expect(d.kind).toBe(kind);
    expect(d.reply.provider).toBe('smtp');
    expect(d.message).not.toMatch(/\n/);
  });

  it('keeps the reply line, the code, the enhanced status and the command', () => {
    const d = classifySmtpError(
      smtpErr({
        code: 'EENVELOPE',
        response: '451 4.7.1 Greylisted, try again in 5 minutes',
        responseCode: 451,
        command: 'RCPT TO',
      }),
    );
    expect(d.reply).toMatchObject({
      responseCode: 451,
      enhancedStatus: '4.7.1',
      reply: '451 4.7.1 Greylisted, try again in 5 minutes',
      command: 'RCPT TO',
    });
    expect(d.message).toContain('451 at RCPT TO');
    expect(d.retryAfterMs).toBe(5 * 60_000);
  });

  it("421 asks for a wait: the reply's figure, else the default", () => {
    expect(
      classifySmtpError(smtpErr({ response: '421 4.7.0 Try again in 30 seconds', responseCode: 421 })).retryAfterMs,
    ).toBe(30_000);
    expect(
      classifySmtpError(smtpErr({ response: '421 4.3.2 Service shutting down', responseCode: 421 })).retryAfterMs,
    ).toBe(SMTP_421_RETRY_MS);
    expect(classifySmtpError(smtpErr({ response: '550 5.1.1 no', responseCode: 550 })).retryAfterMs).toBeUndefined();
  });

  it('keeps the socket errno', () => {
    const d = classifySmtpError(
      smtpErr({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED', command: 'CONN' }),
    );
    expect(d.reply.errno).toBe('ECONNREFUSED');
    expect(d.reply.command).toBeUndefined();
    expect(d.hint).toMatch(/port/);
  });

  it('passes a DeliveryError through unchanged and classifies unknown throwables as transient 75', () => {
    const d = classifySmtpError(smtpErr({ response: '550 no', responseCode: 550 }));
    expect(classifySmtpError(d)).toBe(d);
    expect(classifySmtpError('weird').exitCode).toBe(75);
    expect(classifySmtpError(undefined).exitCode).toBe(75);
  });
});

describe('classifyHttpError: the table', () => {
  const now = 1_800_000_000_000;
  const rows: [number, number, 'transient' | 'permanent'][] = [
    [400, 69, 'permanent'],
    [404, 69, 'permanent'],
    [413, 69, 'permanent'],
    [422, 69, 'permanent'],
    [401, 77, 'permanent'],
    [403, 77, 'permanent'],
    [408, 75, 'transient'],
    [429, 75, 'transient'],
    [500, 75, 'transient'],
    [502, 75, 'transient'],
    [503, 75, 'transient'],
    [302, 76, 'transient'],
  ];
  it.each(rows)('HTTP %i → exit %i, %s', (status, exitCode, kind) => {
    const d = classifyHttpError(
      'sendgrid',
      status,
      { errors: [{ message: 'words', field: null }] },
      {},
      undefined,
      now,
    );
    expect(d.exitCode).toBe(exitCode);
    expect(d.kind).toBe(kind);
    expect(d.reply).toMatchObject({ provider: 'sendgrid', status, reply: 'words' });
  });

  it('a redirect names its Location; a 2xx that is not the acceptance names its content type (76, transient)', () => {
    const r = classifyHttpError('resend', 307, undefined, { Location: 'https://evil.example/emails' }, undefined, now);
    expect([r.exitCode, r.kind]).toEqual([76, 'transient']);
    expect(r.message).toMatch(/redirect \(HTTP 307 to https:\/\/evil\.example\/emails\)/);
    expect(r.hint).toMatch(/RESEND_API_URL/);
    const p = classifyHttpError('sendgrid', 200, '<html>portal</html>', { 'content-type': 'text/html; charset=utf-8' });
    expect([p.exitCode, p.kind]).toEqual([76, 'transient']);
    expect(p.message).toMatch(/not its acceptance \(HTTP 200, text\/html\)/);
  });

  it("keeps SendGrid's error messages with their fields, and Resend's message", () => {
    const sg = classifyHttpError(
      'sendgrid',
      400,
      {
        errors: [
          { message: 'The from address does not match a verified Sender Identity.', field: 'from' },
          { message: 'bad subject', field: 'subject' },
        ],
      },
      {},
    );
    expect(sg.reply.reply).toBe(
      'The from address does not match a verified Sender Identity. (from); bad subject (subject)',
    );
    const rs = classifyHttpError(
      'resend',
      403,
      { statusCode: 403, message: 'The example.com domain is not verified.', name: 'validation_error' },
      {},
    );
    expect(rs.reply.reply).toBe('The example.com domain is not verified. (validation_error)');
    expect(rs.exitCode).toBe(77);
    expect(classifyHttpError('resend', 500, 'upstream exploded', {}).reply.reply).toBe('upstream exploded');
  });

  it('a nonsense wait (Retry-After: 99999999999, a reset years away) is capped at MAX_RETRY_AFTER_MS', () => {
    for (const headers of [
      { 'retry-after': '99999999999' },
      { 'retry-after': '9'.repeat(40) },
      { 'x-ratelimit-reset': String(now / 1000 + 10 * 365 * 86_400) },
      { 'ratelimit-reset': '99999999999' },
    ]) {
      const d = classifyHttpError('sendgrid', 429, {}, headers, undefined, now);
      expect(d.retryAfterMs).toBe(MAX_RETRY_AFTER_MS);
      expect(Number.isFinite(new Date(now + d.retryAfterMs!).getTime())).toBe(true);
    }
  });

  it('429: retryAfterMs from x-ratelimit-reset (epoch seconds), ratelimit-reset or Retry-After', () => {
    expect(
      classifyHttpError('sendgrid', 429, {}, { 'x-ratelimit-reset': String(now / 1000 + 42) }, undefined, now)
        .retryAfterMs,
    ).toBe(42_000);
    expect(
      classifyHttpError('sendgrid', 429, {}, { 'X-RateLimit-Reset': String(now / 1000 - 5) }, undefined, now)
        .retryAfterMs,
    ).toBe(0);
    expect(classifyHttpError('resend', 429, {}, { 'ratelimit-reset': '3' }, undefined, now).retryAfterMs).toBe(3000);
    expect(classifyHttpError('resend', 429, {}, { 'retry-after': '7' }, undefined, now).retryAfterMs).toBe(7000);
    expect(
      classifyHttpError('resend', 429, {}, { 'retry-after': new Date(now + 9000).toUTCString() }, undefined, now)
        .retryAfterMs,
    ).toBe(9000);
    expect(classifyHttpError('resend', 429, {}, {}, undefined, now).retryAfterMs).toBeUndefined();
    expect(httpRetryAfter({ 'x-ratelimit-reset': 'soon' }, now)).toBeUndefined();
  });

  it('409 from Resend: concurrent idempotent request is transient, a reused key with another payload permanent', () => {
    expect(
      classifyHttpError(
        'resend',
        409,
        { message: 'concurrent idempotent requests', name: 'concurrent_idempotent_requests' },
        {},
      ).kind,
    ).toBe('transient');
    expect(
      classifyHttpError(
        'resend',
        409,
        { message: 'Same key, different payload', name: 'invalid_idempotent_request' },
        {},
      ).exitCode,
    ).toBe(69);
  });

  const net: [string, unknown, number][] = [
    ['axios ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 69],
    ['axios timeout', Object.assign(new Error('timeout of 100ms exceeded'), { code: 'ECONNABORTED' }), 75],
    [
      'fetch refused',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      }),
      69,
    ],
    [
      'fetch DNS',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.invalid'), { code: 'ENOTFOUND' }),
      }),
      69,
    ],
    ['fetch timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 75],
    [
      'fetch reset',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
      75,
    ],
    [
      'certificate',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      }),
      69,
    ],
  ];
  it.each(net)('network: %s → exit %i, transient', (_name, err, exitCode) => {
    const d = classifyHttpError('resend', undefined, undefined, {}, err);
    expect(d.exitCode).toBe(exitCode);
    expect(d.kind).toBe('transient');
    expect(d.reply.status).toBeUndefined();
  });
});

describe('classifyTokenError: the OAuth2 token endpoint rows', () => {
  const URL = 'https://login.example/token';
  const errno = (code: string): Error => Object.assign(new Error(code), { code });
  it.each<[string, number | undefined, unknown, Record<string, string>, unknown, number, 'transient' | 'permanent']>([
    [
      'invalid_grant (400)',
      400,
      '{"error":"invalid_grant","error_description":"expired"}',
      {},
      undefined,
      77,
      'permanent',
    ],
    ['invalid_client (401)', 401, { error: 'invalid_client' }, {}, undefined, 77, 'permanent'],
    ['unauthorized_client', 400, { error: 'unauthorized_client' }, {}, undefined, 77, 'permanent'],
    ['403 without an OAuth error', 403, 'Forbidden', {}, undefined, 77, 'permanent'],
    ['404: not a token endpoint', 404, '<html>', {}, undefined, 69, 'permanent'],
    ['429', 429, '', { 'retry-after': '7' }, undefined, 75, 'transient'],
    ['500', 500, '', {}, undefined, 75, 'transient'],
    [
      '503 with an OAuth error is still the server',
      503,
      { error: 'temporarily_unavailable' },
      {},
      undefined,
      75,
      'transient',
    ],
    ['a redirect', 302, '', { location: 'https://elsewhere.example/' }, undefined, 76, 'transient'],
    ['200 without a token', 200, '{"token_type":"Bearer"}', {}, undefined, 76, 'transient'],
    ['refused', undefined, undefined, {}, errno('ECONNREFUSED'), 69, 'transient'],
    ['DNS', undefined, undefined, {}, errno('ENOTFOUND'), 69, 'transient'],
    ['timeout', undefined, undefined, {}, Object.assign(new Error('t'), { name: 'TimeoutError' }), 75, 'transient'],
  ])('%s', (_name, status, body, headers, err, exitCode, kind) => {
    const e = classifyTokenError(URL, status, body, headers, err, 0);
    expect([e.exitCode, e.kind, e.reply.provider]).toEqual([exitCode, kind, 'oauth2']);
  });

  it("keeps the first line of Entra's description, not its trace lines", () => {
    const e = classifyTokenError(
      URL,
      400,
      {
        error: 'invalid_grant',
        error_description: 'AADSTS50173: The provided grant has expired.\r\nTrace ID: 1\r\nCorrelation ID: 2',
      },
      {},
    );
    expect(e.message).toBe(
      `the OAuth2 token endpoint ${URL} refused the credentials (invalid_grant: AADSTS50173: The provided grant has expired.)`,
    );
  });

  it("a wrapped token failure keeps its verdict through nodemailer's XOAUTH2 step", () => {
    const inner = classifyTokenError(URL, 500, '', {});
    const wrapped = Object.assign(new Error(inner.message, { cause: inner }), {
      code: 'EAUTH',
      command: 'AUTH XOAUTH2',
    });
    expect(classifySmtpError(wrapped)).toBe(inner);
  });
});
