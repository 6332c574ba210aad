/**
 * One SMTP connection of the drain's pipelined client: connect (plain, implicit TLS or STARTTLS,
 * exactly as the contract's TLS table says), greeting, EHLO, AUTH (PLAIN, LOGIN, CRAM-MD5,
 * XOAUTH2), then any number of transactions on the same connection.
 *
 * Guarantees:
 * - With PIPELINING (RFC 2920) MAIL FROM, every RCPT TO and DATA go out in one write, the message
 *   (dot-stuffed) in a second; without it, one command at a time. The message is sent only after
 *   the server's 354, and a send resolves only on the server's 2xx to the data.
 * - Every wait has a bound: SMTP_CONNECT_TIMEOUT for the connection, SMTP_GREETING_TIMEOUT for
 *   the greeting, SMTP_SOCKET_TIMEOUT for each reply (counted from the request, not reset by a
 *   trickle of bytes); the caller's signal (total deadline, shutdown) abandons the connection.
 * - A failure is thrown in nodemailer's shape (failure.ts) so classify.ts words it as before; a
 *   failure marks the session unusable, and `lostBeforeMail` says that nothing of this message
 *   reached the server (the pool may then try a fresh connection once).
 * - Credentials go only to the socket: the transcript masks AUTH (transcript.ts), and a server
 *   that quotes them back in its refusal has them replaced by `********` in the error.
 */
import { createHmac } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { xoauth2Payload, type TokenSource } from '../oauth2.js';
import { transcriptLines } from '../transcript.js';
import { dotStuffChunks } from './dot-stuff.js';
import { abortFailure, smtpFailure, timeoutFailure, type SmtpFailure } from './failure.js';
import { ReplyParser, ReplyTooLongError, type SmtpReply } from './replies.js';

export type SmtpLogin =
  { method: 'password'; user: string; pass: string } | { method: 'oauth2'; user: string; tokens: TokenSource };

export interface SessionOptions {
  host: string;
  port: number;
  mode: 'plain' | 'implicit' | 'starttls';
  /** rejectUnauthorized, servername, minVersion: the same for implicit TLS and STARTTLS. */
  tls: ConnectionOptions;
  /** The EHLO name (SMTP_LOCAL_HOSTNAME, else {@link defaultEhloName}). */
  ehloName: string;
  timeouts: { connect: number; greeting: number; socket: number };
  login?: SmtpLogin | undefined;
  /** Receives the dialogue line by line, AUTH masked (`drain --debug`). */
  transcript?: ((line: string) => void) | undefined;
}

export interface Envelope {
  from: string;
  to: readonly string[];
}

export interface Sent {
  /** The server's reply to the data, e.g. `250 2.0.0 Ok: queued as 4F2A1`. */
  response: string;
  accepted: string[];
  rejected: string[];
}

/** The failure of a send on a connection that was gone before the server saw this message. */
export interface LostBeforeMail {
  lostBeforeMail?: boolean;
}

const MASK = '********';

/** nodemailer's default EHLO name: the host name when it is a FQDN, else `[127.0.0.1]`. */
export function defaultEhloName(name: string = safeHostname()): string {
  if (!name.includes('.')) return '[127.0.0.1]';
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? `[${name}]` : name;
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return 'localhost';
  }
}

interface Waiter {
  resolve: (reply: SmtpReply) => void;
  reject: (err: Error) => void;
  timeoutMs: number;
  timeout: () => SmtpFailure;
}

let sessionCount = 0;

export class SmtpSession {
  /** Transactions completed on this connection. */
  messages = 0;
  private socket: Socket | TLSSocket;
  private parser = new ReplyParser();
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: SmtpFailure | undefined;
  private readonly id = String(++sessionCount);
  private readonly inAuth = new Map<string, boolean>();
  private pipelining = false;
  private smtpUtf8 = false;
  /** Secrets sent in AUTH, to be masked if the server quotes them back. */
  private sentSecrets: string[] = [];

  private constructor(
    socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Connects, reads the greeting, says EHLO, upgrades and logs in as configured. */
  static async open(options: SessionOptions, signal: AbortSignal): Promise<SmtpSession> {
    const socket = await connectSocket(options, signal);
    const session = new SmtpSession(socket, options);
    session.log('network', `Connection established to ${options.host}:${options.port}`);
    const onAbort = (): void => session.fail(abortFailure());
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) onAbort();
      await session.handshake();
      return session;
    } catch (err) {
      session.destroy();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Whether another transaction may start on this connection. */
  get usable(): boolean {
    return this.failure === undefined && !this.socket.destroyed;
  }

  /** One transaction: resolves on the server's 2xx to the data, throws a failure otherwise. */
  async send(envelope: Envelope, raw: Buffer, signal: AbortSignal): Promise<Sent> {
    const onAbort = (): void => this.fail(abortFailure());
    signal.addEventListener('abort', onAbort, { once: true });
    let mailAnswered = false;
    try {
      if (signal.aborted) onAbort();
      if (this.failure) throw this.failure;
      const utf8 = this.smtpUtf8 && [envelope.from, ...envelope.to].some((a) => /[^\x00-\x7f]/.test(a));
      const mail = `MAIL FROM:<${envelope.from}>${utf8 ? ' SMTPUTF8' : ''}`;
      const accepted: string[] = [];
      const rejected: { to: string; reply: string }[] = [];
      let mailError: SmtpFailure | undefined;
      let dataReply: SmtpReply;
      if (this.pipelining) {
        // Plain loops, not spreads and map(): their arrays changed kind once V8 optimised the
        // callers, and this function was recompiled again and again (--trace-deopt, "wrong map").
        const commands: string[] = [mail];
        for (const to of envelope.to) commands.push(`RCPT TO:<${to}>`);
        commands.push('DATA');
        const replies: Promise<SmtpReply>[] = [];
        for (let i = 0; i < commands.length; i++) {
          const reply = this.next();
          // Read in order below; one failure rejects them all, so none may be left unhandled meanwhile.
          reply.catch(() => {});
          replies.push(reply);
        }
        this.write(commands);
        const mailReply = await replies[0]!;
        mailAnswered = mailReply.code !== 421;
        mailError = mailFailure(mailReply);
        if (mailReply.code === 421) throw mailError!;
        for (let i = 0; i < envelope.to.length; i++) {
          const reply = await replies[i + 1]!;
          this.checkClosing(reply, mailError);
          if (reply.text[0] === '2') accepted.push(envelope.to[i]!);
          else rejected.push({ to: envelope.to[i]!, reply: reply.text });
        }
        dataReply = await replies[commands.length - 1]!;
        this.checkClosing(dataReply, mailError);
        const refused = mailError ?? allRejected(accepted, rejected, dataReply.text);
        if (refused) {
          // The server took DATA although it refused the envelope: end the empty message.
          if (dataReply.text[0] === '3') {
            if (mailError) this.destroy();
            else await this.command(['.']);
          }
          throw refused;
        }
      } else {
        const mailReply = await this.command([mail]);
        mailAnswered = mailReply.code !== 421;
        mailError = mailFailure(mailReply);
        if (mailError) throw mailError;
        let last = mailReply;
        for (const to of envelope.to) {
          last = await this.command([`RCPT TO:<${to}>`]);
          this.checkClosing(last, undefined);
          if (last.text[0] === '2') accepted.push(to);
          else rejected.push({ to, reply: last.text });
        }
        const refused = allRejected(accepted, rejected, last.text);
        if (refused) throw refused;
        dataReply = await this.command(['DATA']);
        this.checkClosing(dataReply, undefined);
      }
      if (!/^[23]/.test(dataReply.text)) throw smtpFailure('Data command failed', 'EENVELOPE', dataReply.text, 'DATA');

      const data = dotStuffChunks(raw);
      const final = this.next();
      this.socket.cork();
      let bytes = 0;
      for (const chunk of data) {
        this.socket.write(chunk);
        bytes += chunk.length;
      }
      this.socket.uncork();
      this.log('message', `<${bytes} bytes encoded mime message (source size ${raw.length} bytes)>`);
      const reply = await final;
      if (reply.text[0] !== '2') throw smtpFailure('Message failed', 'EMESSAGE', reply.text, 'DATA');
      this.messages += 1;
      return { response: reply.text, accepted, rejected: rejected.map((r) => r.to) };
    } catch (err) {
      if (!mailAnswered) (err as LostBeforeMail).lostBeforeMail = true;
      // A refusal leaves the connection in a state we do not track further: start afresh.
      this.quit();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Says QUIT without waiting, then closes. Safe to call twice. */
  quit(): void {
    if (this.failure === undefined && !this.socket.destroyed && this.socket.writable) {
      this.log('client', 'QUIT');
      this.socket.end('QUIT\r\n');
      this.fail(smtpFailure('Connection closed', 'ECONNECTION', undefined, 'CONN'), false);
      // The server's 221 is not waited for; a server that never closes is closed for it.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else this.destroy();
  }

  destroy(): void {
    this.fail(smtpFailure('Connection closed', 'ECONNECTION', undefined, 'CONN'));
    this.socket.destroy();
  }

  // --- the handshake -------------------------------------------------------------------------

  private async handshake(): Promise<void> {
    const { timeouts, mode } = this.options;
    const greeting = await this.next(timeouts.greeting, () =>
      timeoutFailure('Greeting never received', 'GREETING_TIMEOUT'),
    );
    if (!greeting.text.startsWith('220'))
      throw smtpFailure(`Invalid greeting. response=${greeting.text}`, 'EPROTOCOL', greeting.text, 'CONN');
    let ehlo = await this.ehlo();
    if (mode === 'starttls') {
      // Required: asked even when not offered, so that the refusal is the server's own words.
      const reply = await this.command(['STARTTLS']);
      if (reply.text[0] !== '2')
        throw smtpFailure('Error upgrading connection with STARTTLS', 'ETLS', reply.text, 'STARTTLS');
      await this.upgrade();
      ehlo = await this.ehlo();
    }
    if (ehlo === undefined) return; // HELO: no extensions; nodemailer then tries AUTH anyway
    this.pipelining = /[ -]PIPELINING\b/im.test(ehlo);
    this.smtpUtf8 = /[ -]SMTPUTF8\b/im.test(ehlo);
    const login = this.options.login;
    if (login && /[ -]AUTH\b/i.test(ehlo)) await this.authenticate(login, authMechanisms(ehlo));
  }

  /** EHLO, falling back to HELO as nodemailer does; the EHLO reply, or undefined after HELO. */
  private async ehlo(): Promise<string | undefined> {
    const reply = await this.command([`EHLO ${this.options.ehloName}`]);
    if (reply.code === 421)
      throw smtpFailure(`Server terminates connection. response=${reply.text}`, 'ECONNECTION', reply.text, 'EHLO');
    if (reply.text[0] === '2') return reply.text;
    if (this.options.mode === 'starttls')
      throw smtpFailure(
        `EHLO failed but HELO does not support required STARTTLS. response=${reply.text}`,
        'ECONNECTION',
        reply.text,
        'EHLO',
      );
    const helo = await this.command([`HELO ${this.options.ehloName}`]);
    if (helo.text[0] !== '2') throw smtpFailure(`Invalid HELO. response=${helo.text}`, 'EPROTOCOL', helo.text, 'HELO');
    const login = this.options.login;
    if (login) await this.authenticate(login, []);
    return undefined;
  }

  /**
   * STARTTLS: TLS over the same socket. Whatever the server sent after its 220 is dropped, never
   * read inside the encrypted session (CVE-2011-0411: injected plaintext commands).
   */
  private async upgrade(): Promise<void> {
    const plain = this.socket;
    this.unlisten(plain);
    plain.on('error', () => {});
    this.parser = new ReplyParser();
    const secure = tlsConnect({ ...this.options.tls, socket: plain, host: this.options.host });
    try {
      // A failed handshake reaches nodemailer as a socket error (ESOCKET, the OpenSSL code kept): the same here.
      await settle(secure, 'secureConnect', this.options.timeouts.socket, undefined, (err) =>
        smtpFailure(err, 'ESOCKET', undefined, 'CONN'),
      );
    } catch (err) {
      plain.destroy();
      throw err;
    }
    this.socket = secure;
    this.listen(secure);
    this.log('network', 'Connection upgraded with STARTTLS');
  }

  private async authenticate(login: SmtpLogin, offered: readonly string[]): Promise<void> {
    if (login.method === 'oauth2') return this.xoauth2(login.user, login.tokens);
    const { user, pass } = login;
    const method = ['PLAIN', 'LOGIN', 'CRAM-MD5'].find((m) => offered.includes(m)) ?? 'PLAIN';
    const command = `AUTH ${method}`;
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    this.sentSecrets.push(user, pass, b64(user), b64(pass), b64(`\u0000${user}\u0000${pass}`));
    let reply: SmtpReply;
    if (method === 'PLAIN') {
      reply = await this.command([`AUTH PLAIN ${b64(`\u0000${user}\u0000${pass}`)}`]);
    } else if (method === 'LOGIN') {
      reply = await this.command(['AUTH LOGIN']);
      if (!/^334[ -]/.test(reply.text))
        throw this.authFailure('Invalid login sequence while waiting for "334 VXNlcm5hbWU6"', reply, command);
      reply = await this.command([b64(user)]);
      if (!/^334[ -]/.test(reply.text))
        throw this.authFailure('Invalid login sequence while waiting for "334 UGFzc3dvcmQ6"', reply, command);
      reply = await this.command([b64(pass)]);
    } else {
      reply = await this.command(['AUTH CRAM-MD5']);
      const challenge = /^334\s+(.+)$/.exec(reply.text)?.[1];
      if (!challenge)
        throw this.authFailure('Invalid login sequence while waiting for server challenge string', reply, command);
      const digest = createHmac('md5', pass).update(Buffer.from(challenge, 'base64')).digest('hex');
      reply = await this.command([b64(`${user} ${digest}`)]);
    }
    await this.authComplete(reply, command);
  }

  /**
   * XOAUTH2 as nodemailer does it: a 334 (Google's error challenge) is answered with an empty
   * line; a refusal after a challenge is tried once more on this connection with a renewed token.
   */
  private async xoauth2(user: string, tokens: TokenSource, renewed = false, refused?: string): Promise<void> {
    const token = (renewed ? await tokens.renew(refused) : await tokens.get()).value;
    const payload = Buffer.from(xoauth2Payload(user, token), 'utf8').toString('base64');
    this.sentSecrets.push(token, payload);
    let reply = await this.command([`AUTH XOAUTH2 ${payload}`]);
    if (reply.text.startsWith('334')) {
      reply = await this.command(['']);
      if (!renewed && reply.text[0] !== '2') return this.xoauth2(user, tokens, true, token);
    }
    await this.authComplete(reply, 'AUTH XOAUTH2');
  }

  private async authComplete(first: SmtpReply, command: string): Promise<void> {
    let reply = first;
    if (reply.text.startsWith('334')) reply = await this.command(['']);
    if (reply.text[0] !== '2') throw this.authFailure('Invalid login', reply, command);
  }

  /** EAUTH with the server's reply, any credential it quotes back replaced. */
  private authFailure(message: string, reply: SmtpReply, command: string): SmtpFailure {
    let text = reply.text;
    for (const secret of this.sentSecrets) if (secret.length >= 3) text = text.split(secret).join(MASK);
    return smtpFailure(message, 'EAUTH', text, command);
  }

  // --- the wire --------------------------------------------------------------------------------

  /** Writes command lines in one write and waits for the reply to the last (one command: its reply). */
  private command(lines: string[]): Promise<SmtpReply> {
    const reply = this.next();
    this.write(lines);
    return reply;
  }

  private write(lines: string[]): void {
    if (this.failure) return;
    if (this.options.transcript) for (const line of lines) this.log('client', line);
    this.socket.write(lines.length === 1 ? `${lines[0]}\r\n` : `${lines.join('\r\n')}\r\n`);
  }

  /** The next reply, bounded by `timeoutMs` from now (per reply; a trickle does not extend it). */
  private next(
    timeoutMs = this.options.timeouts.socket,
    timeout: () => SmtpFailure = () => timeoutFailure('Timeout', 'SOCKET_TIMEOUT'),
  ): Promise<SmtpReply> {
    return new Promise<SmtpReply>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiters.push({ resolve, reject, timeoutMs, timeout });
      if (this.waiters.length === 1) this.arm();
    });
  }

  private arm(): void {
    const head = this.waiters[0];
    if (this.timer) clearTimeout(this.timer);
    this.timer = head ? setTimeout(() => this.fail(head.timeout()), head.timeoutMs) : undefined;
  }

  private readonly onData = (chunk: Buffer): void => {
    let replies: SmtpReply[];
    try {
      replies = this.parser.feed(chunk);
    } catch (err) {
      if (!(err instanceof ReplyTooLongError)) throw err;
      this.fail(smtpFailure('Server response exceeds maximum allowed size', 'EPROTOCOL', undefined, 'CONN'));
      return;
    }
    for (const reply of replies) {
      this.log('server', reply.text);
      const waiter = this.waiters.shift();
      if (!waiter) {
        // Nothing asked: a 421 or other notice on an idle connection. It cannot carry a transaction now.
        this.fail(smtpFailure('Unexpected Response', 'EPROTOCOL', reply.text, 'CONN'));
        this.socket.destroy();
        return;
      }
      if (reply.code === 421) {
        // RFC 5321 §3.8: the server closes the channel; this reply is the command's own answer.
        waiter.resolve(reply);
        this.fail(smtpFailure('Server closed the connection', 'ECONNECTION', reply.text, 'CONN'));
        return;
      }
      waiter.resolve(reply);
    }
    if (replies.length > 0) this.arm();
  };

  private readonly onError = (err: Error): void => this.fail(smtpFailure(err, 'ESOCKET', undefined, 'CONN'));

  private readonly onClose = (): void => {
    const rest = this.parser.remainder();
    const response = rest !== undefined && /^[45]\d{2}[ -]/.test(rest) ? rest : undefined;
    this.fail(smtpFailure('Connection closed unexpectedly', 'ECONNECTION', response, 'CONN'));
  };

  private listen(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onClose);
    socket.on('close', this.onClose);
  }

  private unlisten(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('end', this.onClose);
    socket.off('close', this.onClose);
  }

  /** The first failure sticks: every waiting reply gets it, and the connection is done. */
  private fail(err: SmtpFailure, destroy = true): void {
    if (this.failure) return;
    this.failure = err;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
    if (destroy) this.socket.destroy();
    this.log('network', 'Connection closed');
  }

  /** A 421 to a command after MAIL FROM: the server closes; nodemailer reports the MAIL error, or this. */
  private checkClosing(reply: SmtpReply, mailError: SmtpFailure | undefined): void {
    if (reply.code !== 421) return;
    throw mailError ?? smtpFailure('Server closed the connection', 'ECONNECTION', reply.text, 'CONN');
  }

  private log(tnx: 'client' | 'server' | 'network' | 'message', text: string): void {
    const write = this.options.transcript;
    if (!write) return;
    const entry = tnx === 'message' ? { tnx, cid: this.id, outByteCount: 1 } : { tnx, cid: this.id };
    for (const line of transcriptLines(entry, text, this.inAuth)) write(line);
  }
}

/** The MAIL FROM refusal (nodemailer's words), or undefined when it was accepted. */
function mailFailure(reply: SmtpReply): SmtpFailure | undefined {
  return reply.text[0] === '2' ? undefined : smtpFailure('Mail command failed', 'EENVELOPE', reply.text, 'MAIL FROM');
}

/** Every recipient refused: a deferral wins over a permanent refusal (nodemailer's rule). */
function allRejected(
  accepted: readonly string[],
  rejected: readonly { to: string; reply: string }[],
  last: string,
): SmtpFailure | undefined {
  if (accepted.length > 0) return undefined;
  const deferred = rejected.find((r) => /^4/.test(r.reply));
  const reply = deferred?.reply ?? rejected[rejected.length - 1]?.reply ?? last;
  return smtpFailure("Can't send mail - all recipients were rejected", 'EENVELOPE', reply, 'RCPT TO');
}

/** The SASL mechanisms an EHLO reply offers, upper-cased (`AUTH PLAIN LOGIN`, `AUTH=LOGIN`). */
function authMechanisms(ehlo: string): string[] {
  const found: string[] = [];
  for (const line of ehlo.split('\n')) {
    const m = /^\d{3}[ -]AUTH[\s=](.*)$/i.exec(line.trim());
    if (m) for (const mech of m[1]!.split(/[\s=]+/)) if (mech) found.push(mech.toUpperCase());
  }
  return found;
}

/** The TCP (or implicit TLS) connection, bounded by SMTP_CONNECT_TIMEOUT. */
async function connectSocket(options: SessionOptions, signal: AbortSignal): Promise<Socket> {
  const { host, port } = options;
  const socket = options.mode === 'implicit' ? tlsConnect({ ...options.tls, host, port }) : netConnect({ host, port });
  socket.setNoDelay(true);
  await settle(
    socket,
    options.mode === 'implicit' ? 'secureConnect' : 'connect',
    options.timeouts.connect,
    signal,
    (err) => smtpFailure(err, 'ESOCKET', undefined, 'CONN'),
  );
  return socket;
}

/** Waits for `event` once; an error, the timeout or an abort fails it (and destroys the socket). */
function settle(
  socket: Socket,
  event: 'connect' | 'secureConnect',
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onError: (err: Error) => SmtpFailure,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: SmtpFailure): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off(event, onOk);
      socket.off('error', onFail);
      if (!err) return resolve();
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    };
    const onOk = (): void => done();
    const onFail = (err: Error): void => done(onError(err));
    const onAbort = (): void => done(abortFailure());
    const timer = setTimeout(() => done(timeoutFailure('Connection timeout', 'CONNECT_TIMEOUT')), timeoutMs);
    socket.once(event, onOk);
    socket.once('error', onFail);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}
