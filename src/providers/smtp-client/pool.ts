/**
 * The drain's SMTP connections: at most SMTP_POOL_SIZE open at once, each carrying up to
 * MAX_MESSAGES_PER_CONNECTION messages one after another (no QUIT in between), a send waiting for
 * a free connection when all are busy.
 *
 * Guarantees:
 * - A connection the server closed while it sat idle (EOF, or a 421 at MAIL FROM) costs nothing:
 *   the message is tried once more on a fresh connection. Nothing of it had reached the server.
 * - Anything that fails later (after the server took MAIL FROM, or once the data went out) is
 *   thrown to the caller, never re-sent here: only the spool decides about a retry, and only the
 *   server's 2xx to the data completes a job.
 * - A connection that failed is closed, never reused.
 */
import { SmtpSession, type Envelope, type LostBeforeMail, type Sent, type SessionOptions } from './session.js';
import { abortFailure } from './failure.js';

/** Then a new connection, as nodemailer's pool did (servers limit messages per connection). */
export const MAX_MESSAGES_PER_CONNECTION = 100;

export class SmtpPool {
  private readonly idle: SmtpSession[] = [];
  /** Open or opening connections. */
  private open = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly options: SessionOptions,
    private readonly maxConnections: number,
  ) {}

  async send(envelope: Envelope, raw: Buffer, signal: AbortSignal): Promise<Sent> {
    for (let attempt = 1; ; attempt++) {
      const { session, reused } = await this.acquire(signal);
      try {
        const sent = await session.send(envelope, raw, signal);
        this.release(session);
        return sent;
      } catch (err) {
        this.release(session);
        const stale = reused && attempt === 1 && (err as LostBeforeMail).lostBeforeMail === true && !signal.aborted;
        if (!stale) throw err;
      }
    }
  }

  /** Closes every idle connection (QUIT); connections in use close when their send ends. */
  close(): void {
    this.closed = true;
    for (const session of this.idle.splice(0)) {
      session.quit();
      this.open -= 1;
    }
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async acquire(signal: AbortSignal): Promise<{ session: SmtpSession; reused: boolean }> {
    for (;;) {
      if (signal.aborted) throw abortFailure();
      const session = this.idle.pop();
      if (session) {
        if (session.usable) return { session, reused: true };
        session.destroy();
        this.open -= 1;
        continue;
      }
      if (this.open < this.maxConnections || this.closed) {
        this.open += 1;
        try {
          return { session: await SmtpSession.open(this.options, signal), reused: false };
        } catch (err) {
          this.open -= 1;
          this.wakeOne();
          throw err;
        }
      }
      await this.freeConnection(signal);
    }
  }

  /** Back to the idle list while it is good for more, else closed; then the next waiter goes. */
  private release(session: SmtpSession): void {
    if (!this.closed && session.usable && session.messages < MAX_MESSAGES_PER_CONNECTION) this.idle.push(session);
    else {
      session.quit();
      this.open -= 1;
    }
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  private freeConnection(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(); // acquire() sees the abort
      };
      this.waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
