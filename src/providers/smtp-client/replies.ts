/**
 * Reads SMTP replies out of the bytes a server sends (RFC 5321 §4.2): lines end in CRLF (a bare LF
 * is tolerated), `250-` continues a reply, `250 ` or a bare code ends it. A reply is handed on as
 * nodemailer hands it on, its lines joined with "\n", so that errors built from it read the same.
 * Bounded: a reply or a line longer than MAX_REPLY_BYTES is a protocol error, not a memory leak.
 */

export interface SmtpReply {
  /** The three-digit code, or NaN when the first line does not start with one. */
  code: number;
  /** Every line without its line break, joined with "\n" (`250-mx.example\n250 PIPELINING`). */
  text: string;
}

/** RFC 5321 §4.5.3.1.5 allows 512 octets a line; a whole EHLO reply is a few hundred more. */
export const MAX_REPLY_BYTES = 64 * 1024;

export class ReplyTooLongError extends Error {}

export class ReplyParser {
  private partialLine = '';
  private lines: string[] = [];

  /** Feeds bytes; returns the replies they complete, in order (usually none or one). */
  feed(chunk: Buffer): SmtpReply[] {
    // latin1 keeps every byte; UTF-8 in a reply is decoded when the reply is complete.
    const data = this.partialLine + chunk.toString('latin1');
    let start = 0;
    let done: SmtpReply[] | undefined;
    for (let nl = data.indexOf('\n'); nl >= 0; nl = data.indexOf('\n', start)) {
      const line = data.charCodeAt(nl - 1) === 13 ? data.slice(start, nl - 1) : data.slice(start, nl);
      start = nl + 1;
      // Empty lines between replies mean nothing (nodemailer skips them too).
      if (line === '' && this.lines.length === 0) continue;
      this.lines.push(line);
      if (line.length >= 4 && line.charCodeAt(3) === 45 /* - */ && /^\d{3}/.test(line)) {
        if (this.lines.length > 500) throw new ReplyTooLongError('the server sent a reply too long for SMTP');
        continue;
      }
      (done ??= []).push(this.complete());
    }
    this.partialLine = data.slice(start);
    if (this.partialLine.length > MAX_REPLY_BYTES)
      throw new ReplyTooLongError('the server sent a line too long for SMTP');
    return done ?? NONE;
  }

  /** What is left over when the connection closes: an unfinished reply, or undefined. */
  remainder(): string | undefined {
    const rest = [...this.lines, this.partialLine].filter((l) => l !== '').join('\n');
    return rest === '' ? undefined : decode(rest);
  }

  private complete(): SmtpReply {
    const text = decode(this.lines.length === 1 ? this.lines[0]! : this.lines.join('\n'));
    this.lines = [];
    return { code: /^\d{3}/.test(text) ? Number(text.slice(0, 3)) : NaN, text };
  }
}

const NONE: SmtpReply[] = [];

/** latin1 → UTF-8 when the bytes are valid UTF-8 (servers that quote a UTF-8 address). */
function decode(latin1: string): string {
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\ufffd') ? latin1 : utf8;
}
