/**
 * The one switch on MAIL_TYPE. Concrete providers are imported lazily, so `file` never loads
 * nodemailer's SMTP code and nothing loads @sendgrid/mail unless it is the provider.
 */
import type { Config } from '../config/index.js';
import type { SecretRegistry } from '../config/redact.js';
import type { Clock } from '../context.js';
import { ConfigError } from '../errors.js';
import { dkimOptionsFrom } from './dkim.js';
import type { Provider } from './types.js';

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

/** The sender `file` uses when MAIL_DEFAULT_SEND_FROM is not set, so the quick start needs no config. */
export const LOCAL_SENDER = 'mailctl <no-reply@localhost>';

/**
 * The sender for one mail: `--from`, else MAIL_DEFAULT_SEND_FROM, else (file provider only) a
 * local sender. Other providers without a sender are a configuration error (78).
 */
export function senderFor(config: Config, override?: string | undefined): string {
  if (override !== undefined) return override;
  const from = config.values.defaultFrom;
  if (from !== undefined) return from;
  if (config.values.mailType === 'file') return LOCAL_SENDER;
  throw new ConfigError(`MAIL_DEFAULT_SEND_FROM is required for MAIL_TYPE=${config.values.mailType}`, {
    hint: 'set it, or pass --from ADDR',
  });
}

export async function createProvider(config: Config, deps: ProviderDeps): Promise<Provider> {
  const type = config.values.mailType;
  switch (type) {
    case 'file': {
      const { createFileProvider } = await import('./file.js');
      return createFileProvider({
        dir: config.values['outbox.dir'],
        cwd: deps.cwd,
        dkim: await dkimOptionsFrom(config, deps.cwd),
      });
    }
    case 'smtp': {
      const { createSmtpProvider } = await import('./smtp.js');
      return createSmtpProvider(config, {
        pool: deps.pool === true,
        dkim: await dkimOptionsFrom(config, deps.cwd),
        tokens: (await import('./oauth2.js')).tokenSourceFor(config, deps),
        transcript: deps.transcript,
      });
    }
    case 'sendgrid': {
      const { createSendgridProvider } = await import('./sendgrid.js');
      return createSendgridProvider(config, { clock: deps.clock });
    }
    case 'resend': {
      const { createResendProvider } = await import('./resend.js');
      return createResendProvider(config, { clock: deps.clock });
    }
    default:
      throw new ConfigError(`unknown MAIL_TYPE ${String(type)}`, { hint: 'use file, smtp, sendgrid or resend' });
  }
}

export type { Provider, Delivery, SendOptions } from './types.js';
export type { DkimOptions } from './mime.js';
export { dkimOptionsFrom } from './dkim.js';
