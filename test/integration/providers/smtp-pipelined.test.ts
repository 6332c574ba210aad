/**
 * The drain's pipelined SMTP client (providers/smtp-client/, `createSmtpProvider(config, { pool: true })`)
 * against real servers: smtp-server on 127.0.0.1 in every TLS and AUTH mode the smtp provider
 * supports, PIPELINING offered and hidden, several messages over one connection, a server that
 * drops idle connections, 421 and 5xx at each step, a trickling server, a server that quotes the
 * credentials back, an abort. Each failure is also sent through nodemailer (the `send` path) and
 * must come out as the same DeliveryError: exit code, kind, words, hint, retry-after, reply.
 */
import { createServer, type Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { systemClock } from '../../../src/context.js';
import { type DeliveryError } from '../../../src/errors.js';
import { composeMessage } from '../../../src/message/compose.js';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { tokenSourceFor } from '../../../src/providers/oauth2.js';
import { createSmtpProvider } from '../../../src/providers/smtp.js';
import type { Provider } from '../../../src/providers/types.js';
import { deliveryFailure } from '../../helpers/delivery.js';
import { startTokenEndpoint } from '../../helpers/oauth2.js';
import { refusedPort } from '../../helpers/ports.js';
import { startEchoSmtpServer, type EchoMode } from '../../helpers/smtp-echo.js';
import {
  startScriptedServer,
  startSilentServer,
  startSmtpServer,
  startTrickleSmtpServer,
  type TestSmtpOptions,
  type TestSmtpServer,
} from '../../helpers/smtp.js';

const AUTH = { user: 'mailer', pass: 's3cret-pass' };
const closers: { close(): Promise<void> | void }[] = [];
afterAll(async () => {
  await Promise.all(closers.map(async (c) => c.close()));
});

function configFor(port: number, env: Record<string, string> = {}) {
  return resolveConfig({
    env: {
      MAIL_TYPE: 'smtp',
      MAIL_DEFAULT_SEND_FROM: 'Acme <no-reply@example.com>',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(port),
      SMTP_CONNECT_TIMEOUT: '10s',
      SMTP_GREETING_TIMEOUT: '10s',
      SMTP_SOCKET_TIMEOUT: '20s',
      SMTP_LOCAL_HOSTNAME: 'mail.client.test',
      ...env,
    },
  }).config;
}

const TLS: Record<string, Record<string, string>> = {
  plain: {},
  starttls: { SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true', SMTP_TLS_VERIFY: 'false' },
  implicit: { SMTP_USE_TLS: 'true', SMTP_TLS_VERIFY: 'false' },
};

let sequence = 0;
function message(to: string | string[] = 'ops@example.com'): OutgoingMessage {
  sequence += 1;
  return composeMessage({
    rendered: {
      type: 'reset-password',
      lang: 'zh-CN',
      subject: '重置您的密码',
      // A line that starts with "." must arrive as it was written (dot-stuffing both ways).
      html: '<p>你好</p>',
      text: `你好\n.hidden line\n..two dots\n验证码 ${sequence}\n`,
      category: 'code',
    },
    to,
    from: 'Acme <no-reply@example.com>',
    messageId: `<p${sequence}.${Math.random().toString(36).slice(2)}@example.com>`,
    date: new Date('2026-12-06T10:00:00Z'),
  });
}

function pooled(port: number, env: Record<string, string> = {}): Provider {
  const p = createSmtpProvider(configFor(port, env), { pool: true });
  closers.push(p);
  return p;
}

async function server(options: TestSmtpOptions): Promise<TestSmtpServer> {
  const s = await startSmtpServer(options);
  closers.push(s);
  return s;
}

const failure = deliveryFailure;

/** What an operator and the spool see of a failure. */
function seen(err: DeliveryError) {
  return {
    exitCode: err.exitCode,
    kind: err.kind,
    message: err.message,
    hint: err.hint,
    retryAfterMs: err.retryAfterMs,
    reply: err.reply,
  };
}

describe('pipelined client: every TLS and AUTH mode, against smtp-server', () => {
  it.each([
    ['plain', 'plain', undefined],
    ['STARTTLS', 'starttls', undefined],
    ['implicit TLS', 'implicit', undefined],
    ['STARTTLS + AUTH PLAIN', 'starttls', ['PLAIN'] as const],
    ['implicit TLS + AUTH LOGIN', 'implicit', ['LOGIN'] as const],
    ['plain + AUTH CRAM-MD5', 'plain', ['CRAM-MD5'] as const],
  ] as const)('%s: delivers the message byte for byte', async (_name, tls, methods) => {
    const s = await server({
      tls,
      ...(methods ? { auth: AUTH, authMethods: [...methods] } : {}),
      ...(methods?.[0] === 'CRAM-MD5' ? {} : {}),
    });
    const env = { ...TLS[tls], ...(methods ? { SMTP_USERNAME: AUTH.user, SMTP_PASSWORD: AUTH.pass } : {}) };
    const provider = pooled(s.port, env);
    const msg = message();
    const delivery = await provider.send(msg);
    expect(delivery).toMatchObject({ provider: 'smtp', messageId: msg.messageId, accepted: ['ops@example.com'] });
    expect(delivery.response).toMatch(/^250 .*queued as TEST0001/);
    const got = s.messages[0]!;
    expect(got).toMatchObject({
      from: 'no-reply@example.com',
      to: ['ops@example.com'],
      secure: tls !== 'plain',
      clientHostname: 'mail.client.test',
      user: methods ? AUTH.user : undefined,
    });
    const parsed = await simpleParser(got.raw);
    expect(parsed.subject).toBe('重置您的密码');
    expect(parsed.messageId).toBe(msg.messageId);
    expect(parsed.text).toContain('\n.hidden line\n..two dots\n');
  });

  it.each([
    ['334 challenge (Google): renewed on the same connection', true, 1],
    ['535 at once (Microsoft 365): renewed, then a fresh connection', false, 2],
  ] as const)('XOAUTH2 over STARTTLS, a lapsed token refused with a %s', async (_name, challenge, connections) => {
    const endpoint = await startTokenEndpoint({ clientId: 'app', clientSecret: 'client-s3cret' });
    closers.push(endpoint);
    const s = await server({
      tls: 'starttls',
      xoauth2: { user: 'mailer@contoso.example', accept: endpoint.isValid, challenge },
    });
    const env = {
      ...TLS.starttls!,
      SMTP_AUTH_METHOD: 'oauth2',
      SMTP_USERNAME: 'mailer@contoso.example',
      SMTP_OAUTH2_TOKEN_URL: endpoint.url,
      SMTP_OAUTH2_CLIENT_ID: 'app',
      SMTP_OAUTH2_CLIENT_SECRET: 'client-s3cret',
    };
    const config = configFor(s.port, env);
    const tokens = tokenSourceFor(config, { clock: systemClock() })!;
    // The token held is revoked before the first connection: refused, one renewal, then in.
    const first = await tokens.get();
    endpoint.revoke(first.value);
    const provider = createSmtpProvider(config, { pool: true, tokens });
    closers.push(provider);
    await provider.send(message());
    expect(s.bearerTokens).toEqual([first.value, endpoint.issued[1]]);
    expect(s.calls.connect).toBe(connections);
    expect(s.messages).toHaveLength(1);
    expect(endpoint.issued).toHaveLength(2);
  });
});

describe('pipelined client: connections', () => {
  it('several messages over one connection, no QUIT in between (SMTP_POOL_SIZE=1)', async () => {
    const s = await server({});
    const provider = pooled(s.port, { SMTP_POOL_SIZE: '1' });
    const msgs = Array.from({ length: 5 }, () => message());
    const deliveries = await Promise.all(msgs.map((m) => provider.send(m)));
    expect(deliveries.map((d) => d.messageId)).toEqual(msgs.map((m) => m.messageId));
    expect(s.calls.connect).toBe(1);
    expect(s.messages.map((m) => m.raw.toString()).every((raw, i) => raw.includes(msgs[i]!.messageId))).toBe(true);
  });

  it('never opens more than SMTP_POOL_SIZE connections', async () => {
    const s = await server({});
    const provider = pooled(s.port, { SMTP_POOL_SIZE: '2' });
    await Promise.all(Array.from({ length: 12 }, () => provider.send(message())));
    expect(s.messages).toHaveLength(12);
    expect(s.calls.connect).toBeLessThanOrEqual(2);
  });

  it.each([
    ['with a 421', '421 4.4.2 mail.test Error: timeout exceeded'],
    ['without a word (EOF)', undefined],
  ])('a server that drops idle connections %s: the next message goes on a fresh one, no failure', async (_n, reply) => {
    const s = await server({});
    const provider = pooled(s.port, { SMTP_POOL_SIZE: '1' });
    await provider.send(message());
    expect(await s.dropSessions(reply)).toBe(1);
    await provider.send(message());
    expect(s.messages).toHaveLength(2);
    expect(s.calls.connect).toBe(2);
  });

  it('a 421 at MAIL FROM on a reused connection: tried once on a fresh connection', async () => {
    const s = await server({
      mail: ({ attempt }) => (attempt === 2 ? { code: 421, message: '4.7.0 Too many messages' } : undefined),
    });
    const provider = pooled(s.port, { SMTP_POOL_SIZE: '1' });
    await provider.send(message());
    await provider.send(message());
    expect(s.calls.mail).toBe(3);
    expect(s.calls.connect).toBe(2);
    expect(s.messages).toHaveLength(2);
  });

  it('a 421 at MAIL FROM on a fresh connection is the failure (no retry loop)', async () => {
    const s = await server({ mail: { code: 421, message: '4.7.0 Try again in 90 seconds' } });
    const err = await failure(pooled(s.port).send(message()));
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient', retryAfterMs: 90_000 });
    expect(s.calls.mail).toBe(1);
  });

  it('a 421 to the data, or a drop after it was sent: a failure for the spool, never sent again', async () => {
    for (const options of [{ data: { code: 421, message: '4.3.2 shutting down' } }, { dropDuringData: true }]) {
      const s = await server(options);
      const provider = pooled(s.port, { SMTP_POOL_SIZE: '1' });
      const err = await failure(provider.send(message()));
      expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
      expect(s.calls.data).toBe(1);
      expect(s.messages).toHaveLength(0);
    }
  });

  it('one recipient of two refused (550): delivered to the other, the refusal reported', async () => {
    const s = await server({
      rcpt: (c) => (c.address === 'gone@example.com' ? { code: 550, message: '5.1.1 No such user' } : undefined),
    });
    const delivery = await pooled(s.port).send(message(['ops@example.com', 'gone@example.com']));
    expect(delivery).toMatchObject({ accepted: ['ops@example.com'], rejected: ['gone@example.com'] });
    expect(s.messages[0]!.to).toEqual(['ops@example.com']);
  });

  it('a connection stays usable after a refused message', async () => {
    const s = await server({
      rcpt: ({ attempt }) => (attempt === 1 ? { code: 550, message: '5.1.1 No such user' } : undefined),
    });
    const provider = pooled(s.port, { SMTP_POOL_SIZE: '1' });
    const err = await failure(provider.send(message()));
    expect(err).toMatchObject({ exitCode: 69, kind: 'permanent' });
    await provider.send(message());
    expect(s.messages).toHaveLength(1);
  });
});

/** A raw SMTP sink that records which commands arrived together in one read. */
async function recordingSink(
  pipelining: boolean,
): Promise<{ port: number; reads: string[][]; close(): Promise<void> }> {
  const reads: string[][] = [];
  const sockets = new Set<Socket>();
  const srv = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write('220 sink.test ESMTP\r\n');
    let inData = false;
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const commands: string[] = [];
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) break;
          buffer = buffer.slice(end + 5);
          inData = false;
          socket.write('250 2.0.0 Ok: queued\r\n');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        commands.push(verb);
        if (verb === 'EHLO') socket.write(`250-sink.test\r\n${pipelining ? '250-PIPELINING\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 2.1.0 Ok\r\n');
      }
      if (commands.length > 0) reads.push(commands);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const address = srv.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    reads,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('pipelined client: PIPELINING (RFC 2920)', () => {
  it('offered: MAIL FROM, RCPT TO and DATA go out in one write', async () => {
    const sink = await recordingSink(true);
    closers.push(sink);
    await pooled(sink.port).send(message(['a@example.com', 'b@example.com']));
    expect(sink.reads).toContainEqual(['MAIL', 'RCPT', 'RCPT', 'DATA']);
  });

  it('not offered: one command at a time, each after its reply', async () => {
    const sink = await recordingSink(false);
    closers.push(sink);
    await pooled(sink.port).send(message(['a@example.com', 'b@example.com']));
    expect(sink.reads.flat()).toEqual(['EHLO', 'MAIL', 'RCPT', 'RCPT', 'DATA']);
    expect(sink.reads.every((r) => r.length === 1)).toBe(true);
  });

  it('smtp-server with PIPELINING hidden: delivers several messages, refusals still reported', async () => {
    const s = await server({
      hidePipelining: true,
      rcpt: (c) => (c.address === 'gone@example.com' ? { code: 550, message: '5.1.1 No such user' } : undefined),
    });
    const provider = pooled(s.port, { SMTP_POOL_SIZE: '1' });
    await provider.send(message());
    const d = await provider.send(message(['gone@example.com', 'ops@example.com']));
    expect(d).toMatchObject({ accepted: ['ops@example.com'], rejected: ['gone@example.com'] });
    const err = await failure(provider.send(message('gone@example.com')));
    expect(err.reply).toMatchObject({ responseCode: 550, command: 'RCPT TO' });
    expect(s.messages).toHaveLength(2);
  });
});

describe('pipelined client: deadlines and abort', () => {
  it('a server that trickles its reply to MAIL FROM: the per-reply deadline ends it (75)', async () => {
    const trickle = await startTrickleSmtpServer({ verb: 'MAIL', intervalMs: 200 });
    closers.push(trickle);
    const err = await failure(pooled(trickle.port, { SMTP_SOCKET_TIMEOUT: '1500ms' }).send(message()));
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
    expect(err.message).toMatch(/did not answer in time|did not finish the delivery within/);
    expect(trickle.trickled).toBeGreaterThan(0);
  });

  it("the caller's signal abandons a send at once (drain's shutdown grace)", async () => {
    const silent = await startSilentServer();
    closers.push(silent);
    const provider = pooled(silent.port);
    const abort = new AbortController();
    const sending = failure(provider.send(message(), { signal: abort.signal }));
    while (silent.connections === 0) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    const err = await sending;
    expect(err).toMatchObject({ exitCode: 75, kind: 'transient' });
    expect(err.message).toMatch(/aborted/);
  });
});

describe('pipelined client: credentials never in an error', () => {
  it.each<EchoMode>(['plain', 'login', 'decoded'])('a server that quotes the AUTH line back (%s)', async (mode) => {
    const echo = await startEchoSmtpServer(mode);
    closers.push(echo);
    const provider = pooled(echo.port, { SMTP_USERNAME: AUTH.user, SMTP_PASSWORD: AUTH.pass });
    const err = await failure(provider.send(message()));
    expect(err).toMatchObject({ exitCode: 77, kind: 'permanent' });
    expect(echo.authLines.length).toBeGreaterThan(0);
    const text = JSON.stringify({ m: err.message, r: err.reply, h: err.hint, s: err.stack });
    const b64 = (t: string): string => Buffer.from(t).toString('base64');
    for (const secret of [AUTH.pass, b64(AUTH.pass), b64(`\u0000${AUTH.user}\u0000${AUTH.pass}`)])
      expect(text).not.toContain(secret);
    expect(err.reply.reply).toContain('********');
  });

  it('--debug transcript: AUTH masked, the dialogue shown', async () => {
    const s = await server({ tls: 'starttls', auth: AUTH });
    const lines: string[] = [];
    const provider = createSmtpProvider(
      configFor(s.port, { ...TLS.starttls, SMTP_USERNAME: AUTH.user, SMTP_PASSWORD: AUTH.pass }),
      { pool: true, transcript: (l) => lines.push(l) },
    );
    closers.push(provider);
    await provider.send(message());
    const text = lines.join('\n');
    expect(text).toMatch(/^\[\d+\]  -> AUTH PLAIN \*{8}$/m);
    expect(text).toMatch(/^\[\d+\]  -> RCPT TO:<ops@example\.com>$/m);
    expect(text).toMatch(/^\[\d+\] <-  250 .*queued as TEST0001$/m);
    expect(text).not.toContain(AUTH.pass);
    expect(text).not.toContain(Buffer.from(`\u0000${AUTH.user}\u0000${AUTH.pass}`).toString('base64'));
  });
});

describe('pipelined client: the same DeliveryError as nodemailer for the same server behaviour', () => {
  type Rig = { port: number; env?: Record<string, string>; to?: string[] };
  const cases: [string, () => Promise<Rig>][] = [
    [
      '535 at AUTH',
      async () => ({
        port: (await server({ tls: 'implicit', auth: AUTH })).port,
        env: { ...TLS.implicit, SMTP_USERNAME: AUTH.user, SMTP_PASSWORD: 'wrong' },
      }),
    ],
    [
      '451 at RCPT TO',
      async () => ({ port: (await server({ rcpt: { code: 451, message: '4.7.1 Greylisted' } })).port }),
    ],
    [
      '550 at MAIL FROM',
      async () => ({ port: (await server({ mail: { code: 550, message: '5.7.1 Sender not allowed' } })).port }),
    ],
    [
      '421 at MAIL FROM',
      async () => ({ port: (await server({ mail: { code: 421, message: '4.7.0 Try again in 2 minutes' } })).port }),
    ],
    ['421 at RCPT TO', async () => ({ port: (await server({ rcpt: { code: 421, message: '4.7.0 closing' } })).port })],
    [
      '554 to the data',
      async () => ({ port: (await server({ data: { code: 554, message: '5.7.1 Message rejected' } })).port }),
    ],
    [
      '421 to the data',
      async () => ({ port: (await server({ data: { code: 421, message: '4.3.2 Try again in 30 seconds' } })).port }),
    ],
    [
      'every recipient refused, one deferred',
      async () => ({
        port: (
          await server({
            rcpt: (c) =>
              c.address === 'a@example.com'
                ? { code: 550, message: '5.1.1 gone' }
                : { code: 450, message: '4.2.1 busy' },
          })
        ).port,
        to: ['a@example.com', 'b@example.com'],
      }),
    ],
    ['a drop during DATA', async () => ({ port: (await server({ dropDuringData: true })).port })],
    [
      'STARTTLS required, not offered',
      async () => ({ port: (await server({ tls: 'plain' })).port, env: TLS.starttls }),
    ],
    [
      'a self-signed certificate, implicit TLS',
      async () => ({ port: (await server({ tls: 'implicit' })).port, env: { SMTP_USE_TLS: 'true' } }),
    ],
    [
      'a self-signed certificate, STARTTLS',
      async () => ({
        port: (await server({ tls: 'starttls' })).port,
        env: { SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true' },
      }),
    ],
    [
      'implicit TLS against a plain server',
      async () => ({ port: (await server({ tls: 'plain' })).port, env: TLS.implicit }),
    ],
    ['connection refused', async () => ({ port: await refusedPort() })],
    [
      'no greeting',
      async () => {
        const silent = await startSilentServer();
        closers.push(silent);
        return { port: silent.port, env: { SMTP_GREETING_TIMEOUT: '300ms' } };
      },
    ],
    [
      'a 554 greeting',
      async () => {
        const s = await startScriptedServer({ greeting: '554 5.3.2 No SMTP service here' });
        closers.push(s);
        return { port: s.port };
      },
    ],
    [
      'a greeting that is not SMTP',
      async () => {
        const s = await startScriptedServer({ greeting: 'HTTP/1.1 400 Bad Request' });
        closers.push(s);
        return { port: s.port };
      },
    ],
    [
      '334 to MAIL FROM',
      async () => {
        const s = await startScriptedServer({
          greeting: '220 odd.example ESMTP',
          replies: { EHLO: '250 odd.example', MAIL: '334 VXNlcm5hbWU6' },
        });
        closers.push(s);
        return { port: s.port };
      },
    ],
  ];

  it.each(cases)('%s', async (_name, rig) => {
    const { port, env = {}, to } = await rig();
    const viaNodemailer = createSmtpProvider(configFor(port, env));
    const viaPipelined = createSmtpProvider(configFor(port, env), { pool: true });
    closers.push(viaNodemailer, viaPipelined);
    const expected = seen(await failure(viaNodemailer.send(message(to))));
    const actual = seen(await failure(viaPipelined.send(message(to))));
    expect(actual).toEqual(expected);
  });
});
