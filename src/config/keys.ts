/**
 * The one table of configuration keys. Loading, validation, masking, `--help` and the README's
 * configuration table all come from it (test/unit/config/readme-table.test.ts fails on drift).
 * Env names are Dify's where Dify has one, so an existing Dify `.env` works unchanged.
 */
import { addProviderSpec, MAIL_TYPE_NAMES, providerKeys, type ProviderSpec } from './providers.js';

export type KeyType = 'string' | 'boolean' | 'integer' | 'port' | 'duration' | 'enum' | 'list' | 'url';

export interface KeyDef {
  /** Environment variable name. */
  readonly env: string;
  /** Dotted key in the config file, e.g. `smtp.port`. */
  readonly path: string;
  readonly type: KeyType;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** Lower bound of an `integer`. */
  readonly min?: number;
  /** Default value, already parsed (durations in milliseconds). */
  readonly default?: string | number | boolean | readonly string[];
  /** Never printed, logged or written to a spool; masked on every output path. */
  readonly secret?: boolean;
  readonly description: string;
}

/** MAIL_TYPE's accepted values: one per provider spec (config/providers.ts), registered ones included. */
export const MAIL_TYPES: readonly string[] = MAIL_TYPE_NAMES;
/** A provider's name; the specs in config/providers.ts say which exist. */
export type MailType = string;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const KEYS = [
  {
    env: 'MAIL_TYPE',
    path: 'mailType',
    type: 'enum',
    values: MAIL_TYPES,
    default: 'file',
    description: 'Provider: `file` writes .eml files; the others send them (see "Providers").',
  },
  {
    env: 'MAIL_DEFAULT_SEND_FROM',
    path: 'defaultFrom',
    type: 'string',
    description: 'Sender, `Name <addr>` or `addr`. Required for every provider but `file`.',
  },

  { env: 'SMTP_SERVER', path: 'smtp.server', type: 'string', description: 'SMTP host name. Required for smtp.' },
  {
    env: 'SMTP_PORT',
    path: 'smtp.port',
    type: 'port',
    description: 'SMTP port. Unset: the standard port of the TLS mode (465 implicit TLS, 587 STARTTLS, 25 plain).',
  },
  {
    env: 'SMTP_USERNAME',
    path: 'smtp.username',
    type: 'string',
    description: 'AUTH user name (set both username and password, or neither).',
  },
  { env: 'SMTP_PASSWORD', path: 'smtp.password', type: 'string', secret: true, description: 'AUTH password.' },
  {
    env: 'SMTP_AUTH_METHOD',
    path: 'smtp.authMethod',
    type: 'enum',
    values: ['password', 'oauth2'],
    default: 'password',
    description:
      'How to log in: `password` (AUTH PLAIN/LOGIN with SMTP_PASSWORD) or `oauth2` (AUTH XOAUTH2 with a token from SMTP_OAUTH2_TOKEN_URL; see "SMTP with OAuth2").',
  },
  {
    env: 'SMTP_OAUTH2_TOKEN_URL',
    path: 'smtp.oauth2.tokenUrl',
    type: 'string',
    description:
      'OAuth2 token endpoint: `microsoft:TENANT` (tenant id or domain; a bare tenant GUID works too), `google`, or an https URL. Required for oauth2.',
  },
  {
    env: 'SMTP_OAUTH2_CLIENT_ID',
    path: 'smtp.oauth2.clientId',
    type: 'string',
    description: 'OAuth2 client (application) id. Required for oauth2.',
  },
  {
    env: 'SMTP_OAUTH2_CLIENT_SECRET',
    path: 'smtp.oauth2.clientSecret',
    type: 'string',
    secret: true,
    description: 'OAuth2 client secret. Required for oauth2.',
  },
  {
    env: 'SMTP_OAUTH2_REFRESH_TOKEN',
    path: 'smtp.oauth2.refreshToken',
    type: 'string',
    secret: true,
    description:
      "Refresh token of the mailbox's user (refresh-token grant). Unset: client-credentials grant (app-only).",
  },
  {
    env: 'SMTP_OAUTH2_SCOPE',
    path: 'smtp.oauth2.scope',
    type: 'string',
    description:
      'Scope asked of the token endpoint. Unset: `https://outlook.office365.com/.default` (client credentials), `https://outlook.office.com/SMTP.Send offline_access` (Microsoft, refresh token), none for Google (the consent fixed it).',
  },
  {
    env: 'SMTP_USE_TLS',
    path: 'smtp.useTls',
    type: 'boolean',
    default: false,
    description: 'Use TLS at all (see the TLS table).',
  },
  {
    env: 'SMTP_OPPORTUNISTIC_TLS',
    path: 'smtp.opportunisticTls',
    type: 'boolean',
    default: false,
    description: 'STARTTLS (required) instead of implicit TLS; needs SMTP_USE_TLS.',
  },
  {
    env: 'SMTP_TLS_VERIFY',
    path: 'smtp.tlsVerify',
    type: 'boolean',
    default: true,
    description: 'Verify the server certificate and host name. Turn off only for a test server.',
  },
  {
    env: 'SMTP_LOCAL_HOSTNAME',
    path: 'smtp.localHostname',
    type: 'string',
    description: 'Name sent in EHLO (relays that check it reject container host names).',
  },
  {
    env: 'SMTP_CONNECT_TIMEOUT',
    path: 'smtp.connectTimeout',
    type: 'duration',
    default: 10 * SECOND,
    description: 'Time to establish the TCP connection.',
  },
  {
    env: 'SMTP_GREETING_TIMEOUT',
    path: 'smtp.greetingTimeout',
    type: 'duration',
    default: 10 * SECOND,
    description: 'Time to wait for the server greeting.',
  },
  {
    env: 'SMTP_SOCKET_TIMEOUT',
    path: 'smtp.socketTimeout',
    type: 'duration',
    default: 30 * SECOND,
    description:
      'Longest wait for one reply, not reset by a trickle; a message gets at most connect + greeting + 8 of these (+1 per extra recipient).',
  },
  {
    env: 'SMTP_POOL_SIZE',
    path: 'smtp.poolSize',
    type: 'integer',
    min: 1,
    default: 5,
    description: 'Connections kept open by `drain` (pooled transport).',
  },

  {
    env: 'SENDGRID_API_KEY',
    path: 'sendgrid.apiKey',
    type: 'string',
    secret: true,
    description: 'SendGrid API key (needs the `mail.send` scope). Required for sendgrid.',
  },
  {
    env: 'SENDGRID_API_BASE_URL',
    path: 'sendgrid.baseUrl',
    type: 'url',
    default: 'https://api.sendgrid.com',
    description: 'SendGrid API base URL (EU data residency: https://api.eu.sendgrid.com).',
  },
  {
    env: 'SENDGRID_TIMEOUT',
    path: 'sendgrid.timeout',
    type: 'duration',
    default: 15 * SECOND,
    description: 'Total deadline of one SendGrid request, the whole answer included.',
  },

  {
    env: 'RESEND_API_KEY',
    path: 'resend.apiKey',
    type: 'string',
    secret: true,
    description: 'Resend API key. Required for resend.',
  },
  {
    env: 'RESEND_API_URL',
    path: 'resend.apiUrl',
    type: 'url',
    default: 'https://api.resend.com',
    description: 'Resend API base URL.',
  },
  {
    env: 'RESEND_TIMEOUT',
    path: 'resend.timeout',
    type: 'duration',
    default: 15 * SECOND,
    description: 'Total deadline of one Resend request, the whole answer included.',
  },

  {
    env: 'BRANDING_ENABLED',
    path: 'branding.enabled',
    type: 'boolean',
    default: false,
    description: 'White-label mail: your title, logo and support address instead of the default product.',
  },
  {
    env: 'APPLICATION_TITLE',
    path: 'branding.applicationTitle',
    type: 'string',
    description: 'Product name shown in white-label subjects and bodies.',
  },
  {
    env: 'BRANDING_LOGO_URL',
    path: 'branding.logoUrl',
    type: 'url',
    description: 'https URL of the logo in white-label mail headers.',
  },
  {
    env: 'BRANDING_SUPPORT_EMAIL',
    path: 'branding.supportEmail',
    type: 'string',
    description: 'Support address named in white-label mail footers.',
  },

  { env: 'DKIM_DOMAIN', path: 'dkim.domain', type: 'string', description: 'DKIM signing domain (d=).' },
  {
    env: 'DKIM_SELECTOR',
    path: 'dkim.selector',
    type: 'string',
    description: 'DKIM selector (s=); the key is published at SELECTOR._domainkey.DOMAIN.',
  },
  {
    env: 'DKIM_PRIVATE_KEY',
    path: 'dkim.privateKey',
    type: 'string',
    secret: true,
    description: 'DKIM private key, PEM.',
  },
  {
    env: 'DKIM_PRIVATE_KEY_PATH',
    path: 'dkim.privateKeyPath',
    type: 'string',
    description: 'File holding the DKIM private key, PEM (instead of DKIM_PRIVATE_KEY).',
  },
  {
    env: 'MAIL_UNSUBSCRIBE_URL',
    path: 'unsubscribeUrl',
    type: 'url',
    description: 'https one-click unsubscribe URL (RFC 8058); added to notification mails only.',
  },

  {
    env: 'MAILCTL_SPOOL_DIR',
    path: 'spool.dir',
    type: 'string',
    default: '.mailctl/spool',
    description: 'Spool directory for `enqueue`, `drain` and `queue`.',
  },
  {
    env: 'MAILCTL_MAX_JOB_SIZE',
    path: 'spool.maxJobSize',
    type: 'integer',
    min: 1024,
    default: 10 * 1024 * 1024,
    description:
      'Largest job file in bytes: `enqueue` refuses a bigger job (65) and `drain` moves a bigger file to `corrupt/` instead of reading it.',
  },
  {
    env: 'MAILCTL_SPOOL_URL',
    path: 'spool.url',
    type: 'string',
    description:
      'Spool backend: `redis://host:6379/0` (`rediss://` for TLS) for one queue shared by several hosts; unset or `file:` keeps the file spool in MAILCTL_SPOOL_DIR.',
  },
  {
    env: 'MAILCTL_REDIS_PASSWORD',
    path: 'redis.password',
    type: 'string',
    secret: true,
    description: 'Redis password for MAILCTL_SPOOL_URL (instead of writing it into the URL).',
  },
  {
    env: 'MAILCTL_OUTBOX_DIR',
    path: 'outbox.dir',
    type: 'string',
    default: '.mailctl/outbox',
    description: 'Where the `file` provider writes .eml files.',
  },
  {
    env: 'MAILCTL_TEMPLATES_DIR',
    path: 'templates.dir',
    type: 'string',
    description:
      'Your own template directory, laid over the built-in templates (see "Your own templates"). Unset: the built-in ones only.',
  },
  {
    env: 'MAILCTL_CONCURRENCY',
    path: 'drain.concurrency',
    type: 'integer',
    min: 1,
    default: 5,
    description: 'Deliveries in flight at once during `drain`.',
  },
  {
    env: 'MAILCTL_RATE',
    path: 'drain.rate',
    type: 'string',
    description: 'Global send rate limit during `drain`, e.g. `10/s` or `600/m`. Unset: no limit.',
  },
  {
    env: 'MAILCTL_MAX_ATTEMPTS',
    path: 'retry.maxAttempts',
    type: 'integer',
    min: 1,
    default: 8,
    description: 'Delivery attempts before a job goes to dead.',
  },
  {
    env: 'MAILCTL_BACKOFF_MIN',
    path: 'retry.minBackoff',
    type: 'duration',
    default: 30 * SECOND,
    description: 'First retry delay (then doubled each attempt, with jitter).',
  },
  {
    env: 'MAILCTL_BACKOFF_MAX',
    path: 'retry.maxBackoff',
    type: 'duration',
    default: HOUR,
    description: 'Longest retry delay.',
  },
  {
    env: 'MAILCTL_MAX_LIFETIME',
    path: 'retry.maxLifetime',
    type: 'duration',
    default: 5 * DAY,
    description: 'A job still undelivered this long after it was queued goes to dead.',
  },
  {
    env: 'MAILCTL_CODE_TTL',
    path: 'retry.codeTtl',
    type: 'duration',
    description:
      "Time-to-live of mails that carry a one-time code. Unset: each type's own default (see `templates list`).",
  },

  {
    env: 'QUEUE_MONITOR_THRESHOLD',
    path: 'monitor.threshold',
    type: 'integer',
    min: 0,
    default: 200,
    description: 'Backlog at which `queue monitor` alerts.',
  },
  {
    env: 'QUEUE_MONITOR_ALERT_EMAILS',
    path: 'monitor.alertEmails',
    type: 'list',
    description: 'Comma-separated recipients of queue alerts.',
  },
  {
    env: 'MAILCTL_MONITOR_COOLDOWN',
    path: 'monitor.cooldown',
    type: 'duration',
    default: HOUR,
    description: 'Least time between two alerts of `queue monitor`.',
  },

  {
    env: 'MAILCTL_DNS_SERVERS',
    path: 'dns.servers',
    type: 'list',
    description: "DNS servers for `verify-config --dns` (`host` or `host:port`, comma-separated). Unset: the system's.",
  },
] as const satisfies readonly KeyDef[];

export type Key = (typeof KEYS)[number];
export type KeyPath = Key['path'];
export type EnvName = Key['env'];

type ValueOf<K extends KeyDef> = K['type'] extends 'boolean'
  ? boolean
  : K['type'] extends 'integer' | 'port' | 'duration'
    ? number
    : K['type'] extends 'list'
      ? readonly string[]
      : K extends { values: readonly (infer V)[] }
        ? V
        : string;

/**
 * Resolved values by file key. A key with a default is always present (typed so: callers never
 * repeat the default); a key without one is `undefined` where nothing set it.
 */
export type ConfigValues = {
  [K in Key as K['path']]: K extends { readonly default: NonNullable<KeyDef['default']> }
    ? ValueOf<K>
    : ValueOf<K> | undefined;
};

export const KEY_BY_PATH: ReadonlyMap<string, KeyDef> = new Map(KEYS.map((k) => [k.path, k]));
export const KEY_BY_ENV: ReadonlyMap<string, KeyDef> = new Map(KEYS.map((k) => [k.env, k]));

/** The whole key table: the keys above, then those of providers registered at run time. */
export function allKeys(): readonly KeyDef[] {
  const registered = providerKeys();
  return registered.length === 0 ? KEYS : [...KEYS, ...registered];
}

/** The definition of a file key, a registered provider's included. */
export function keyDef(path: KeyPath | (string & {})): KeyDef {
  const def = KEY_BY_PATH.get(path) ?? providerKeys().find((k) => k.path === path);
  if (!def) throw new Error(`unknown config key ${path}`);
  return def;
}

/**
 * Adds a provider's spec at run time; its keys join the table (see config/providers.ts). Returns
 * the undo. providers/registry.ts `registerProvider()` calls it: use that.
 */
export function registerProviderSpec(name: string, spec: ProviderSpec): () => void {
  return addProviderSpec(name, spec, allKeys());
}
