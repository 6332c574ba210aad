/** A composed message, ready for any provider. Built (and checked) by message/compose.ts only. */
import type { Mailbox } from './address.js';

export type Category = 'code' | 'notification' | 'alert';

export interface OutgoingMessage {
  from: Mailbox;
  to: Mailbox[];
  subject: string;
  html: string;
  /**
   * The HTML as its template's static pieces and the values filled in between them (their
   * concatenation is `html`), when it was rendered from a template: the MIME encoder encodes each
   * static piece once per process instead of once per message (providers/mime-body.ts).
   */
  htmlPieces?: readonly string[] | undefined;
  text: string;
  /** `<id@domain>`, stable across retries of one spool job. */
  messageId: string;
  date: Date;
  /** Extra headers (Auto-Submitted, List-Unsubscribe…), already checked for CR/LF. */
  headers: Record<string, string>;
  /** The mail type, e.g. `reset-password`. */
  type: string;
  category: Category;
  lang: string;
}
