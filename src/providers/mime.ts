/**
 * The RFC 5322 bytes of a message, built once with nodemailer's MailComposer (and signed with its
 * DKIM signer when configured). SMTP and the `file` provider send or write these bytes as they are;
 * `drain` can keep them across retries, since building MIME is about half of nodemailer's CPU per
 * message (see reference/toolchain.md).
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import DKIM from 'nodemailer/lib/dkim';
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
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version',
  'Content-Type', 'Content-Transfer-Encoding', 'In-Reply-To', 'References',
  'List-Unsubscribe', 'List-Unsubscribe-Post', 'Auto-Submitted',
].join(':');

const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/** Builds the RFC 5322 message: multipart/alternative (text, then HTML), UTF-8, RFC 2047 subject. */
export async function buildMime(message: OutgoingMessage, options: { dkim?: DkimOptions | undefined } = {}): Promise<Buffer> {
  const composer = new MailComposer({
    from: message.from.name ? { name: message.from.name, address: message.from.address } : message.from.address,
    to: message.to.map((m) => (m.name ? { name: m.name, address: m.address } : m.address)),
    subject: message.subject,
    messageId: message.messageId,
    date: message.date,
    // RFC 2046 §5.1.4: the last alternative is the preferred one, so text first, HTML last.
    // CRLF line ends (RFC 5322 §2.3) set here on the strings: the same bytes as nodemailer's
    // `newline: 'windows'` stream transform, at about half the cost per message.
    text: { content: crlf(message.text), contentType: 'text/plain; charset=utf-8' },
    html: { content: crlf(message.html), contentType: 'text/html; charset=utf-8' },
    // Content never points at files or URLs: a template variable must not read local files.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const root = composer.compile();
  // After compile: our headers follow From/To/Subject/Message-ID/Date instead of leading them.
  for (const [name, value] of Object.entries(message.headers)) root.addHeader(name, value);
  const raw = await root.build();
  if (!options.dkim) return raw;
  return signDkim(raw, options.dkim);
}

/** DKIM-signs prebuilt bytes (relaxed/relaxed, rsa-sha256). */
export async function signDkim(raw: Buffer, dkim: DkimOptions): Promise<Buffer> {
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
