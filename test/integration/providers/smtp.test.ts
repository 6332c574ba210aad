/**
 * The smtp provider against a real smtp-server on 127.0.0.1: each TLS mode of the contract's
 * table, AUTH, certificate verification, refusals at each step, a dropped connection, a server
 * that never answers, a refused port, the pool; every accepted message parsed with mailparser.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { composeMessage } from '../../../src/message/compose.js';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { createSmtpProvider } from '../../../src/providers/smtp.js';
import {
  startScriptedServer,
  startSilentServer,
  startSmtpServer,
  type SilentServer,
  type TestSmtpOptions,
  type TestSmtpServer,
} from '../../helpers/smtp.js';
import { refusedPort } from '../../helpers/ports.js';
import { deliveryFailure as failure } from '../../helpers/delivery.js';

const AUTH = { user: 'mailer', pass: 's3cret-pass' };

function configFor(port: number, env: Record<string, string> = {}) {
  return resolveConfig({
    env: {
      MAIL_TYPE: 'smtp',
      MAIL_DEFAULT_SEND_FROM: 'Acme <no-reply@example.com>',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(port),
      SMTP_CONNECT_TIMEOUT: '3s',
      SMTP_GREETING_TIMEOUT: '3s',
      SMTP_SOCKET_TIMEOUT: '5s',
      SMTP_LOCAL_HOSTNAME: 'mail.client.test',
      ...env,
    },
  }).config;
}

function message(over: Partial<Parameters<typeof composeMessage>[0]> = {}): OutgoingMessage {
  return composeMessage({
    rendered: {
      type: 'invite-member',
      lang: 'zh-CN',
      subject: '邀请您加入 Acme 工作区',
      html: '<p>你好 &lt;script&gt;alert(1)&lt;/script&gt;</p>',
      text: '你好 <script>alert(1)</script>\n',
      category: 'notification',
    },
    to: 'ops@example.com',
    from: 'Acme <no-reply@example.com>',
    messageId: `<t${Math.random().toString(36).slice(2)}@example.com>`,
    date: new Date('2026-12-01T10:00:00Z'),
    ...over,
  });
}

const servers: { close(): Promise<void> }[] = [];
async function smtp(options: TestSmtpOptions): Promise<TestSmtpServer> {
  const s = await startSmtpServer(options);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('smtp provider: TLS modes', () => {
  it('plain: delivers a multipart/alternative UTF-8 message and reports the final reply', async () => {
    const server = await smtp({});
    const provider = createSmtpProvider(configFor(server.port));
    const msg = message();
    const delivery = await provider.send(msg);
    await provider.close();

    expect(delivery).toMatchObject({
      provider: 'smtp',
      messageId: msg.messageId,
      accepted: ['ops@example.com'],
      rejected: [],
    });
    expect(delivery.response).toMatch(/^250 .*queued as TEST0001/);
    expect(server.messages).toHaveLength(1);
    const received = server.messages[0]!;
    expect(received).toMatchObject({
      from: 'no-reply@example.com',
      to: ['ops@example.com'],
      secure: false,
      clientHostname: 'mail.client.test',
    });

    const parsed = await simpleParser(received.raw);
    expect(parsed.subject).toBe('邀请您加入 Acme 工作区');
    expect(parsed.messageId).toBe(msg.messageId);
    expect(parsed.date?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(parsed.text).toContain('你好 <script>alert(1)</script>');
    expect(parsed.html).toContain('&lt;script&gt;');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.from?.value).toEqual([{ name: 'Acme', address: 'no-reply@example.com' }]);
    // RFC 2047: the raw subject is encoded, not 8-bit.
    expect(received.raw.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
  });

  it('plain means plain: no STARTTLS even when the server offers it', async () => {
    const server = await smtp({ tls: 'starttls' });
    const provider = createSmtpProvider(configFor(server.port));
    await provider.send(message());
    await provider.close();
    expect(server.messages[0]?.secure).toBe(false);
  });

  it('implicit TLS with AUTH: refuses the self-signed certificate while verification is on (69)', async () => {
    const server = await smtp({ tls: 'implicit', auth: AUTH });
    const provider = createSmtpProvider(
      configFor(server.port, { SMTP_USE_TLS: 'true', SMTP_USERNAME: AUTH.user, SMTP_PASSWORD: AUTH.pass }),
    );
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err.exitCode).toBe(69);
    expect(err.message).toMatch(/TLS handshake/);
    expect(err.reply.errno).toMatch(/SELF_SIGNED|CERT/);
    expect(server.messages).toHaveLength(0);
  });

  it('implicit TLS with AUTH: delivers with SMTP_TLS_VERIFY=false', async () => {
    const server = await smtp({ tls: 'implicit', auth: AUTH });
    const provider = createSmtpProvider(
      configFor(server.port, {
        SMTP_USE_TLS: 'true',
        SMTP_TLS_VERIFY: 'false',
        SMTP_USERNAME: AUTH.user,
        SMTP_PASSWORD: AUTH.pass,
      }),
    );
    await provider.send(message());
    await provider.close();
    expect(server.messages[0]).toMatchObject({ secure: true, user: AUTH.user });
  });

  it('STARTTLS with AUTH: refuses the self-signed certificate while verification is on (69)', async () => {
    const server = await smtp({ tls: 'starttls', auth: AUTH });
    const provider = createSmtpProvider(
      configFor(server.port, {
        SMTP_USE_TLS: 'true',
        SMTP_OPPORTUNISTIC_TLS: 'true',
        SMTP_USERNAME: AUTH.user,
        SMTP_PASSWORD: AUTH.pass,
      }),
    );
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err.exitCode).toBe(69);
    expect(server.calls.auth).toBe(0);
    expect(server.messages).toHaveLength(0);
  });

  it('STARTTLS with AUTH: upgrades, logs in and delivers with SMTP_TLS_VERIFY=false', async () => {
    const server = await smtp({ tls: 'starttls', auth: AUTH });
    const provider = createSmtpProvider(
      configFor(server.port, {
        SMTP_USE_TLS: 'true',
        SMTP_OPPORTUNISTIC_TLS: 'true',
        SMTP_TLS_VERIFY: 'false',
        SMTP_USERNAME: AUTH.user,
        SMTP_PASSWORD: AUTH.pass,
      }),
    );
    await provider.send(message());
    await provider.close();
    expect(server.messages[0]).toMatchObject({ secure: true, user: AUTH.user, clientHostname: 'mail.client.test' });
  });

  it('STARTTLS required but not offered: fails (69), never sends in plaintext', async () => {
    const server = await smtp({ tls: 'plain' });
    const provider = createSmtpProvider(
      configFor(server.port, { SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true', SMTP_TLS_VERIFY: 'false' }),
    );
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err.exitCode).toBe(69);
    expect(err.message).toMatch(/did not accept STARTTLS .*nothing was sent in plaintext/);
    expect(err.reply.command).toBe('STARTTLS');
    expect(server.calls.mail).toBe(0);
    expect(server.messages).toHaveLength(0);
  });

  it('implicit TLS against a plain server fails as a TLS or connection problem, not a delivery', async () => {
    const server = await smtp({ tls: 'plain' });
    const provider = createSmtpProvider(
      configFor(server.port, {
        SMTP_USE_TLS: 'true',
        SMTP_TLS_VERIFY: 'false',
        SMTP_GREETING_TIMEOUT: '1s',
        SMTP_CONNECT_TIMEOUT: '1s',
      }),
    );
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err.exitCode).toBe(69);
    expect(err.message).toMatch(/TLS handshake .*wrong version number$/);
    expect(server.messages).toHaveLength(0);
  });
});

describe('smtp provider: refusals and failures', () => {
  it("535 on AUTH → 77, permanent, the server's words kept", async () => {
    const server = await smtp({ tls: 'implicit', auth: AUTH });
    const provider = createSmtpProvider(
      configFor(server.port, {
        SMTP_USE_TLS: 'true',
        SMTP_TLS_VERIFY: 'false',
        SMTP_USERNAME: AUTH.user,
        SMTP_PASSWORD: 'wrong',
      }),
    );
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 77, kind: 'permanent' });
    expect(err.reply).toMatchObject({ provider: 'smtp', responseCode: 535, enhancedStatus: '5.7.8' });
    expect(err.reply.reply).toContain('Authentication credentials invalid');
    expect(err.reply.command).toMatch(/^AUTH/);
    // The password never appears in what we keep.
    expect(JSON.stringify({ m: err.message, r: err.reply, h: err.hint })).not.toContain('wrong');
  });

  it('451 at RCPT TO → 75, transient', async () => {
    const server = await smtp({ rcpt: { code: 451, message: '4.7.1 Greylisted, please try again' } });
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
    expect(err.reply).toMatchObject({ responseCode: 451, enhancedStatus: '4.7.1', command: 'RCPT TO' });
    expect(err.reply.reply).toContain('Greylisted');
  });

  it('550 at MAIL FROM → 69, permanent', async () => {
    const server = await smtp({ mail: { code: 550, message: '5.7.1 Sender not allowed' } });
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 69, kind: 'permanent' });
    expect(err.reply).toMatchObject({ responseCode: 550, command: 'MAIL FROM' });
  });

  it('554 after DATA → 69, permanent', async () => {
    const server = await smtp({ data: { code: 554, message: '5.7.1 Message rejected' } });
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 69, kind: 'permanent' });
    expect(err.reply.responseCode).toBe(554);
  });

  it('421 after DATA → 75 with a retry-after', async () => {
    const server = await smtp({ data: { code: 421, message: '4.3.2 Try again in 30 seconds' } });
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient', retryAfterMs: 30_000 });
  });

  it('a server that drops the connection during DATA → 75, transient', async () => {
    const server = await smtp({ dropDuringData: true });
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(server.calls.data).toBe(1);
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
    expect(server.messages).toHaveLength(0);
  });

  describe('a server that never answers', () => {
    let silent: SilentServer;
    beforeAll(async () => {
      silent = await startSilentServer();
      servers.push(silent);
    });
    it('gives up after the greeting timeout → 75', async () => {
      const provider = createSmtpProvider(configFor(silent.port, { SMTP_GREETING_TIMEOUT: '300ms' }));
      const err = await failure(provider.send(message()));
      await provider.close();
      expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
      expect(err.message).toMatch(/timeout/);
      expect(silent.connections).toBeGreaterThanOrEqual(1);
    });
  });

  it('connection refused → 69 (transient for drain)', async () => {
    const port = await refusedPort();
    const provider = createSmtpProvider(configFor(port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 69, kind: 'transient' });
    expect(err.reply.errno).toBe('ECONNREFUSED');
  });
});

describe('smtp provider: protocol errors (exact bytes)', () => {
  it('a 3xx where a 2xx is due (334 to MAIL FROM) → 76, the reply kept', async () => {
    const server = await startScriptedServer({
      greeting: '220 odd.example ESMTP',
      replies: { EHLO: '250 odd.example', MAIL: '334 VXNlcm5hbWU6' },
    });
    servers.push(server);
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 76, kind: 'transient' });
    expect(err.reply).toMatchObject({ responseCode: 334, command: 'MAIL FROM', reply: '334 VXNlcm5hbWU6' });
    expect(server.received.some((l) => l.startsWith('MAIL FROM:'))).toBe(true);
  });

  it('a greeting that is not SMTP → 76', async () => {
    const server = await startScriptedServer({ greeting: 'HTTP/1.1 400 Bad Request' });
    servers.push(server);
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err.exitCode).toBe(76);
  });

  it('a 554 greeting (no service) → 69, permanent', async () => {
    const server = await startScriptedServer({ greeting: '554 5.3.2 No SMTP service here' });
    servers.push(server);
    const provider = createSmtpProvider(configFor(server.port));
    const err = await failure(provider.send(message()));
    await provider.close();
    expect(err).toMatchObject({ exitCode: 69 });
    expect(err.reply.reply).toBe('554 5.3.2 No SMTP service here');
  });
});

describe('smtp provider: AUTH without TLS', () => {
  it('plain mode logs in when the server allows it', async () => {
    const server = await smtp({ tls: 'plain', auth: AUTH });
    const provider = createSmtpProvider(configFor(server.port, { SMTP_USERNAME: AUTH.user, SMTP_PASSWORD: AUTH.pass }));
    await provider.send(message());
    await provider.close();
    expect(server.messages[0]).toMatchObject({ secure: false, user: AUTH.user });
  });
});

describe('smtp provider: pool', () => {
  it('reuses connections for many messages (drain) and sends prebuilt raw bytes as they are', async () => {
    const server = await smtp({});
    const provider = createSmtpProvider(configFor(server.port, { SMTP_POOL_SIZE: '2' }), { pool: true });
    const msgs = Array.from({ length: 6 }, () => message());
    const deliveries = await Promise.all(msgs.map((m) => provider.send(m)));
    const raw = Buffer.from(
      'From: a@example.com\r\nTo: ops@example.com\r\nSubject: prebuilt\r\nMessage-ID: <raw@example.com>\r\n\r\nbody\r\n',
    );
    await provider.send(message(), { raw });
    await provider.close();
    await provider.close();
    expect(deliveries.map((d) => d.messageId)).toEqual(msgs.map((m) => m.messageId));
    expect(server.messages).toHaveLength(7);
    expect(server.calls.connect).toBeLessThanOrEqual(2);
    expect(server.messages[6]!.raw.toString()).toContain('Subject: prebuilt');
  });
});
