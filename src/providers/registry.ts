/**
 * What differs between providers, as data (nodemailer's lib/well-known/services.json habit): one
 * entry per MAIL_TYPE with its label, what the DNS checks and the CLI need to know about it, and
 * how to load it and probe it. The factory (index.ts), verify-config --connect (probe/index.ts), the DNS
 * checks and `send` read this table instead of switching on the name. Loading is lazy: an entry
 * names its module, which (with its libraries) is imported only when that provider is used.
 */
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import type { SecretRegistry } from '../config/redact.js';
import type { ProbeDeps, ProbeReport, Provider } from './types.js';

export interface ProviderDeps {
  cwd: string;
  clock: Clock;
  /** A pooled SMTP transport that keeps SMTP_POOL_SIZE connections open (drain). */
  pool?: boolean | undefined;
  /**
   * Where a provider registers secrets it makes at run time (an OAuth2 access token, with the
   * login it goes with): the run's redactor then masks them, XOAUTH2 strings included, in every
   * output and in every job it writes.
   */
  secrets?: SecretRegistry | undefined;
  /** SMTP only: receives the dialogue line by line, AUTH masked (`--transcript`, `--debug`). */
  transcript?: ((line: string) => void) | undefined;
}

export interface ProviderEntry {
  /** How people write its name: `SendGrid`. */
  readonly label: string;
  /** The SPF mechanism its documentation gives, for the DNS checks' fixes; absent when it depends on the server. */
  readonly spfInclude?: string;
  /** Whether it signs DKIM with its own domain key when mailctl does not sign. */
  readonly signsDkim: boolean;
  /** The name of its message id in a reply, for `send`'s answer line (`x-message-id`). */
  readonly messageIdHeader?: string;
  /** Builds the provider from a usable configuration. */
  load(config: Config, deps: ProviderDeps): Promise<Provider>;
  /** `verify-config --connect`: staged checks that deliver nothing. */
  probe(config: Config, deps: ProbeDeps): Promise<ProbeReport>;
}

/** The registry, keyed by MAIL_TYPE. */
export const PROVIDERS: Record<string, ProviderEntry> = {
  file: {
    label: 'file',
    signsDkim: false,
    load: async (config, deps) =>
      (await import('./file.js')).createFileProvider({
        dir: config.values['outbox.dir'],
        cwd: deps.cwd,
        dkim: await (await import('./dkim.js')).dkimOptionsFrom(config, deps.cwd),
      }),
    probe: async (config, deps) => (await import('./probe/file.js')).probeFile(config, deps),
  },
  smtp: {
    label: 'SMTP',
    signsDkim: false,
    load: async (config, deps) =>
      (await import('./smtp.js')).createSmtpProvider(config, {
        pool: deps.pool === true,
        dkim: await (await import('./dkim.js')).dkimOptionsFrom(config, deps.cwd),
        tokens: (await import('./oauth2.js')).tokenSourceFor(config, deps),
        transcript: deps.transcript,
      }),
    probe: async (config, deps) => (await import('./probe/smtp/index.js')).probeSmtp(config, deps),
  },
  sendgrid: {
    label: 'SendGrid',
    spfInclude: 'include:sendgrid.net',
    signsDkim: true,
    messageIdHeader: 'x-message-id',
    load: async (config, deps) => (await import('./sendgrid.js')).createSendgridProvider(config, { clock: deps.clock }),
    probe: async (config, deps) => (await import('./probe/http.js')).probeSendgrid(config, deps),
  },
  resend: {
    label: 'Resend',
    spfInclude: 'include:amazonses.com',
    signsDkim: true,
    messageIdHeader: 'id',
    load: async (config, deps) => (await import('./resend.js')).createResendProvider(config, { clock: deps.clock }),
    probe: async (config, deps) => (await import('./probe/http.js')).probeResend(config, deps),
  },
};

/** The entry of a MAIL_TYPE, or undefined for a name no entry has. */
export function providerEntry(mailType: string): ProviderEntry | undefined {
  return Object.hasOwn(PROVIDERS, mailType) ? PROVIDERS[mailType] : undefined;
}
