/**
 * Composition: a rendered mail + addresses → one checked {@link OutgoingMessage}. Pure apart from
 * the random Message-ID when the caller gives none. This is the ONE place where a CR or LF in
 * anything that lands in a header is refused (DataError, exit 65): subject, addresses,
 * Message-ID, unsubscribe URL and custom headers.
 */
import { randomHex } from '../random-hex.js';
import { DataError } from '../errors.js';
import { domainOf, parseMailbox, type Mailbox } from './address.js';
import { assertCustomHeader, assertHeaderValue, MESSAGE_ID } from './headers.js';
import type { Category, OutgoingMessage } from './types.js';

export interface ComposeInput {
  rendered: {
    type: string;
    lang: string;
    subject: string;
    html: string;
    htmlPieces?: readonly string[] | undefined;
    text: string;
    category: Category;
    unsubscribable?: boolean | undefined;
  };
  /** Parsed with parseMailbox; invalid → DataError 65. */
  to: string | string[];
  /** `Name <addr>` or `addr`; invalid → 65. */
  from: string;
  /** `<id@domain>`. @defaultValue random, with the sender's domain */
  messageId?: string | undefined;
  /** @defaultValue now (pass `clock.now()`) */
  date?: Date | undefined;
  /** https one-click unsubscribe URL; used only for category `notification` (RFC 8058). */
  unsubscribeUrl?: string | undefined;
  headers?: Record<string, string> | undefined;
}

function mailbox(what: string, value: string): Mailbox {
  assertHeaderValue(what, value);
  const parsed = parseMailbox(value);
  if (!parsed) {
    throw new DataError(
      `${what} ${JSON.stringify(value)} is not a valid address`,
      {
        hint: 'use "user@example.com" or "Name <user@example.com>"',
      },
      'data.address',
    );
  }
  return parsed;
}

/** A fresh `<time.random@domain>` Message-ID (RFC 5322 §3.6.4: unique, domain on the right). */
export function generateMessageId(fromAddress: string, now: Date = new Date()): string {
  const domain = domainOf(fromAddress);
  const right = /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'mailctl.invalid';
  return `<${now.getTime().toString(36)}.${randomHex(12)}@${right}>`;
}

export function composeMessage(input: ComposeInput): OutgoingMessage {
  const { rendered } = input;
  const from = mailbox('sender', input.from);
  const toList = Array.isArray(input.to) ? input.to : [input.to];
  if (toList.length === 0) throw new DataError('no recipient given', { hint: 'pass --to ADDR' }, 'data.address');
  // A loop, not map(): map() makes a holey array before V8 optimises it and a packed one after,
  // and every function that reads `to` was then recompiled for the second kind (--trace-deopt).
  const to: Mailbox[] = [];
  for (const addr of toList) to.push(mailbox('recipient', addr));

  assertHeaderValue('subject', rendered.subject);
  if (rendered.subject.trim() === '')
    throw new DataError(`the ${rendered.type} mail rendered an empty subject`, undefined, 'data.subject');

  const date = input.date ?? new Date();
  if (Number.isNaN(date.getTime())) throw new DataError('the message date is not a valid date', undefined, 'data.date');

  let messageId = input.messageId;
  if (messageId !== undefined) {
    assertHeaderValue('Message-ID', messageId);
    if (!MESSAGE_ID.test(messageId)) {
      throw new DataError(
        `Message-ID ${JSON.stringify(messageId)} is not of the form <id@domain>`,
        undefined,
        'data.message-id',
      );
    }
  } else {
    messageId = generateMessageId(from.address, date);
  }

  // RFC 3834: automatic mail says so, so that vacation responders stay quiet.
  const headers: Record<string, string> = {
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'OOF, AutoReply',
  };
  // Never on codes, alerts or security notices (renderEmail sets unsubscribable from the catalog).
  if (rendered.category === 'notification' && rendered.unsubscribable !== false && input.unsubscribeUrl !== undefined) {
    const url = input.unsubscribeUrl;
    assertHeaderValue('unsubscribe URL', url);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.protocol !== 'https:' || /[<>\s]/.test(url)) {
      throw new DataError(
        `unsubscribe URL ${JSON.stringify(url)} is not an https URL`,
        { hint: 'RFC 8058 one-click unsubscribe needs https' },
        'data.unsubscribe',
      );
    }
    // RFC 2369 angle brackets; RFC 8058 one-click POST body.
    headers['List-Unsubscribe'] = `<${url}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    assertCustomHeader(name, value);
    headers[name] = value;
  }

  return {
    from,
    to,
    subject: rendered.subject,
    html: rendered.html,
    htmlPieces: rendered.htmlPieces,
    text: rendered.text,
    messageId,
    date,
    headers,
    type: rendered.type,
    category: rendered.category,
    lang: rendered.lang,
  };
}
