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
 * template in both languages. Body parts are encoded from a memo of lines already seen
 * (mime-body.ts): a template's static lines are surveyed and encoded once per process.
 */
import { randomHex } from '../random-hex.js';
import { encodeWord, encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import type { Mailbox } from '../message/address.js';
import type { OutgoingMessage } from '../message/types.js';
import { piecesMake } from '../message/html-pieces.js';
import { markCrlfClean } from './crlf-clean.js';
import { encodingOf, LINE, survey, textPart } from './mime-body.js';

export { quotedPrintable } from './quoted-printable.js';

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

/** An unstructured header value (RFC 2047): encoded words only where the text needs them. */
function headerText(value: string): string {
  let encoded = encodedHeaders.get(value);
  if (encoded !== undefined) return encoded;
  const encoding = encodingOf(survey(value));
  encoded = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value)
    ? encodeWord(value, encoding, 52)
    : encodeWords(value, encoding, 52, true);
  if (encodedHeaders.size >= HEADER_MEMO) encodedHeaders.delete(encodedHeaders.keys().next().value as string);
  encodedHeaders.set(value, encoded);
  return encoded;
}

/**
 * Header values already encoded, oldest out first: a drain sends the same subject (one per type,
 * language and brand) and the same fixed headers thousands of times, and encoding a zh-CN
 * subject into RFC 2047 words was a few per cent of its early, not yet optimised, messages.
 */
const encodedHeaders = new Map<string, string>();
export const HEADER_MEMO = 256;

/** How many header values are remembered (for tests). */
export const headerMemoSize = (): number => encodedHeaders.size;

/** A display name: an atom phrase as it is, printable ASCII quoted, anything else an encoded word. */
function displayName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  return /^[\x20-\x7e]*$/.test(name) ? quoteString(name) : encodeWord(name, encodingOf(survey(name)), 52);
}

const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+$/;

function mailbox(m: Mailbox): string {
  if (m.name) return `${displayName(m.name)} <${m.address}>`;
  return PLAIN_ADDRESS.test(m.address) ? m.address : `<${m.address}>`;
}

/** `=_` cannot occur in quoted-printable or base64 output; the random part rules out plain text. */
function newBoundary(): string {
  return `=_mailctl_${randomHex(12)}`;
}

/** The HTML's pieces when they are still exactly the HTML (a message may be edited after composing). */
function piecesOf(message: OutgoingMessage): readonly string[] | undefined {
  const pieces = message.htmlPieces;
  return pieces && piecesMake(pieces, message.html) ? pieces : undefined;
}

/** One header line, folded at 76 (its value checked by message/compose.ts: no CR or LF). */
const header = (name: string, value: string): string => `${foldLines(`${name}: ${value}`, LINE)}\r\n`;

const bodyPart = (boundary: string, type: string, part: { encoding: string; body: string }): string =>
  `--${boundary}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: ${part.encoding}\r\n\r\n${part.body}\r\n`;

/** Only a 7bit part can hold it: `=_` never occurs in quoted-printable or base64 (newBoundary). */
const holds = (part: { encoding: string; body: string }, boundary: string): boolean =>
  part.encoding === '7bit' && part.body.includes(boundary);

/**
 * Builds the RFC 5322 message: multipart/alternative (text, then HTML), UTF-8, RFC 2047 words.
 * Written as plain statements (no spreads, destructuring or Object.entries): the drain runs it
 * for every message, and those made V8 throw away and recompile its optimised code several times
 * in a drain's first seconds (--trace-deopt: "wrong map").
 */
export async function buildMime(
  message: OutgoingMessage,
  options: { dkim?: DkimOptions | undefined } = {},
): Promise<Buffer> {
  // RFC 2046 §5.1.4: the last alternative is the preferred one, so text first, HTML last.
  const text = textPart(message.text);
  const html = textPart(message.html, piecesOf(message));
  let boundary = newBoundary();
  while (holds(text, boundary) || holds(html, boundary)) boundary = newBoundary();

  let to = '';
  for (let i = 0; i < message.to.length; i++) to += (i > 0 ? ', ' : '') + mailbox(message.to[i]!);
  let out = header('From', mailbox(message.from));
  out += header('To', to);
  out += header('Subject', headerText(message.subject));
  out += header('Message-ID', message.messageId);
  out += header('Date', message.date.toUTCString().replace(/GMT/, '+0000'));
  const extra = message.headers;
  for (const name of Object.keys(extra)) out += header(name, headerText(extra[name]!));
  out += header('MIME-Version', '1.0');
  out += header('Content-Type', `multipart/alternative; boundary="${boundary}"`);
  out += '\r\n';
  out += bodyPart(boundary, 'text/plain; charset=utf-8', text);
  out += bodyPart(boundary, 'text/html; charset=utf-8', html);
  out += `--${boundary}--\r\n`;
  // CRLF-clean by construction: headers folded with CRLF (no CR or LF in values: compose.ts), body
  // parts CRLF-encoded (mime-body.ts: a bare CR is never 7bit). test/unit/providers/mime-equivalence.test.ts checks it.
  const raw = markCrlfClean(Buffer.from(out, 'utf8'));
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
