/**
 * The provider factory: the registry's entry for MAIL_TYPE loads its module lazily, so `file`
 * never loads nodemailer's SMTP code and nothing loads @sendgrid/mail unless it is the provider.
 */
import type { Config } from '../config/index.js';
import { providerSpec } from '../config/providers.js';
import { ConfigError } from '../errors.js';
import { PROVIDERS, providerEntry, type ProviderDeps } from './registry.js';
import type { Provider } from './types.js';

/** The sender `file` uses when MAIL_DEFAULT_SEND_FROM is not set, so the quick start needs no config. */
export const LOCAL_SENDER = 'mailctl <no-reply@localhost>';

/**
 * The sender for one mail: `--from`, else MAIL_DEFAULT_SEND_FROM, else (a provider whose spec
 * needs no sender: `file`) a local sender. Other providers without a sender are a configuration
 * error (78).
 */
export function senderFor(config: Config, override?: string | undefined): string {
  if (override !== undefined) return override;
  const from = config.values.defaultFrom;
  if (from !== undefined) return from;
  if (providerSpec(config.values.mailType)?.needsSender === false) return LOCAL_SENDER;
  throw new ConfigError(`MAIL_DEFAULT_SEND_FROM is required for MAIL_TYPE=${config.values.mailType}`, {
    hint: 'set it, or pass --from ADDR',
  });
}

export async function createProvider(config: Config, deps: ProviderDeps): Promise<Provider> {
  const type = config.values.mailType;
  const entry = providerEntry(type);
  if (!entry)
    throw new ConfigError(`unknown MAIL_TYPE ${String(type)}`, {
      hint: `use ${Object.keys(PROVIDERS).join(', ')}`,
    });
  return entry.load(config, deps);
}

export type { Provider, Delivery, SendOptions } from './types.js';
export type { ProviderDeps } from './registry.js';
export type { DkimOptions } from './mime.js';
export { dkimOptionsFrom } from './dkim.js';
