/**
 * What the rest of mailctl knows of a provider. `spool/` and `commands/` see only this file,
 * never a concrete provider.
 */
import type { SecretRegistry } from '../config/redact.js';
import type { Clock } from '../context.js';
import type { OutgoingMessage } from '../message/types.js';

/** What the provider answered for an accepted message. */
export interface Delivery {
  provider: string;
  /** Our Message-ID header (stable per spool job). */
  messageId: string;
  /** The provider's own id (SendGrid x-message-id, Resend id), when it gives one. */
  providerMessageId?: string | undefined;
  /** SMTP: the final reply line, e.g. `250 2.0.0 Ok: queued as 4F2A1`. */
  response?: string | undefined;
  accepted: string[];
  rejected: string[];
  /** `file` provider: where the .eml was written. */
  path?: string | undefined;
}

export interface SendOptions {
  signal?: AbortSignal | undefined;
  /**
   * The message's RFC 5322 bytes, already built by `buildMime` (providers/mime.ts), e.g. kept by
   * drain across retries. SMTP and file send or write them as they are; HTTP providers ignore them.
   */
  raw?: Buffer | undefined;
}

export interface Provider {
  readonly name: string;
  /** Delivers one message or throws a classified DeliveryError (see classify.ts). */
  send(message: OutgoingMessage, options?: SendOptions): Promise<Delivery>;
  /** Releases pooled connections. Safe to call twice. */
  close(): Promise<void>;
}

/** One stage of `verify-config --connect` (resolve, connect, greeting, EHLO, TLS, AUTH, MAIL FROM…). */
export interface ProbeStage {
  name: string;
  ok: boolean;
  /** Milliseconds the stage took. */
  ms: number;
  /** What we sent, secrets masked (e.g. `EHLO mail.example.com`). */
  sent?: string | undefined;
  /** The server's reply or the outcome. */
  reply?: string | undefined;
  warning?: string | undefined;
}

export interface ProbeReport {
  ok: boolean;
  /** 0 when every stage passed, else the contract's code (69, 75, 76, 77). */
  exitCode: number;
  stages: ProbeStage[];
  /** Why the probe stopped, when it did. */
  error?: string | undefined;
  hint?: string | undefined;
}

export interface ProbeDeps {
  clock: Clock;
  signal: AbortSignal;
  cwd: string;
  /** The machine's host name: the EHLO name when SMTP_LOCAL_HOSTNAME is not set. */
  hostname?: string | undefined;
  /** Resolves SMTP_SERVER to addresses. @defaultValue node:dns/promises `lookup(host, { all: true })` */
  lookup?: ((host: string) => Promise<{ address: string }[]>) | undefined;
  /** Where a provider registers secrets it makes at run time (an OAuth2 access token): never printed. */
  secrets?: SecretRegistry | undefined;
}
