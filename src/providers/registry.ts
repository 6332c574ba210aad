/**
 * The provider registry: one entry per MAIL_TYPE. Each entry is the provider's spec (label, keys,
 * required keys and their hints, SPF include, DKIM habit, message-id header, auth hint, how it is
 * described: config/providers.ts, which config and classify read) plus how to load it and probe
 * it. The factory (index.ts), verify-config --connect (probe/index.ts), the DNS checks and `send` read
 * this table instead of switching on the name. Loading is lazy: an entry names its module, which
 * (with its libraries) is imported only when that provider is used.
 *
 * `registerProvider()` adds a provider at run time (a test's, or an embedding application's):
 * its spec's keys join the key table, so env, file, `verify-config`, masking and `send` know it.
 */
import type { Config } from '../config/index.js';
import { registerProviderSpec } from '../config/keys.js';
import { providerSpec, type ProviderSpec } from '../config/providers.js';
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
  /**
   * The process sends one mail and ends (`mailctl send`): the file provider writes with blocking
   * calls instead of starting Node's thread pool for them.
   * @defaultValue false: a drain's or an application's event loop is never blocked
   */
  oneShot?: boolean | undefined;
}

export interface ProviderEntry extends ProviderSpec {
  /** Builds the provider from a usable configuration. */
  load(config: Config, deps: ProviderDeps): Promise<Provider>;
  /** `verify-config --connect`: staged checks that deliver nothing. */
  probe(config: Config, deps: ProbeDeps): Promise<ProbeReport>;
}

/** A built-in provider's spec (config/providers.ts). */
function spec(name: string): ProviderSpec {
  const found = providerSpec(name);
  if (!found) throw new Error(`no provider spec for ${name}`);
  return found;
}

/** The registry, keyed by MAIL_TYPE. */
export const PROVIDERS: Record<string, ProviderEntry> = {
  file: {
    ...spec('file'),
    load: async (config, deps) =>
      (await import('./file.js')).createFileProvider({
        dir: config.values['outbox.dir'],
        cwd: deps.cwd,
        dkim: await (await import('./dkim.js')).dkimOptionsFrom(config, deps.cwd),
        blocking: deps.oneShot,
      }),
    probe: async (config, deps) => (await import('./probe/file.js')).probeFile(config, deps),
  },
  smtp: {
    ...spec('smtp'),
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
    ...spec('sendgrid'),
    load: async (config, deps) => (await import('./sendgrid.js')).createSendgridProvider(config, { clock: deps.clock }),
    probe: async (config, deps) => (await import('./probe/http.js')).probeSendgrid(config, deps),
  },
  resend: {
    ...spec('resend'),
    load: async (config, deps) => (await import('./resend.js')).createResendProvider(config, { clock: deps.clock }),
    probe: async (config, deps) => (await import('./probe/http.js')).probeResend(config, deps),
  },
};

/** The entry of a MAIL_TYPE, or undefined for a name no entry has. */
export function providerEntry(mailType: string): ProviderEntry | undefined {
  return Object.hasOwn(PROVIDERS, mailType) ? PROVIDERS[mailType] : undefined;
}

/**
 * Adds a provider at run time: its spec (and its keys) to the configuration, its entry here.
 * A name or key already taken is refused (an Error: a programming mistake, not an operator's).
 * Returns the undo, for a test's afterAll.
 */
export function registerProvider(name: string, entry: ProviderEntry): () => void {
  if (Object.hasOwn(PROVIDERS, name)) throw new Error(`provider ${name} is already registered`);
  const forget = registerProviderSpec(name, entry);
  PROVIDERS[name] = entry;
  return () => {
    forget();
    delete PROVIDERS[name];
  };
}
