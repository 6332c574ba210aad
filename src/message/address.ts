/**
 * Mailbox syntax: `addr` or `Display Name <addr>` (RFC 5322 §3.4, the subset that transactional
 * mail needs). Pure; used by config validation, message composition and the spool.
 */

export interface Mailbox {
  name?: string | undefined;
  address: string;
}

// Dot-atom local part or a quoted string; a domain of LDH labels with a dot, or localhost.
const LOCAL = String.raw`(?:[A-Za-z0-9!#$%&'*+/=?^_\`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_\`{|}~-]+)*|"(?:[^"\\\r\n]|\\.)*")`;
const LABEL = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;
const DOMAIN = String.raw`(?:${LABEL}(?:\.${LABEL})+|localhost|\[[0-9.:A-Fa-f]+\])`;
const ADDR_SPEC = new RegExp(String.raw`^${LOCAL}@${DOMAIN}$`);
const NAME_ADDR = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<>"]*?))\s*<([^<>\s]+)>\s*$/;

/** Parses one mailbox, or returns undefined when it is not valid syntax. */
export function parseMailbox(input: string): Mailbox | undefined {
  if (/[\r\n]/.test(input)) return undefined;
  const text = input.trim();
  if (ADDR_SPEC.test(text)) return { address: text };
  const m = NAME_ADDR.exec(text);
  if (!m) return undefined;
  const address = m[3] ?? '';
  if (!ADDR_SPEC.test(address)) return undefined;
  const name = (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '')).trim();
  return name ? { name, address } : { address };
}

/** The domain part of an address, lower-cased. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** `Name <addr>` or `addr`. */
export function formatMailbox(mailbox: Mailbox): string {
  if (!mailbox.name) return mailbox.address;
  const safe = /^[\w .'-]*$/.test(mailbox.name) ? mailbox.name : `"${mailbox.name.replace(/(["\\])/g, '\\$1')}"`;
  return `${safe} <${mailbox.address}>`;
}
