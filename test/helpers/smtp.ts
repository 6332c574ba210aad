/**
 * A real SMTP server for tests: smtp-server on 127.0.0.1, port 0, in any TLS mode, with optional
 * AUTH, hooks that answer a chosen reply at MAIL FROM / RCPT TO / DATA, a switch that drops the
 * connection in the middle of DATA, and every accepted message kept as raw bytes.
 *
 *   const smtp = await startSmtpServer({ tls: 'starttls', auth: { user: 'u', pass: 'p' } });
 *   ... SMTP_PORT=String(smtp.port) ...
 *   smtp.messages[0].raw            // Buffer, parse it with mailparser
 *   await smtp.close();             // in afterAll
 *
 * A hook is a fixed reply or a function of the attempt number (1-based, per hook), so that a
 * test can refuse the first attempts and accept later ones: `data: (n) => n <= 2 ? { code: 451 } : undefined`.
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { selfSignedCert } from './cert.js';

export type TlsMode = 'plain' | 'starttls' | 'implicit';

export interface Reply {
  code: number;
  message?: string;
}

export interface HookCall {
  /** 1-based count of calls to this hook on this server. */
  attempt: number;
  /** MAIL FROM / RCPT TO address; for DATA the envelope sender. */
  address: string;
  session: SMTPServerSession;
}

export type Hook = Reply | ((call: HookCall) => Reply | undefined);

export interface TestSmtpOptions {
  /** `plain`: no TLS at all (STARTTLS not offered). `starttls`: offered. `implicit`: TLS from the first byte. @defaultValue 'plain' */
  tls?: TlsMode;
  /** When set, AUTH is required and only these credentials pass (535 otherwise). */
  auth?: { user: string; pass: string };
  /**
   * AUTH XOAUTH2 only: the bearer token must pass `accept` and the user be `user`. A refused token
   * gets 535 at once (as Microsoft 365 answers), or with `challenge` first the 334 error challenge
   * of Google's XOAUTH2 protocol, then 535.
   */
  xoauth2?: { user: string; accept: (token: string) => boolean; challenge?: boolean } | undefined;
  /** smtp-server's idle timeout (it answers 421 and closes): forces new connections. */
  idleTimeoutMs?: number;
  mail?: Hook;
  rcpt?: Hook;
  data?: Hook;
  /** Destroy the socket after the message body has arrived, before answering DATA. */
  dropDuringData?: boolean;
  /** Greeting banner text. */
  banner?: string;
  /** The SASL mechanisms offered with `auth`. @defaultValue ['PLAIN', 'LOGIN'] */
  authMethods?: ('PLAIN' | 'LOGIN' | 'CRAM-MD5')[];
  /** Leave PIPELINING out of the EHLO reply (smtp-server's hidePIPELINING). */
  hidePipelining?: boolean;
}

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The EHLO/HELO name the client sent. */
  clientHostname: string;
  /** The AUTH user, when the client logged in. */
  user: string | undefined;
  /** Whether the session was under TLS when DATA arrived. */
  secure: boolean;
}

export interface TestSmtpServer {
  host: '127.0.0.1';
  port: number;
  /** PEM of the self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1). */
  cert: string;
  messages: ReceivedMessage[];
  /** Every EHLO name seen, in order (also for sessions that sent no message). */
  ehloNames: string[];
  /** Counts of sessions opened and of hook calls, per hook. */
  calls: { connect: number; mail: number; rcpt: number; data: number; auth: number };
  /** Every XOAUTH2 bearer token presented, accepted or not, in order. */
  bearerTokens: string[];
  /** Resolves once `n` messages have been accepted. */
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /**
   * Ends every open session as a server does when it drops idle clients: with `421` it says so
   * first (Postfix's "421 4.4.2 … Error: timeout exceeded"), without it the socket just closes.
   * Resolves once the server side of each is closed.
   */
  dropSessions(reply?: string): Promise<number>;
  close(): Promise<void>;
}

function smtpError(reply: Reply): Error {
  const err = new Error(
    reply.message ?? (reply.code >= 500 ? 'Requested action not taken' : 'Try again later'),
  ) as Error & { responseCode: number };
  err.responseCode = reply.code;
  return err;
}

function resolveHook(hook: Hook | undefined, call: HookCall): Reply | undefined {
  if (!hook) return undefined;
  return typeof hook === 'function' ? hook(call) : hook;
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const mode = options.tls ?? 'plain';
  const { key, cert } = await selfSignedCert();
  const messages: ReceivedMessage[] = [];
  const ehloNames: string[] = [];
  const calls = { connect: 0, mail: 0, rcpt: 0, data: 0, auth: 0 };
  const bearerTokens: string[] = [];
  const requiresAuth = options.auth !== undefined || options.xoauth2 !== undefined;
  const waiters: { n: number; resolve: (m: ReceivedMessage[]) => void }[] = [];

  const server: SMTPServer = new SMTPServer({
    secure: mode === 'implicit',
    key,
    cert,
    logger: false,
    banner: options.banner ?? 'mailctl test server',
    disabledCommands: [...(mode === 'plain' ? ['STARTTLS'] : []), ...(requiresAuth ? [] : ['AUTH'])],
    authOptional: !requiresAuth,
    // The plain mode with AUTH is for the "AUTH without TLS" cases.
    allowInsecureAuth: mode === 'plain',
    authMethods: options.xoauth2 ? ['XOAUTH2'] : (options.authMethods ?? ['PLAIN', 'LOGIN']),
    hidePIPELINING: options.hidePipelining === true,
    ...(options.idleTimeoutMs !== undefined ? { socketTimeout: options.idleTimeoutMs } : {}),
    onConnect(_session, cb) {
      calls.connect += 1;
      cb();
    },
    onAuth(auth, _session, cb) {
      calls.auth += 1;
      const x = options.xoauth2;
      if (x) {
        const token = auth.accessToken ?? '';
        bearerTokens.push(token);
        if (auth.method === 'XOAUTH2' && auth.username === x.user && x.accept(token))
          return cb(null, { user: auth.username });
        if (x.challenge)
          return cb(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
        return cb(smtpError({ code: 535, message: '5.7.3 Authentication unsuccessful' }));
      }
      const passwordOk =
        auth.method === 'CRAM-MD5'
          ? options.auth !== undefined && auth.validatePassword(options.auth.pass)
          : auth.password === options.auth?.pass;
      if (options.auth && auth.username === options.auth.user && passwordOk) return cb(null, { user: auth.username });
      const err = smtpError({ code: 535, message: '5.7.8 Authentication credentials invalid' });
      return cb(err);
    },
    onMailFrom(address: SMTPServerAddress, session, cb) {
      calls.mail += 1;
      if (session.hostNameAppearsAs && !ehloNames.includes(session.hostNameAppearsAs))
        ehloNames.push(session.hostNameAppearsAs);
      const reply = resolveHook(options.mail, { attempt: calls.mail, address: address.address, session });
      cb(reply ? smtpError(reply) : null);
    },
    onRcptTo(address: SMTPServerAddress, session, cb) {
      calls.rcpt += 1;
      const reply = resolveHook(options.rcpt, { attempt: calls.rcpt, address: address.address, session });
      cb(reply ? smtpError(reply) : null);
    },
    onData(stream, session, cb) {
      calls.data += 1;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (options.dropDuringData) {
          for (const conn of server.connections) if (conn.id === session.id) conn._socket.destroy();
          return;
        }
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const reply = resolveHook(options.data, { attempt: calls.data, address: from, session });
        if (reply) return cb(smtpError(reply));
        const msg: ReceivedMessage = {
          from,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          clientHostname: session.hostNameAppearsAs,
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
        };
        messages.push(msg);
        for (const w of [...waiters]) {
          if (messages.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(messages.slice());
          }
        }
        cb(null, 'Ok: queued as TEST' + String(messages.length).padStart(4, '0'));
      });
    },
  });
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('smtp test server has no port');

  return {
    host: '127.0.0.1',
    port: address.port,
    cert,
    messages,
    ehloNames,
    calls,
    bearerTokens,
    waitForMessages(n, timeoutMs = 10_000) {
      if (messages.length >= n) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`smtp test server: ${messages.length} of ${n} messages after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    async dropSessions(reply) {
      const sockets = [...server.connections].map((conn) => conn._socket);
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.destroyed) return resolve();
              socket.once('close', () => resolve());
              if (reply !== undefined) socket.end(`${reply}\r\n`);
              else socket.destroy();
            }),
        ),
      );
      return sockets.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const conn of server.connections) conn._socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface SilentServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** A raw TCP server that accepts connections and never says a word (no greeting): for timeouts. */
export async function startSilentServer(): Promise<SilentServer> {
  const { createServer } = await import('node:net');
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server = createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('silent server has no port');
  return {
    port: address.port,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ScriptedServer {
  port: number;
  /** Every command line the client sent, in order. */
  received: string[];
  close(): Promise<void>;
}

/**
 * A raw TCP server that speaks exact bytes: the greeting, then one reply per command verb (`EHLO`,
 * `MAIL`, `RCPT`, `DATA`, `QUIT`…; unknown verbs get `250 OK`). For protocol-error cases where the
 * reply must be something smtp-server would never send.
 */
export async function startScriptedServer(script: {
  greeting: string;
  replies?: Record<string, string>;
}): Promise<ScriptedServer> {
  const { createServer } = await import('node:net');
  const sockets = new Set<Socket>();
  const received: string[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.write(`${script.greeting}\r\n`);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        received.push(line);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        socket.write(`${script.replies?.[verb] ?? (verb === 'QUIT' ? '221 Bye' : '250 OK')}\r\n`);
        if (verb === 'QUIT') socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('scripted server has no port');
  return {
    port: address.port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface TrickleServer {
  port: number;
  /** Commands received, in order. */
  received: string[];
  /** Continuation lines written so far, over all sessions. */
  trickled: number;
  /** Resolves once the server has started trickling its reply to `verb`. */
  trickling: Promise<void>;
  close(): Promise<void>;
}

/**
 * A raw SMTP server that greets at once, then answers `verb` (EHLO by default) with a `250-`
 * continuation line every `intervalMs`, never the final line: each line restarts an idle timeout,
 * so only a total deadline ends the wait. Other verbs get `250 OK`.
 */
export async function startTrickleSmtpServer(
  options: { verb?: string; intervalMs?: number } = {},
): Promise<TrickleServer> {
  const { createServer } = await import('node:net');
  const verb = (options.verb ?? 'EHLO').toUpperCase();
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { trickled: 0 };
  const received: string[] = [];
  let started: () => void = () => {};
  const trickling = new Promise<void>((resolve) => (started = resolve));
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.write('220 trickle.test ESMTP\r\n');
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        received.push(line);
        const v = line.split(/[ :]/)[0]!.toUpperCase();
        if (v !== verb) {
          socket.write(v === 'QUIT' ? '221 Bye\r\n' : '250 OK\r\n');
          continue;
        }
        started();
        const timer = setInterval(() => {
          if (socket.destroyed) {
            clearInterval(timer);
            timers.delete(timer);
            return;
          }
          state.trickled += 1;
          socket.write(`250-still thinking ${state.trickled}\r\n`);
        }, options.intervalMs ?? 1000);
        timers.add(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('trickle server has no port');
  return {
    port: address.port,
    received,
    get trickled() {
      return state.trickled;
    },
    trickling,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
