/**
 * The SMTP wire reader of the smtp probe: reads whole replies (continuation lines included) from
 * a socket, bounded in size, and hands the plain socket over for a STARTTLS handshake without
 * keeping a byte the server sent before it.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WireError } from '../../../errors.js';

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
