/**
 * Header hygiene for composed messages. A CR or LF in a header value would let a variable or a
 * flag add headers of its own (header injection, CWE-93); `compose.ts` refuses it here, once.
 */
import { DataError } from '../errors.js';

/** RFC 5322 §2.2: a field name is printable US-ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;

/** Headers that compose.ts and the MIME builder own; `headers` may not set them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'sender',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'dkim-signature',
  // Set from MAIL_UNSUBSCRIBE_URL, on notification mail only (never on codes or security mail).
  'list-unsubscribe',
  'list-unsubscribe-post',
  'auto-submitted',
]);

/** Throws DataError (65) when `value` holds a CR, an LF or a NUL. `what` names it for the operator. */
export function assertHeaderValue(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new DataError(
      `${what} contains a line break, which would inject headers into the message; refused`,
      {
        hint: 'remove CR/LF characters from the value',
      },
      'data.header-injection',
    );
  }
}

/** Checks a custom header's name and value; reserved names are refused too. */
export function assertCustomHeader(name: string, value: string): void {
  assertHeaderValue(`header name ${JSON.stringify(name)}`, name);
  if (!FIELD_NAME.test(name))
    throw new DataError(`${JSON.stringify(name)} is not a valid header name`, undefined, 'data.header-name');
  if (RESERVED_HEADERS.has(name.toLowerCase())) {
    throw new DataError(`header ${name} is set by mailctl and cannot be overridden`, undefined, 'data.header-reserved');
  }
  assertHeaderValue(`header ${name}`, value);
}

/** `<local@domain>` as RFC 5322 §3.6.4 msg-id, the subset we generate and accept. */
export const MESSAGE_ID = /^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>$/;
