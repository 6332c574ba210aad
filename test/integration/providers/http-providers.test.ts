/**
 * SendGrid and Resend against a local HTTP API that checks the payload and answers each status
 * the classification table knows: 202/200, 400, 401, 403, 429 with a reset header, 500; plus a
 * refused port and a request that never gets an answer (timeout).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { composeMessage } from '../../../src/message/compose.js';
import { createProvider } from '../../../src/providers/index.js';
import type { Provider } from '../../../src/providers/types.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http.js';
import { refusedPort } from '../../helpers/ports.js';
import { deliveryFailure as failure } from '../../helpers/delivery.js';

const NOW = 1_900_000_000_000;
const clock = { now: () => NOW, sleep: async () => {} };

const message = () =>
  composeMessage({
    rendered: {
      type: 'invite-member',
      lang: 'zh-CN',
      subject: '邀请您加入 Acme',
      html: '<p>&lt;b&gt;Ana&lt;/b&gt; 邀请您</p>',
      text: '<b>Ana</b> 邀请您\n',
      category: 'notification',
    },
    to: 'Ops <ops@example.com>',
    from: 'Acme <no-reply@example.com>',
    messageId: '<job-42.abc@example.com>',
    unsubscribeUrl: 'https://example.com/unsub?u=1',
  });

let api: TestHttpServer;
beforeAll(async () => {
  api = await startHttpServer();
});
afterAll(async () => api.close());
beforeEach(() => {
  api.requests.length = 0;
});

describe('sendgrid provider', () => {
  const KEY = 'SG.test-key-0123456789';
  let provider: Provider;
  beforeAll(async () => {
    const config = resolveConfig({
      env: {
        MAIL_TYPE: 'sendgrid',
        SENDGRID_API_KEY: KEY,
        SENDGRID_API_BASE_URL: api.url,
        SENDGRID_TIMEOUT: '3s',
        MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
      },
    }).config;
    provider = await createProvider(config, { cwd: '/', clock });
  });

  it('202: posts the v3 payload to our base URL and answers x-message-id', async () => {
    api.respond(() => ({ status: 202, headers: { 'x-message-id': 'sg-msg-123' } }));
    const delivery = await provider.send(message());
    expect(delivery).toMatchObject({
      provider: 'sendgrid',
      messageId: '<job-42.abc@example.com>',
      providerMessageId: 'sg-msg-123',
      response: '202 Accepted',
      accepted: ['ops@example.com'],
    });

    expect(api.requests).toHaveLength(1);
    const req = api.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v3/mail/send');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.json).toEqual({
      personalizations: [
        {
          to: [{ email: 'ops@example.com', name: 'Ops' }],
          custom_args: { mailctl_message_id: '<job-42.abc@example.com>', mailctl_type: 'invite-member' },
        },
      ],
      from: { email: 'no-reply@example.com', name: 'Acme' },
      subject: '邀请您加入 Acme',
      content: [
        { type: 'text/plain', value: '<b>Ana</b> 邀请您\n' },
        { type: 'text/html', value: '<p>&lt;b&gt;Ana&lt;/b&gt; 邀请您</p>' },
      ],
      headers: {
        'Message-ID': '<job-42.abc@example.com>',
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'OOF, AutoReply',
        'List-Unsubscribe': '<https://example.com/unsub?u=1>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      categories: ['invite-member'],
    });
  });

  const cases: [number, Record<string, string>, number, 'transient' | 'permanent', string][] = [
    [400, {}, 69, 'permanent', 'The from address does not match a verified Sender Identity. (from)'],
    [401, {}, 77, 'permanent', 'The provided authorization grant is invalid, expired, or revoked'],
    [403, {}, 77, 'permanent', 'access forbidden'],
    [413, {}, 69, 'permanent', 'content too large'],
    [429, { 'x-ratelimit-reset': String(NOW / 1000 + 60) }, 75, 'transient', 'too many requests'],
    [500, {}, 75, 'transient', 'internal server error'],
  ];
  it.each(cases)('HTTP %i → exit %i', async (status, headers, exitCode, kind, words) => {
    const [msg, field] = words.endsWith('(from)') ? [words.replace(' (from)', ''), 'from'] : [words, null];
    api.respond(() => ({ status, headers, body: { errors: [{ message: msg, field, help: null }] } }));
    const err = await failure(provider.send(message()));
    expect(err).toMatchObject({ exitCode, kind });
    expect(err.reply).toMatchObject({ provider: 'sendgrid', status, reply: words });
    if (status === 429) expect(err.retryAfterMs).toBe(60_000);
    expect(JSON.stringify([err.message, err.reply, err.hint])).not.toContain(KEY);
  });

  it('a request that gets no answer times out → 75', async () => {
    api.respond(() => ({ status: 0, hang: true }));
    const err = await failure(provider.send(message()));
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
    expect(err.message).toMatch(/did not finish the delivery within .*total deadline/);
  });

  it('an abort (Ctrl-C) ends a request at once: 75, aborted, not a timeout', async () => {
    api.respond(() => ({ status: 0, hang: true }));
    // a timeout far beyond the test's own: only the abort can end this request in time
    const config = resolveConfig({
      env: {
        MAIL_TYPE: 'sendgrid',
        SENDGRID_API_KEY: KEY,
        SENDGRID_API_BASE_URL: api.url,
        SENDGRID_TIMEOUT: '60s',
        MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
      },
    }).config;
    const p = await createProvider(config, { cwd: '/', clock });
    const ctl = new AbortController();
    const sending = failure(p.send(message(), { signal: ctl.signal }));
    await new Promise((r) => setTimeout(r, 100));
    ctl.abort();
    const err = await sending;
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
    expect(err.message).toMatch(/aborted/);
    // the signal was for that call only: the next one goes through
    api.respond(() => ({ status: 202, headers: { 'x-message-id': 'after-abort' } }));
    expect((await p.send(message())).providerMessageId).toBe('after-abort');
  });

  it('a refused port → 69', async () => {
    const port = await refusedPort();
    const config = resolveConfig({
      env: { MAIL_TYPE: 'sendgrid', SENDGRID_API_KEY: KEY, SENDGRID_API_BASE_URL: `http://127.0.0.1:${port}` },
    }).config;
    const p = await createProvider(config, { cwd: '/', clock });
    const err = await failure(p.send(message()));
    expect(err).toMatchObject({ exitCode: 69, kind: 'transient' });
    expect(err.reply.errno).toBe('ECONNREFUSED');
  });
});

describe('resend provider', () => {
  const KEY = 're_test_0123456789';
  let provider: Provider;
  beforeAll(async () => {
    const config = resolveConfig({
      env: { MAIL_TYPE: 'resend', RESEND_API_KEY: KEY, RESEND_API_URL: `${api.url}/`, RESEND_TIMEOUT: '3s' },
    }).config;
    provider = await createProvider(config, { cwd: '/', clock });
  });

  it('200: posts /emails with an Idempotency-Key from the Message-ID and keeps the id', async () => {
    api.respond(() => ({ status: 200, body: { id: '49a3999c-0ce1-4ea6-ab68-afcd6dc2e794' } }));
    const delivery = await provider.send(message());
    expect(delivery).toMatchObject({
      provider: 'resend',
      messageId: '<job-42.abc@example.com>',
      providerMessageId: '49a3999c-0ce1-4ea6-ab68-afcd6dc2e794',
    });
    const req = api.requests[0]!;
    expect(req.path).toBe('/emails');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['idempotency-key']).toBe('job-42.abc@example.com');
    expect(req.json).toMatchObject({
      from: 'Acme <no-reply@example.com>',
      to: ['ops@example.com'],
      subject: '邀请您加入 Acme',
      html: '<p>&lt;b&gt;Ana&lt;/b&gt; 邀请您</p>',
      text: '<b>Ana</b> 邀请您\n',
      headers: {
        'Message-ID': '<job-42.abc@example.com>',
        'Auto-Submitted': 'auto-generated',
        'List-Unsubscribe': '<https://example.com/unsub?u=1>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      tags: [
        { name: 'mailctl_type', value: 'invite-member' },
        { name: 'mailctl_message_id', value: '_job-42_abc_example_com_' },
      ],
    });
  });

  const cases: [number, Record<string, string>, number, 'transient' | 'permanent'][] = [
    [400, {}, 69, 'permanent'],
    [401, {}, 77, 'permanent'],
    [403, {}, 77, 'permanent'],
    [422, {}, 69, 'permanent'],
    [429, { 'retry-after': '2' }, 75, 'transient'],
    [500, {}, 75, 'transient'],
  ];
  it.each(cases)('HTTP %i → exit %i', async (status, headers, exitCode, kind) => {
    api.respond(() => ({
      status,
      headers,
      body: { statusCode: status, message: `resend says ${status}`, name: 'some_error' },
    }));
    const err = await failure(provider.send(message()));
    expect(err).toMatchObject({ exitCode, kind });
    expect(err.reply).toMatchObject({ provider: 'resend', status, reply: `resend says ${status} (some_error)` });
    if (status === 429) expect(err.retryAfterMs).toBe(2000);
  });

  it('a request that gets no answer times out → 75', async () => {
    api.respond(() => ({ status: 0, hang: true }));
    const err = await failure(provider.send(message()));
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
  });
});
