/** A composed message, ready for any provider. Built (and checked) by message/compose.ts only. */
import type { Mailbox } from './address.js';

export type Category = 'code' | 'notification' | 'alert';

export interface OutgoingMessage {
  from: Mailbox;
  to: Mailbox[];
  subject: string;
  html: string;
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
