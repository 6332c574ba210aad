/**
 * `verify-config --connect` for smtp: a staged probe that prints what swaks would show —
 * resolve, connect, greeting, EHLO, STARTTLS or implicit TLS, AUTH, MAIL FROM, RSET, QUIT —
 * each with its timing and the server's exact reply. It never sends DATA, so nothing is
 * delivered. A raw client over net/tls (not nodemailer) because the probe must report every
 * reply line and stop at the exact stage that failed.
 */
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Config } from '../config/index.js';
import { tlsMode } from '../config/describe.js';
import { DeliveryError, ExitCode, ProbeFailure, WireError } from '../errors.js';
import { parseMailbox } from '../message/address.js';
import { XOAUTH2_REFUSED_HINT } from './classify.js';
import { tokenSourceFor, xoauth2Payload, type TokenSource } from './oauth2.js';
import { StageRecorder } from './stage-recorder.js';
import type { ProbeDeps, ProbeReport, ProbeStage } from './types.js';

/** One SMTP reply: its code and every line as the server sent it. */
export interface SmtpReply {
  code: number;
  /** The lines without CRLF, e.g. `250-PIPELINING`, `250 SIZE 10240000`. */
  lines: string[];
}

// A reply line longer than this, or a reply with more lines, is not SMTP (RFC 5321 §4.5.3.1.5
// allows 512 octets a line; we are generous but bounded).
const MAX_BUFFER = 64 * 1024;
const MAX_LINES = 200;
const LINE = /^(\d{3})([ -]|$)(.*)$/;

export class SmtpWire {
  private socket: Socket | TLSSocket;
  private buffer = '';
  private lines: string[] = [];
  private failure: WireError | undefined;
  private notify: (() => void) | undefined;
  /** False between STARTTLS and the end of the handshake: nothing may be written then. */
  attached = true;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (this.buffer.length > MAX_BUFFER || this.lines.length > MAX_LINES) {
      this.fail(new WireError('protocol', 'the server sent a line too long for SMTP'));
    }
    this.notify?.();
  };
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.fail(new WireError('error', err.message, err.code));
  };
  private readonly onClose = (): void => {
    this.fail(new WireError('closed', 'the server closed the connection'));
  };

  constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    this.listen(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onClose);
    socket.on('close', this.onClose);
  }

  private fail(err: WireError): void {
    this.failure ??= err;
    this.notify?.();
  }

  /**
   * Stops reading from the plain socket before a STARTTLS handshake. Anything the server sent
   * after its 220 is thrown away: accepting it would let a man in the middle inject replies
   * into the encrypted session (CVE-2011-0411 class).
   */
  detach(): Socket | TLSSocket {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('error', this.onError);
    s.off('end', this.onClose);
    s.off('close', this.onClose);
    // From now on the TLS socket that wraps it reports errors; never leave one unhandled.
    s.on('error', () => {});
    this.attached = false;
    this.buffer = '';
    this.lines = [];
    return s;
  }

  /** Continues on the TLS socket that wraps the detached one. */
  attach(socket: TLSSocket): void {
    this.socket = socket;
    this.attached = true;
    this.failure = undefined;
    this.listen(socket);
  }

  write(line: string): void {
    if (this.attached && !this.socket.destroyed) this.socket.write(`${line}\r\n`);
  }

  /** Waits for one complete reply (all continuation lines). */
  readReply(timeoutMs: number, signal: AbortSignal): Promise<SmtpReply> {
    return new Promise<SmtpReply>((resolve, reject) => {
      const finish = (result: SmtpReply | WireError): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.notify = undefined;
        if (result instanceof WireError) reject(result);
        else resolve(result);
      };
      const onAbort = (): void => finish(new WireError('aborted', 'interrupted'));
      const timer = setTimeout(() => finish(new WireError('timeout', `no reply within ${timeoutMs} ms`)), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      const check = (): void => {
        for (let i = 0; i < this.lines.length; i++) {
          const m = LINE.exec(this.lines[i]!);
          if (!m) {
            finish(
              new WireError(
                'protocol',
                `the server sent a line that is not an SMTP reply: ${JSON.stringify(this.lines[i]!.slice(0, 120))}`,
              ),
            );
            return;
          }
          if (m[1] !== LINE.exec(this.lines[0]!)?.[1]) {
            finish(new WireError('protocol', `the reply mixes codes ${this.lines[0]!.slice(0, 3)} and ${m[1]}`));
            return;
          }
          if (m[2] !== '-') {
            const lines = this.lines.splice(0, i + 1);
            finish({ code: Number(m[1]), lines });
            return;
          }
        }
        if (this.failure) finish(this.failure);
      };
      this.notify = check;
      if (signal.aborted) onAbort();
      else check();
    });
  }

  /** Sends one command and waits for its reply. */
  async command(line: string, timeoutMs: number, signal: AbortSignal): Promise<SmtpReply> {
    this.write(line);
    return this.readReply(timeoutMs, signal);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The text of a reply on one line: `250 ok` or, for several lines, joined with ` | `. */
export function replyText(reply: SmtpReply): string {
  return reply.lines.map((l, i) => (i === 0 ? l : l.slice(4))).join(' | ');
}

/** EHLO keywords and their parameters, upper-cased keywords (RFC 5321 §4.1.1.1). */
export function ehloExtensions(reply: SmtpReply): Map<string, string[]> {
  const ext = new Map<string, string[]>();
  for (const line of reply.lines.slice(1)) {
    const [kw, ...params] = line.slice(4).trim().split(/\s+/);
    if (kw)
      ext.set(
        kw.toUpperCase(),
        params.map((p) => p.toUpperCase()),
      );
  }
  // Some servers send `AUTH=LOGIN PLAIN` (pre-standard form) as well as or instead of `AUTH`.
  for (const line of reply.lines.slice(1)) {
    const m = /^AUTH=(.*)$/i.exec(line.slice(4).trim());
    if (m && !ext.has('AUTH')) ext.set('AUTH', m[1]!.toUpperCase().split(/\s+/));
  }
  return ext;
}

// ---------------------------------------------------------------------------------------------
// The probe

interface SmtpSettings {
  server: string;
  port: number;
  mode: 'plain' | 'implicit' | 'starttls';
  verify: boolean;
  ehloName: string;
  /** Whether the EHLO name came from SMTP_LOCAL_HOSTNAME (else the machine's host name). */
  ehloNameConfigured: boolean;
  username: string | undefined;
  password: string | undefined;
  from: string | undefined;
  connectTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

function settingsOf(config: Config, deps: ProbeDeps): SmtpSettings {
  const v = config.values;
  const mode = tlsMode(v['smtp.useTls'], v['smtp.opportunisticTls']);
  const configured = v['smtp.localHostname'];
  return {
    server: v['smtp.server'] ?? '',
    port: v['smtp.port'] ?? 25,
    // 'invalid' never gets here: verify-config skips --connect while the config has errors.
    mode: mode === 'invalid' ? 'starttls' : mode,
    verify: v['smtp.tlsVerify'] !== false,
    ehloName: configured ?? deps.hostname ?? 'localhost',
    ehloNameConfigured: configured !== undefined,
    username: v['smtp.username'],
    password: v['smtp.password'],
    from: v.defaultFrom === undefined ? undefined : parseMailbox(v.defaultFrom)?.address,
    connectTimeout: v['smtp.connectTimeout'],
    greetingTimeout: v['smtp.greetingTimeout'],
    socketTimeout: v['smtp.socketTimeout'],
  };
}

const MASK = '********';

export async function probeSmtp(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  const s = settingsOf(config, deps);
  const rec = new StageRecorder(() => deps.clock.now());
  const { signal } = deps;
  let socket: Socket | TLSSocket | undefined;
  let wire: SmtpWire | undefined;
  try {
    const addresses = await rec.stage('resolve', s.server, async (stage) => {
      const found = await resolveHost(
        s.server,
        s.connectTimeout,
        signal,
        deps.lookup ?? ((host) => lookup(host, { all: true })),
      );
      stage.reply = isIP(s.server) ? 'an IP address: no lookup' : found.join(', ');
      return found;
    });

    const tcp = await rec.stage('connect', `${s.server}:${s.port}`, async (stage) => {
      const sock = await connectAny(addresses, s, signal);
      stage.reply = `connected to ${sock.remoteAddress ?? '?'}:${sock.remotePort ?? s.port} from ${sock.localAddress ?? '?'}`;
      return sock;
    });
    socket = tcp;

    if (s.mode === 'implicit') {
      socket = await rec.stage('tls', 'TLS handshake (implicit TLS)', (stage) =>
        upgrade(tcp, s, s.connectTimeout, signal, stage, deps.clock.now()),
      );
    }
    wire = new SmtpWire(socket);
    const w = wire;

    await rec.stage('greeting', undefined, async (stage) => {
      const reply = await read(w, s.greetingTimeout, signal, 'greeting', s);
      stage.reply = replyText(reply);
      if (reply.code === 220) return;
      throw refusal(reply, 'greeting', s);
    });

    let ext = await ehlo(rec, w, s, signal, 'ehlo');
    let secure = s.mode === 'implicit';

    if (s.mode === 'starttls') {
      if (!ext.has('STARTTLS')) {
        await rec.stage('starttls', undefined, () => {
          throw new ProbeFailure(
            ExitCode.UNAVAILABLE,
            'the server does not offer STARTTLS, which SMTP_OPPORTUNISTIC_TLS=true requires',
            s.port === 465
              ? 'port 465 speaks implicit TLS: set SMTP_OPPORTUNISTIC_TLS=false'
              : 'use the port your provider gives for STARTTLS (usually 587), or implicit TLS on 465',
            'STARTTLS not in the EHLO reply',
          );
        });
      }
      await rec.stage('starttls', 'STARTTLS', async (stage) => {
        const reply = await w
          .command('STARTTLS', s.socketTimeout, signal)
          .catch((e: unknown) => rethrowWire(e, 'STARTTLS', s));
        stage.reply = replyText(reply);
        if (reply.code !== 220) throw refusal(reply, 'STARTTLS', s);
      });
      const plain = w.detach();
      const tlsSocket = await rec.stage('tls', 'TLS handshake (STARTTLS)', (stage) =>
        upgrade(plain, s, s.socketTimeout, signal, stage, deps.clock.now()),
      );
      socket = tlsSocket;
      w.attach(tlsSocket);
      secure = true;
      // RFC 3207 §4.2: the client must discard what it knew and ask again.
      ext = await ehlo(rec, w, s, signal, 'ehlo');
    } else if (s.mode === 'plain' && ext.has('STARTTLS')) {
      const last = rec.stages[rec.stages.length - 1];
      if (last)
        last.warning = joinWarnings(
          last.warning,
          'the server offers STARTTLS but SMTP_USE_TLS=false: mail and any password cross the network unencrypted (set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true)',
        );
    }

    if (s.username !== undefined) {
      const tokens = tokenSourceFor(config, { clock: deps.clock, secrets: deps.secrets });
      if (tokens) await xoauth2(rec, w, s, ext, tokens, signal);
      else await auth(rec, w, s, ext, secure, signal);
    }

    if (s.from !== undefined) {
      const from = s.from;
      await rec.stage('mail from', `MAIL FROM:<${from}>`, async (stage) => {
        const reply = await w
          .command(`MAIL FROM:<${from}>`, s.socketTimeout, signal)
          .catch((e: unknown) => rethrowWire(e, 'MAIL FROM', s));
        stage.reply = replyText(reply);
        if (reply.code !== 250) throw refusal(reply, 'MAIL FROM', s);
      });
    }

    // RSET and QUIT are courtesy: a server that is slow or rude here does not fail the probe.
    await rec.stage('rset', 'RSET', async (stage) => {
      try {
        const reply = await w.command('RSET', s.socketTimeout, signal);
        stage.reply = replyText(reply);
        if (reply.code !== 250) stage.warning = 'unexpected reply to RSET';
      } catch (err) {
        if (err instanceof WireError && err.kind === 'aborted') throw rethrowWire(err, 'RSET', s);
        stage.warning = `no reply to RSET (${(err as Error).message})`;
      }
    });
    await rec.stage('quit', 'QUIT', async (stage) => {
      try {
        const reply = await w.command('QUIT', Math.min(s.socketTimeout, 5000), signal);
        stage.reply = replyText(reply);
        if (reply.code !== 221) stage.warning = 'unexpected reply to QUIT';
      } catch (err) {
        if (err instanceof WireError && err.kind === 'aborted') throw rethrowWire(err, 'QUIT', s);
        stage.warning = `no reply to QUIT (${(err as Error).message})`;
      }
    });
    return rec.passed();
  } catch (err) {
    if (wire && !(err instanceof WireError)) politeQuit(wire);
    return rec.failed(err);
  } finally {
    wire?.destroy();
    socket?.destroy();
  }
}

/** Best effort: tell the server we are leaving, without waiting for its answer. */
function politeQuit(wire: SmtpWire): void {
  try {
    wire.write('QUIT');
  } catch {
    // the socket is already gone
  }
}

function joinWarnings(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}

async function resolveHost(
  host: string,
  timeoutMs: number,
  signal: AbortSignal,
  resolve: NonNullable<ProbeDeps['lookup']>,
): Promise<string[]> {
  if (isIP(host)) return [host];
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ProbeFailure(
              ExitCode.TEMPFAIL,
              `resolving ${host} took longer than ${timeoutMs} ms`,
              "the DNS resolver is slow or unreachable; check /etc/resolv.conf (or the container's DNS)",
              'timeout',
            ),
          ),
        timeoutMs,
      );
      onAbort = () => reject(new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const found = await Promise.race([resolve(host), bounded]);
    return found.map((a) => a.address);
  } catch (err) {
    if (err instanceof ProbeFailure) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const temporary = code === 'EAI_AGAIN';
    throw new ProbeFailure(
      temporary ? ExitCode.TEMPFAIL : ExitCode.UNAVAILABLE,
      `cannot resolve SMTP_SERVER ${host} (${code})`,
      temporary
        ? "the DNS server did not answer; try again, or check this machine's resolver"
        : 'check the spelling of SMTP_SERVER; inside a container, check that its DNS can see this name',
      code,
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Tries each address in turn (as an MTA does), each bounded by SMTP_CONNECT_TIMEOUT. */
async function connectAny(addresses: readonly string[], s: SmtpSettings, signal: AbortSignal): Promise<Socket> {
  const failures: string[] = [];
  let last: ProbeFailure | undefined;
  for (const address of addresses) {
    try {
      return await connectOne(address, s, signal);
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      if (err.reply === 'interrupted') throw err;
      failures.push(`${address}: ${err.reply ?? err.message}`);
      last = err;
    }
  }
  const reply = failures.length === 1 ? last?.reply : failures.join('; ');
  if (!last) throw new ProbeFailure(ExitCode.UNAVAILABLE, `no address to connect to for ${s.server}`);
  throw new ProbeFailure(last.exitCode, last.message, last.hint, reply);
}

/**
 * Waits for `okEvent` on a socket, once: an `error`, the timeout or an abort fails it instead.
 * Listeners and the timer are removed either way; a failed socket is destroyed.
 */
function settle<S extends Socket>(
  sock: S,
  okEvent: 'connect' | 'secureConnect',
  how: {
    timeoutMs: number;
    signal: AbortSignal;
    onOk?: () => void;
    onError: (err: NodeJS.ErrnoException) => ProbeFailure;
    onTimeout: () => ProbeFailure;
  },
): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    const done = (err?: ProbeFailure): void => {
      clearTimeout(timer);
      how.signal.removeEventListener('abort', onAbort);
      sock.off(okEvent, onOk);
      sock.off('error', onError);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(sock);
    };
    const onOk = (): void => {
      how.onOk?.();
      done();
    };
    const onError = (err: NodeJS.ErrnoException): void => done(how.onError(err));
    const onAbort = (): void => done(new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted'));
    const timer = setTimeout(() => done(how.onTimeout()), how.timeoutMs);
    sock.once(okEvent, onOk);
    sock.once('error', onError);
    how.signal.addEventListener('abort', onAbort, { once: true });
    if (how.signal.aborted) onAbort();
  });
}

function connectOne(address: string, s: SmtpSettings, signal: AbortSignal): Promise<Socket> {
  const sock = netConnect({ host: address, port: s.port });
  return settle(sock, 'connect', {
    timeoutMs: s.connectTimeout,
    signal,
    // A TLS socket may wrap this one; its errors then arrive there. Never leave one unhandled.
    onOk: () => sock.on('error', () => {}),
    onError: (err) => {
      const code = err.code ?? 'error';
      const hint =
        code === 'ECONNREFUSED'
          ? `nothing accepts connections on ${s.server}:${s.port}: check SMTP_PORT (465 implicit TLS, 587 STARTTLS, 25 plain) and that the server is up`
          : 'no route to the server: check the network, VPN or firewall between this machine and SMTP_SERVER';
      return new ProbeFailure(
        ExitCode.UNAVAILABLE,
        `cannot connect to ${s.server}:${s.port} (${code})`,
        hint,
        `${code} ${address}:${s.port}`,
      );
    },
    onTimeout: () =>
      new ProbeFailure(
        ExitCode.TEMPFAIL,
        `connecting to ${s.server}:${s.port} timed out after ${s.connectTimeout} ms`,
        'a firewall drops the connection (many clouds block outbound port 25; try 587), or the server is down; SMTP_CONNECT_TIMEOUT sets the wait',
        `timeout ${address}:${s.port}`,
      ),
  });
}

const PLAINTEXT_ANSWER = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'EPROTO',
]);
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** A TLS handshake on `socket`; the stage gets the version, cipher and certificate. */
function upgrade(
  socket: Socket,
  s: SmtpSettings,
  timeoutMs: number,
  signal: AbortSignal,
  stage: ProbeStage,
  now: number,
): Promise<TLSSocket> {
  const tlsSocket = tlsConnect({
    socket,
    host: s.server,
    // RFC 6066 §3: SNI carries host names only, never an IP address.
    ...(isIP(s.server) ? {} : { servername: s.server }),
    rejectUnauthorized: s.verify,
    // The reference system had no floor (Dify issue #13037); TLS 1.0 and 1.1 are broken.
    minVersion: 'TLSv1.2',
  });
  return settle(tlsSocket, 'secureConnect', {
    timeoutMs,
    signal,
    onOk: () => {
      const cipher = tlsSocket.getCipher();
      const cert = tlsSocket.getPeerCertificate();
      stage.reply = `${tlsSocket.getProtocol() ?? 'TLS'} ${cipher.name}; certificate ${describeCert(cert)}`;
      if (!s.verify) {
        // Node sets authorizationError to the OpenSSL code string (e.g. DEPTH_ZERO_SELF_SIGNED_CERT).
        const reason = tlsSocket.authorizationError as unknown as string | Error | undefined;
        const why = tlsSocket.authorized
          ? 'it would have passed'
          : `it would have failed: ${reason instanceof Error ? reason.message : String(reason)}`;
        stage.warning = `certificate NOT verified because SMTP_TLS_VERIFY=false (${why}); anyone on the path can read the mail and the password`;
      } else {
        stage.reply += ', verified';
        const expires = Date.parse(cert.valid_to);
        if (Number.isFinite(expires) && expires - now < 14 * 86_400_000) {
          stage.warning = `the server certificate expires on ${cert.valid_to}`;
        }
      }
    },
    onError: (err) => tlsFailure(err.code ?? 'error', err.message, s),
    onTimeout: () =>
      new ProbeFailure(
        ExitCode.TEMPFAIL,
        `the TLS handshake with ${s.server}:${s.port} timed out after ${timeoutMs} ms`,
        s.mode === 'implicit'
          ? 'the server may expect plain SMTP or STARTTLS on this port: on 587 set SMTP_OPPORTUNISTIC_TLS=true'
          : undefined,
        'timeout',
      ),
  });
}

function tlsFailure(code: string, message: string, s: SmtpSettings): ProbeFailure {
  const reply = `${code}: ${message}`;
  if (UNTRUSTED.has(code)) {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server's TLS certificate is not trusted (${message})`,
      "fix the server's certificate chain, or trust its CA with NODE_EXTRA_CA_CERTS=ca.pem; only for a test server, SMTP_TLS_VERIFY=false",
      reply,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server's TLS certificate does not name ${s.server}`,
      'set SMTP_SERVER to a name the certificate lists (see the reply above)',
      reply,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server's TLS certificate is not valid now (${message})`,
      "the server's administrator must renew its certificate",
      reply,
    );
  }
  if (PLAINTEXT_ANSWER.has(code) || /wrong version number|packet length too long|http request/i.test(message)) {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the TLS handshake with ${s.server}:${s.port} failed: the server answered in plain text`,
      s.mode === 'implicit'
        ? 'the server expects STARTTLS on this port: set SMTP_OPPORTUNISTIC_TLS=true (or use port 465 for implicit TLS)'
        : 'the server does not speak TLS after STARTTLS; check SMTP_SERVER and SMTP_PORT',
      reply,
    );
  }
  if (/unsupported protocol|protocol version/i.test(message)) {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server offers only TLS older than 1.2 (${message})`,
      'TLS 1.0 and 1.1 are broken: the server must be upgraded',
      reply,
    );
  }
  return new ProbeFailure(
    ExitCode.UNAVAILABLE,
    `the TLS handshake with ${s.server}:${s.port} failed (${message})`,
    s.mode === 'implicit' ? 'if the server expects STARTTLS on this port, set SMTP_OPPORTUNISTIC_TLS=true' : undefined,
    reply,
  );
}

function describeCert(cert: PeerCertificate): string {
  if (!cert || Object.keys(cert).length === 0) return 'none';
  const dn = (name: Record<string, string | string[]> | undefined): string =>
    name
      ? Object.entries(name)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
          .join(', ')
      : '?';
  const subject = dn(cert.subject as unknown as Record<string, string | string[]> | undefined);
  const issuer = dn(cert.issuer as unknown as Record<string, string | string[]> | undefined);
  const alt = cert.subjectaltname ? `, ${cert.subjectaltname}` : '';
  return `${subject}${alt} (issuer ${issuer === subject ? 'itself' : issuer}, valid until ${cert.valid_to})`;
}

/** Waits for a reply, turning a wire failure into the contract's exit code and a hint. */
async function read(
  w: SmtpWire,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
  s: SmtpSettings,
): Promise<SmtpReply> {
  try {
    return await w.readReply(timeoutMs, signal);
  } catch (err) {
    throw rethrowWire(err, what, s);
  }
}

function rethrowWire(err: unknown, what: string, s: SmtpSettings): never {
  if (!(err instanceof WireError)) throw err;
  const where = `${s.server}:${s.port}`;
  switch (err.kind) {
    case 'timeout': {
      if (what === 'greeting') {
        const hint =
          s.mode !== 'implicit'
            ? `the server accepted the connection but said nothing: ${s.port === 465 ? 'port 465 expects implicit TLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=false' : 'if it expects implicit TLS (usually port 465), set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=false'}; SMTP_GREETING_TIMEOUT sets the wait`
            : 'the server accepted the connection but said nothing; SMTP_GREETING_TIMEOUT sets the wait';
        throw new ProbeFailure(
          ExitCode.TEMPFAIL,
          `${where} sent no greeting within ${err.message.replace(/^no reply within /, '')}`,
          hint,
          'timeout',
        );
      }
      throw new ProbeFailure(
        ExitCode.TEMPFAIL,
        `${where} did not answer ${what} (${err.message})`,
        'the server is overloaded or the connection stalled; SMTP_SOCKET_TIMEOUT sets the wait',
        'timeout',
      );
    }
    case 'aborted':
      throw new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted');
    case 'protocol':
      throw new ProbeFailure(
        ExitCode.PROTOCOL,
        `${where} did not answer ${what} in SMTP: ${err.message}`,
        'check that SMTP_SERVER and SMTP_PORT name an SMTP server',
        err.message,
      );
    case 'closed':
    case 'error':
      throw new ProbeFailure(
        ExitCode.UNAVAILABLE,
        `${where} closed the connection ${what === 'greeting' ? 'before its greeting' : `after ${what}`}${err.errno ? ` (${err.errno})` : ''}`,
        what === 'greeting' && s.mode !== 'implicit'
          ? "the server may expect implicit TLS on this port (SMTP_USE_TLS=true, SMTP_OPPORTUNISTIC_TLS=false), or refuse this client's address"
          : "the server may refuse this client's address; check its logs",
        err.errno ?? err.message,
      );
  }
}

/** A reply that is not the one wanted: 4xx temporary (75), 5xx refusal, anything else 76. */
function refusal(reply: SmtpReply, command: string, s: SmtpSettings): ProbeFailure {
  const text = replyText(reply);
  const said = `${s.server} answered ${command} with ${text}`;
  const { code } = reply;
  if (code >= 400 && code < 500) {
    const hint =
      code === 421
        ? 'the server is shutting down or limits connections from this address; try again later'
        : command === 'MAIL FROM'
          ? 'the server deferred the sender (greylisting or a rate limit); it may pass later'
          : 'a temporary refusal: try again later';
    return new ProbeFailure(ExitCode.TEMPFAIL, said, hint, text);
  }
  if (code >= 500 && code < 600) {
    switch (command) {
      case 'greeting':
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          `${s.server} refused the connection: ${text}`,
          "the server refuses this client's address (blocklist or an allow-list of IPs); ask its administrator",
          text,
        );
      case 'EHLO':
      case 'HELO':
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          said,
          `relays check the EHLO name: set SMTP_LOCAL_HOSTNAME to this host's public, fully-qualified name (it sent "${s.ehloName}")`,
          text,
        );
      case 'STARTTLS':
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          said,
          'the server offers STARTTLS but refuses it; ask its administrator',
          text,
        );
      case 'MAIL FROM':
        // RFC 3207 §4: 530 also means "Must issue a STARTTLS command first".
        if (code === 530 && /STARTTLS|TLS/i.test(text)) {
          return new ProbeFailure(
            ExitCode.UNAVAILABLE,
            said,
            'the server accepts mail only over TLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true (usually port 587)',
            text,
          );
        }
        if (code === 530) {
          return new ProbeFailure(
            ExitCode.NOPERM,
            said,
            'the server requires AUTH: set SMTP_USERNAME and SMTP_PASSWORD',
            text,
          );
        }
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          said,
          `the server refuses to send as ${s.from ?? '?'}: set MAIL_DEFAULT_SEND_FROM to the address you log in as, or to a sender identity the provider has verified`,
          text,
        );
      default:
        return new ProbeFailure(ExitCode.UNAVAILABLE, said, undefined, text);
    }
  }
  return new ProbeFailure(
    ExitCode.PROTOCOL,
    `${s.server} gave an unexpected reply to ${command}: ${text}`,
    'check that SMTP_SERVER and SMTP_PORT name an SMTP server',
    text,
  );
}

function isFqdn(name: string): boolean {
  return /^\[.*\]$/.test(name) || (/\./.test(name) && !/\.$/.test(name) && /^[A-Za-z0-9.-]+$/.test(name));
}

async function ehlo(
  rec: StageRecorder,
  w: SmtpWire,
  s: SmtpSettings,
  signal: AbortSignal,
  name: string,
): Promise<Map<string, string[]>> {
  const line = `EHLO ${s.ehloName}`;
  const ext = await rec.stage(name, line, async (stage) => {
    const reply = await w.command(line, s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'EHLO', s));
    stage.reply = ehloSummary(reply);
    if (
      !isFqdn(s.ehloName) &&
      !rec.stages.some((x) => x.name === 'ehlo' && x !== stage && x.warning?.startsWith('EHLO name'))
    ) {
      stage.warning = `EHLO name "${s.ehloName}" is not a fully-qualified domain name${s.ehloNameConfigured ? '' : " (the machine's host name)"}; relays that check it refuse it: set SMTP_LOCAL_HOSTNAME`;
    }
    if (reply.code === 250) return ehloExtensions(reply);
    // 500/502: a server without ESMTP (RFC 5321 §3.2): fall back to HELO, as smtplib does.
    if (reply.code === 500 || reply.code === 502) return undefined;
    throw refusal(reply, 'EHLO', s);
  });
  if (ext) return ext;
  const helo = `HELO ${s.ehloName}`;
  await rec.stage('helo', helo, async (stage) => {
    const reply = await w.command(helo, s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'HELO', s));
    stage.reply = replyText(reply);
    stage.warning = 'the server does not speak ESMTP: no STARTTLS and no AUTH are possible';
    if (reply.code !== 250) throw refusal(reply, 'HELO', s);
  });
  return new Map();
}

/** `250 mx.example.com Hello; offers PIPELINING, STARTTLS, AUTH PLAIN LOGIN` */
function ehloSummary(reply: SmtpReply): string {
  const first = reply.lines[0] ?? '';
  const rest = reply.lines
    .slice(1)
    .map((l) => l.slice(4).trim())
    .filter(Boolean);
  return rest.length > 0 ? `${first}; offers ${rest.join(', ')}` : first;
}

async function auth(
  rec: StageRecorder,
  w: SmtpWire,
  s: SmtpSettings,
  ext: Map<string, string[]>,
  secure: boolean,
  signal: AbortSignal,
): Promise<void> {
  const user = s.username ?? '';
  const pass = s.password ?? '';
  const offered = ext.get('AUTH');
  if (!offered) {
    await rec.stage('auth', undefined, () => {
      throw new ProbeFailure(
        ExitCode.NOPERM,
        'SMTP_USERNAME is set but the server does not offer AUTH',
        !secure && ext.has('STARTTLS')
          ? 'the server offers AUTH only after STARTTLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true (usually port 587)'
          : !secure
            ? 'most servers offer AUTH only over TLS: use port 587 with SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true, or 465 with implicit TLS; for a relay without AUTH, unset SMTP_USERNAME and SMTP_PASSWORD'
            : "this looks like a relay without AUTH: unset SMTP_USERNAME and SMTP_PASSWORD, or use the provider's submission port (587)",
        'AUTH not in the EHLO reply',
      );
    });
    return;
  }
  const mechanism = offered.includes('PLAIN') ? 'PLAIN' : offered.includes('LOGIN') ? 'LOGIN' : undefined;
  if (!mechanism) {
    await rec.stage('auth', undefined, () => {
      throw new ProbeFailure(
        ExitCode.NOPERM,
        `the server offers AUTH ${offered.join(' ')}, and mailctl speaks PLAIN and LOGIN`,
        offered.includes('XOAUTH2')
          ? 'the server wants OAuth2 (Microsoft 365 and Google have retired passwords): use an app password or a provider that accepts one'
          : 'ask the provider for PLAIN or LOGIN over TLS',
        `AUTH ${offered.join(' ')}`,
      );
    });
    return;
  }
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const check = (reply: SmtpReply, want: number): void => {
    if (reply.code === want) return;
    throw authRefusal(reply, s, secure);
  };
  // The password and every base64 form of it are shown as ******** (RFC 4616 / draft LOGIN).
  if (mechanism === 'PLAIN') {
    await rec.stage('auth', `AUTH PLAIN ${MASK}`, async (stage) => {
      let reply = await w
        .command(`AUTH PLAIN ${b64(`\u0000${user}\u0000${pass}`)}`, s.socketTimeout, signal)
        .catch((e: unknown) => rethrowWire(e, 'AUTH', s));
      // Some servers ignore the initial response and ask for it with an empty 334.
      if (reply.code === 334)
        reply = await w
          .command(b64(`\u0000${user}\u0000${pass}`), s.socketTimeout, signal)
          .catch((e: unknown) => rethrowWire(e, 'AUTH', s));
      stage.reply = `${replyText(reply)} (as ${user})`;
      check(reply, 235);
    });
    return;
  }
  await rec.stage('auth', `AUTH LOGIN; username ${user}; password ${MASK}`, async (stage) => {
    let reply = await w.command('AUTH LOGIN', s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    if (reply.code === 334)
      reply = await w.command(b64(user), s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    if (reply.code === 334)
      reply = await w.command(b64(pass), s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    stage.reply = `${replyText(reply)} (as ${user})`;
    check(reply, 235);
  });
}

/**
 * SMTP_AUTH_METHOD=oauth2: a `token` stage (endpoint, grant, scope, lifetime; never the token),
 * then `AUTH XOAUTH2` with the server's reply. A 334 is the server's error challenge (Google's
 * XOAUTH2 protocol): its JSON is shown, an empty line sent, and the final reply reported.
 */
async function xoauth2(
  rec: StageRecorder,
  w: SmtpWire,
  s: SmtpSettings,
  ext: Map<string, string[]>,
  tokens: TokenSource,
  signal: AbortSignal,
): Promise<void> {
  const t = tokens.settings;
  const scope = t.scope ? `scope ${t.scope}` : 'no scope (the consent fixed it)';
  const token = await rec.stage('token', `POST ${t.tokenUrl} (${t.grant} grant, ${scope})`, async (stage) => {
    try {
      const got = await tokens.get(signal);
      const seconds = Math.round((got.expiresAt - got.fetchedAt) / 1000);
      stage.reply = `a Bearer token for ${t.user}, valid ${seconds} s (until ${new Date(got.expiresAt).toISOString()})`;
      return got;
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      throw new ProbeFailure(err.exitCode, err.message, err.hint, err.reply.reply ?? err.reply.errno ?? err.message);
    }
  });
  const offered = ext.get('AUTH') ?? [];
  if (!offered.includes('XOAUTH2')) {
    await rec.stage('auth', undefined, () => {
      throw new ProbeFailure(
        ExitCode.NOPERM,
        `the server does not offer AUTH XOAUTH2${offered.length > 0 ? ` (it offers ${offered.join(' ')})` : ''}`,
        'Microsoft 365: smtp.office365.com port 587 with STARTTLS; Google: smtp.gmail.com 587 or 465; a server without OAuth2 wants SMTP_AUTH_METHOD=password',
        offered.length > 0 ? `AUTH ${offered.join(' ')}` : 'AUTH not in the EHLO reply',
      );
    });
    return;
  }
  const initial = Buffer.from(xoauth2Payload(t.user, token.value), 'utf8').toString('base64');
  await rec.stage('auth', `AUTH XOAUTH2 ${MASK}`, async (stage) => {
    let reply = await w
      .command(`AUTH XOAUTH2 ${initial}`, s.socketTimeout, signal)
      .catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    let challenge = '';
    if (reply.code === 334) {
      challenge = ` (challenge: ${Buffer.from(reply.lines[0]!.slice(4).trim(), 'base64').toString('utf8').trim()})`;
      reply = await w.command('', s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    }
    stage.reply = `${replyText(reply)}${challenge} (as ${t.user})`;
    if (reply.code === 235) return;
    const text = replyText(reply);
    const said = `${s.server} refused the OAuth2 token for ${t.user}: ${text}`;
    const shown = `${text}${challenge}`;
    if (reply.code >= 400 && reply.code < 500)
      throw new ProbeFailure(ExitCode.TEMPFAIL, said, 'a temporary refusal; try again later', shown);
    if (reply.code >= 500 && reply.code < 600)
      throw new ProbeFailure(ExitCode.NOPERM, said, XOAUTH2_REFUSED_HINT, shown);
    throw new ProbeFailure(
      ExitCode.PROTOCOL,
      `${s.server} gave an unexpected reply to AUTH: ${text}`,
      undefined,
      shown,
    );
  });
}

function authRefusal(reply: SmtpReply, s: SmtpSettings, secure: boolean): ProbeFailure {
  const text = replyText(reply);
  const said = `${s.server} refused AUTH for ${s.username ?? '?'}: ${text}`;
  const { code } = reply;
  if (code >= 400 && code < 500)
    return new ProbeFailure(
      ExitCode.TEMPFAIL,
      said,
      "a temporary refusal (454: the server's auth backend is down); try again later",
      text,
    );
  // 538 (RFC 4954 §6) and replies that name TLS: the server wants encryption first. A 535 stays a
  // wrong password even on a plain connection to a server that also offers STARTTLS.
  if (code === 538 || code === 523 || (!secure && code !== 535 && /\b(STARTTLS|TLS|encrypt)/i.test(text))) {
    return new ProbeFailure(
      ExitCode.NOPERM,
      said,
      'the server offers AUTH only after STARTTLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true (usually port 587)',
      text,
    );
  }
  if (code >= 500 && code < 600) {
    return new ProbeFailure(
      ExitCode.NOPERM,
      said,
      'check SMTP_USERNAME and SMTP_PASSWORD; Gmail and Microsoft 365 need an app password (or have basic AUTH turned off), and many providers want the full address as the user name',
      text,
    );
  }
  return new ProbeFailure(ExitCode.PROTOCOL, `${s.server} gave an unexpected reply to AUTH: ${text}`, undefined, text);
}
