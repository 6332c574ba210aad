/**
 * The RFC 5322 bytes of a message, built once (and signed with nodemailer's DKIM signer when
 * configured). SMTP and the `file` provider send or write these bytes as they are.
 *
 * Our messages have one shape: a multipart/alternative of a UTF-8 text part and a UTF-8 HTML part,
 * with a handful of headers. For that shape we write the bytes directly, with nodemailer's own
 * encoders (RFC 2047 words, header folding, quoted-printable) and nodemailer's rules for choosing
 * them, instead of going through MailComposer: its stream pipeline cost ~0.8 ms per message here,
 * most of a pooled SMTP send's CPU, and the drain's throughput target is set against that send.
 * test/unit/providers/mime.test.ts checks the result against MailComposer, decoded, for every
 * template in both languages.
 */
import { randomBytes } from 'node:crypto';
import { encodeWord, encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import type { Mailbox } from '../message/address.js';
import type { OutgoingMessage } from '../message/types.js';

/** DKIM signing key (RFC 6376): d=, s= and the PEM private key. */
export interface DkimOptions {
  /** d= */
  domainName: string;
  /** s= ; the public key is at `<keySelector>._domainkey.<domainName>` */
  keySelector: string;
  /** PEM private key. Secret: never printed. */
  privateKey: string;
}

/**
 * Headers we sign. RFC 8058 §3 requires List-Unsubscribe-Post to be covered with List-Unsubscribe
 * (nodemailer's default list has left it out in earlier versions, so we never rely on the default).
 */
export const DKIM_SIGNED_HEADERS = [
  'From',
  'Sender',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'In-Reply-To',
  'References',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'Auto-Submitted',
].join(':');

/** RFC 5322 §2.1.1: at most 78 characters per line before CRLF; encoders wrap at 76. */
const LINE = 76;

const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/** An unstructured header value (RFC 2047): encoded words only where the text needs them. */
function headerText(value: string): string {
  const { encoding } = survey(value);
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value)
    ? encodeWord(value, encoding, 52)
    : encodeWords(value, encoding, 52, true);
}

/** A display name: an atom phrase as it is, printable ASCII quoted, anything else an encoded word. */
function displayName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  return /^[\x20-\x7e]*$/.test(name) ? quoteString(name) : encodeWord(name, survey(name).encoding, 52);
}

const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+$/;

function mailbox(m: Mailbox): string {
  if (m.name) return `${displayName(m.name)} <${m.address}>`;
  return PLAIN_ADDRESS.test(m.address) ? m.address : `<${m.address}>`;
}

/** Bytes that quoted-printable carries as they are (33..126 except `=`; space and tab mostly). */
const SAFE = new Uint8Array(256).map((_, b) => (b >= 0x21 && b <= 0x7e && b !== 0x3d ? 1 : 0));
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * Quoted-printable (RFC 2045 §6.7) in one pass over the UTF-8 bytes: CRLF or LF is a hard line
 * break, `=`, controls, 8-bit bytes and whitespace before a break are =XX, and soft breaks keep
 * every line at most 76 characters without splitting an =XX or a UTF-8 character across lines.
 * Several times cheaper than nodemailer's encode + wrap, whose output it decodes to exactly.
 */
export function quotedPrintable(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const n = bytes.length;
  // Worst case: every byte =XX, plus a soft break per 25 of them.
  const out = Buffer.allocUnsafe(n * 3 + Math.ceil(n / 25) * 3 + 3);
  let o = 0;
  let line = 0;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b === 0x0a || (b === 0x0d && i + 1 < n && bytes[i + 1] === 0x0a)) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
      i += b === 0x0d ? 2 : 1;
      continue;
    }
    // The bytes that travel together (one UTF-8 character), and whether a line break follows.
    let take = b < 0xc0 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    if (i + take > n) take = n - i;
    const j = i + take;
    const beforeBreak = j >= n || bytes[j] === 0x0a || (bytes[j] === 0x0d && j + 1 < n && bytes[j + 1] === 0x0a);
    const literal = take === 1 && (SAFE[b] === 1 || ((b === 0x20 || b === 0x09) && !beforeBreak));
    const width = literal ? 1 : 3 * take;
    // Keep room for a soft break's `=`, unless this is the line's last token.
    if (line + width > (beforeBreak ? 76 : 75)) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
    }
    if (literal) {
      out[o++] = b;
    } else {
      for (let k = i; k < j; k++) {
        const c = bytes[k]!;
        out[o++] = 0x3d;
        out[o++] = HEX[c >> 4]!;
        out[o++] = HEX[c & 15]!;
      }
    }
    line += width;
    i = j;
  }
  return out.toString('latin1', 0, o);
}

/**
 * What a text needs: whether it is short-lined printable ASCII (7bit), and Q or B when it is not —
 * Q while Latin letters outnumber the rest (nodemailer's rule, for bodies and encoded words).
 */
function survey(text: string): { plain: boolean; encoding: 'Q' | 'B' } {
  let plain = true;
  let line = 0;
  let other = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line = 0;
      continue;
    }
    if (++line > LINE) plain = false;
    if (c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x80) {
      other++;
      plain = false;
    } else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
    else if (c === 0x7f || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) plain = false;
  }
  return { plain, encoding: other < latin ? 'Q' : 'B' };
}

/** One body part: 7bit when it is short-lined ASCII, else quoted-printable or base64. */
function textPart(content: string): { encoding: string; body: string } {
  const { plain, encoding } = survey(content);
  if (plain) return { encoding: '7bit', body: crlf(content) };
  if (encoding === 'Q') return { encoding: 'quoted-printable', body: quotedPrintable(content) };
  const b64 = Buffer.from(crlf(content), 'utf8').toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += LINE) body += (i ? '\r\n' : '') + b64.slice(i, i + LINE);
  return { encoding: 'base64', body };
}

/** `=_` cannot occur in quoted-printable or base64 output; the random part rules out plain text. */
function newBoundary(): string {
  return `=_mailctl_${randomBytes(12).toString('hex')}`;
}

/** Builds the RFC 5322 message: multipart/alternative (text, then HTML), UTF-8, RFC 2047 words. */
export async function buildMime(
  message: OutgoingMessage,
  options: { dkim?: DkimOptions | undefined } = {},
): Promise<Buffer> {
  // RFC 2046 §5.1.4: the last alternative is the preferred one, so text first, HTML last.
  const parts = [
    { type: 'text/plain; charset=utf-8', ...textPart(message.text) },
    { type: 'text/html; charset=utf-8', ...textPart(message.html) },
  ];
  let boundary = newBoundary();
  while (parts.some((p) => p.body.includes(boundary))) boundary = newBoundary();

  // Addresses, Message-ID and header values were checked by message/compose.ts (no CR/LF).
  const headers: [string, string][] = [
    ['From', mailbox(message.from)],
    ['To', message.to.map(mailbox).join(', ')],
    ['Subject', headerText(message.subject)],
    ['Message-ID', message.messageId],
    ['Date', message.date.toUTCString().replace(/GMT/, '+0000')],
    ...Object.entries(message.headers).map(([name, value]): [string, string] => [name, headerText(value)]),
    ['MIME-Version', '1.0'],
    ['Content-Type', `multipart/alternative; boundary="${boundary}"`],
  ];
  let out = '';
  for (const [name, value] of headers) out += `${foldLines(`${name}: ${value}`, LINE)}\r\n`;
  out += '\r\n';
  for (const part of parts) {
    out += `--${boundary}\r\nContent-Type: ${part.type}\r\nContent-Transfer-Encoding: ${part.encoding}\r\n\r\n${part.body}\r\n`;
  }
  out += `--${boundary}--\r\n`;
  const raw = Buffer.from(out, 'utf8');
  if (!options.dkim) return raw;
  return signDkim(raw, options.dkim);
}

/** DKIM-signs prebuilt bytes (relaxed/relaxed, rsa-sha256). */
export async function signDkim(raw: Buffer, dkim: DkimOptions): Promise<Buffer> {
  // Imported here, not at the top: the signer pulls in nodemailer's shared helpers (http, https,
  // zlib, dns), which a `send` or `preview` without DKIM would load for nothing (start-up).
  const { default: DKIM } = await import('nodemailer/lib/dkim');
  const signer = new DKIM({
    domainName: dkim.domainName,
    keySelector: dkim.keySelector,
    privateKey: dkim.privateKey,
    headerFieldNames: DKIM_SIGNED_HEADERS,
  });
  const chunks: Buffer[] = [];
  const stream = signer.sign(raw);
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
