/**
 * The shapes of `mailctl check`: what a rule reads (the message decoded once), what it reports
 * (findings), and the report of one message.
 */
import type { Clock } from '../context.js';
import type { DnsClient, DnsQuery } from '../dns/resolver.js';
import type { Category } from '../message/types.js';
import type { MimeNode } from './mime.js';

export type MessageCheck = 'structure' | 'headers' | 'subject' | 'size' | 'dkim' | 'unsubscribe' | 'template' | 'links';

export interface MessageFinding {
  check: MessageCheck;
  severity: 'ok' | 'info' | 'warning' | 'error';
  message: string;
  fix?: string | undefined;
}

export interface MessageReport {
  ok: boolean;
  /** 0, or 65 when a finding is an error (the message is bad data). */
  exitCode: number;
  /** Bytes on the wire. */
  size: number;
  subject: string | undefined;
  findings: MessageFinding[];
  /** DNS queries made for DKIM keys (shown with `--debug`). */
  queries: DnsQuery[];
}

/** The configured DKIM key, for the offline check. Secret: only its public half is used. */
export interface OfflineDkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface MessageCheckDeps {
  clock: Clock;
  /** MAILCTL_DNS_SERVERS; empty or undefined: the system's resolvers. */
  dnsServers?: readonly string[] | undefined;
  /** Verify the signature offline against this key, as well as against DNS. */
  dkim?: OfflineDkimKey | undefined;
  /** The mail's category when known (send knows it; a bare .eml file does not). */
  category?: Category | undefined;
  /** False for security notices, which never carry List-Unsubscribe (see the catalog). */
  unsubscribable?: boolean | undefined;
  /** Per DNS try. @defaultValue 1500 */
  dnsTimeoutMs?: number | undefined;
  /** Skip the DNS half of the DKIM check (offline use). */
  offline?: boolean | undefined;
}

/** One message, decoded once, as every rule reads it. */
export interface MessageContext {
  raw: Buffer;
  /** The raw bytes as latin1 text: one character per byte, for line lengths and the MIME walk. */
  text: string;
  /** The MIME tree with each part's content type and raw headers. */
  tree: MimeNode;
  /** The raw values of a top-level header field (lower-case name), in order. */
  field(name: string): string[];
  /** The decoded HTML part; empty when there is none. */
  html: string;
  /** The decoded text/plain part; empty when there is none. */
  plain: string;
  /** The decoded Subject. */
  subject: string | undefined;
  /** The address of the (first) From mailbox. */
  fromAddress: string | undefined;
  /** The tags of each DKIM-Signature field, in header order. */
  signatures: Map<string, string>[];
  /** The DNS client that DKIM keys are looked up with (its log is the report's `queries`). */
  dns: DnsClient;
  deps: MessageCheckDeps;
}

/** Reports one finding of the rule that is running. */
export type AddFinding = (severity: MessageFinding['severity'], message: string, fix?: string) => void;

/** One check of `mailctl check`: its id (the finding's `check`), what it looks at, and the check itself. */
export interface MessageRule {
  id: MessageCheck;
  /** What it checks, in a line (the list of rules is the documentation). */
  checks: string;
  run(message: MessageContext, add: AddFinding): void | Promise<void>;
}
