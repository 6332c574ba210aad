/**
 * Real servers on 127.0.0.1 port 0 for the --connect tests: smtp-server in plain, STARTTLS-required
 * and implicit-TLS modes (with a certificate from ./cert.ts), a TCP server that never greets, and an
 * HTTP server standing in for the SendGrid and Resend APIs.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Cert } from './cert.js';

export const USER = 'ops@example.com';
export const PASSWORD = 'Tr0ub4dor&3-not-in-any-output';
export const FROM = 'ops@example.com';
/** MAIL FROM addresses the test servers refuse. */
export const DEFER_FROM = 'defer@example.com';
export const REFUSE_FROM = 'refuse@example.com';

export type SmtpMode = 'plain' | 'starttls' | 'implicit';

export interface SmtpHandle {
  port: number;
  /** EHLO names the server saw, in order. */
  ehlo: string[];
  /** MAIL FROM addresses the server saw. */
  mailFrom: string[];
  /** Commands after MAIL FROM that must never come (DATA, RCPT). */
  forbidden: string[];
  /** Whether each MAIL FROM arrived over TLS. */
  secureAtMail: boolean[];
  close(): Promise<void>;
}

export interface SmtpOptions {
  mode: SmtpMode;
  cert?: Cert;
  /** Require AUTH (else AUTH is optional). */
  auth?: boolean;
  extra?: Partial<SMTPServerOptions>;
}

export async function startSmtp(options: SmtpOptions): Promise<SmtpHandle> {
  const handle: Omit<SmtpHandle, 'port' | 'close'> = { ehlo: [], mailFrom: [], forbidden: [], secureAtMail: [] };
  const tls = options.cert ? { key: options.cert.key, cert: options.cert.cert } : {};
  const server = new SMTPServer({
    ...tls,
    secure: options.mode === 'implicit',
    name: 'mx.test.invalid',
    banner: 'mailctl test server',
    authOptional: options.auth !== true,
    authMethods: ['PLAIN', 'LOGIN'],
    // Plain mode: no TLS at all, AUTH in clear (a lab relay). STARTTLS mode: AUTH only after TLS.
    disabledCommands: options.mode === 'plain' ? ['STARTTLS'] : [],
    allowInsecureAuth: options.mode === 'plain',
    logger: false,
    disableReverseLookup: true,
    onConnect(_session, cb) {
      cb();
    },
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASSWORD) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onMailFrom(address, session, cb) {
      handle.mailFrom.push(address.address);
      handle.ehlo.push(session.hostNameAppearsAs);
      handle.secureAtMail.push(session.secure);
      if (options.mode === 'starttls' && !session.secure)
        return cb(Object.assign(new Error('Must issue a STARTTLS command first'), { responseCode: 530 }));
      if (address.address === DEFER_FROM)
        return cb(
          Object.assign(new Error('4.7.1 Sender temporarily rejected, try again later'), { responseCode: 451 }),
        );
      if (address.address === REFUSE_FROM)
        return cb(Object.assign(new Error('5.7.1 Sender address not allowed for this account'), { responseCode: 550 }));
      cb();
    },
    onRcptTo(_address, _session, cb) {
      handle.forbidden.push('RCPT');
      cb(new Error('the probe must not send RCPT'));
    },
    onData(stream, _session, cb) {
      handle.forbidden.push('DATA');
      stream.resume();
      stream.on('end', () => cb(new Error('the probe must not send DATA')));
    },
    ...options.extra,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { ...handle, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Accepts TCP connections and never says a word (a firewall-terminated port, or TLS-only on 465). */
export async function startSilent(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends exactly these bytes on connect, then answers each line from `replies` in order. */
export async function startScripted(
  greeting: string,
  replies: string[] = [],
): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.write(greeting);
    let buf = '';
    let i = 0;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        received.push(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
        const answer = replies[i++];
        if (answer !== undefined) s.write(answer);
        else s.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface HttpHandle {
  url: string;
  /** `METHOD path authorization` of each request. */
  requests: { method: string; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startHttp(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpHandle> {
  const requests: HttpHandle['requests'] = [];
  const server = createHttpServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Keys the fake SendGrid and Resend APIs know. */
export const SG_GOOD = 'SG.good-key-with-mail-send.0123456789abcdef';
export const SG_NO_SEND = 'SG.key-without-mail-send.0123456789abcdef';
export const RE_GOOD = 're_good_key_0123456789abcdef';
export const RE_SEND_ONLY = 're_send_only_key_0123456789';

/** SendGrid's GET /v3/scopes and Resend's GET /domains, as their documentation shows them. */
export function fakeApis(req: IncomingMessage, res: ServerResponse): void {
  const auth = req.headers.authorization ?? '';
  if (req.method === 'GET' && req.url === '/v3/scopes') {
    if (auth === `Bearer ${SG_GOOD}`) return json(res, 200, { scopes: ['mail.send', 'alerts.read', 'scopes.read'] });
    if (auth === `Bearer ${SG_NO_SEND}`) return json(res, 200, { scopes: ['alerts.read', 'stats.read'] });
    if (auth === 'Bearer SG.rate-limited')
      return json(res, 429, { errors: [{ message: 'too many requests' }] }, { 'x-ratelimit-reset': '1767225600' });
    if (auth === 'Bearer SG.server-error') return json(res, 503, { errors: [{ message: 'service unavailable' }] });
    return json(res, 401, { errors: [{ field: null, message: 'authorization required' }] });
  }
  if (req.method === 'GET' && req.url === '/domains') {
    if (auth === `Bearer ${RE_GOOD}`) {
      return json(res, 200, {
        data: [
          { id: '1', name: 'example.com', status: 'verified' },
          { id: '2', name: 'pending.example', status: 'pending' },
        ],
      });
    }
    if (auth === `Bearer ${RE_SEND_ONLY}`)
      return json(res, 401, {
        statusCode: 401,
        message: 'This API key is restricted to only send emails',
        name: 'restricted_api_key',
      });
    return json(res, 403, { statusCode: 403, message: 'API key is invalid', name: 'validation_error' });
  }
  json(res, 404, { errors: [{ message: 'not found' }] });
}
