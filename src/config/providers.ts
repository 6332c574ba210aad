/**
 * What mailctl knows about each provider, as data (nodemailer's lib/well-known/services.json
 * habit): one spec per MAIL_TYPE with its label, the keys that must be set and the shape their
 * values must have, how `verify-config` and `send` describe it, its SPF include, whether it signs
 * DKIM itself, the header of its message id and the hint for refused credentials. Validation,
 * describe, classify, the HTTP probes, the DNS checks and `send` read these specs; none of them
 * switches on a provider's name. The provider registry (providers/registry.ts) adds each
 * provider's `load()` and `probe()` to its spec: config is the bottom layer, so the specs live here.
 *
 * A spec may bring its own keys (`keys`): they join the key table (keys.ts `allKeys()`), so env,
 * config file, validation, masking and the README table know them; the module reads them as plain
 * values. The first providers keep theirs in keys.ts, where their values are typed. A provider
 * registered at run time (`registerProvider()` in providers/registry.ts) brings its keys this way.
 */
import type { KeyDef } from './keys.js';
import { tlsMode, type TlsMode } from './tls.js';

/** A key that must be set when this provider is the MAIL_TYPE, with how to get a value. */
export interface RequiredKey {
  /** The file key, e.g. `sendgrid.apiKey`. */
  readonly path: string;
  readonly hint: string;
}

/** A warning for a value that is set but has the wrong shape (SendGrid keys start with `SG.`). */
export interface KeyShape {
  readonly path: string;
  readonly pattern: RegExp;
  /** Says what is wrong, after the env name: `does not start with "SG."; SendGrid keys do`. */
  readonly message: string;
  readonly hint: string;
}

/** The keys of an HTTP API provider: what its probe, its error hints and `describe` name. */
export interface HttpKeys {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeout: string;
}

export interface ProviderSpec {
  /** How people write its name: `SendGrid`. */
  readonly label: string;
  /** Keys this provider adds to the key table (a provider registered at run time). */
  readonly keys?: readonly KeyDef[];
  /** Keys that must be set when it is the MAIL_TYPE. */
  readonly required?: readonly RequiredKey[];
  /** Shape checks of set values (warnings). */
  readonly shapes?: readonly KeyShape[];
  /** An HTTP API provider's key, base URL and timeout keys. */
  readonly http?: HttpKeys;
  /**
   * Whether it needs MAIL_DEFAULT_SEND_FROM. @defaultValue true (`file` has a local sender)
   */
  readonly needsSender?: boolean;
  /** The one line `verify-config` and `send` print for it. @defaultValue `NAME BASE-URL` for HTTP providers */
  readonly describe?: (values: Readonly<Record<string, unknown>>) => string;
  /** The SPF mechanism its documentation gives, for the DNS checks' fixes; absent when it depends on the server. */
  readonly spfInclude?: string;
  /** Whether it signs DKIM with its own domain key when mailctl does not sign. */
  readonly signsDkim: boolean;
  /** The name of its message id in a reply, for `send`'s answer line (`x-message-id`). */
  readonly messageIdHeader?: string;
  /** What to check when it refuses the credentials (HTTP 401/403). */
  readonly authHint?: string;
}

const TLS_LABEL: Record<TlsMode, string> = {
  plain: 'plain SMTP, no TLS',
  implicit: 'implicit TLS',
  starttls: 'STARTTLS required',
  invalid: 'invalid TLS settings',
};

const text = (value: unknown): string => (value === undefined ? '?' : String(value as string | number));

/** The built-in providers, in the order MAIL_TYPE lists them. */
const BUILT_IN: Record<string, ProviderSpec> = {
  file: {
    label: 'file',
    signsDkim: false,
    needsSender: false,
    describe: (v) => `file: .eml files into ${text(v['outbox.dir'])}`,
  },
  smtp: {
    label: 'SMTP',
    signsDkim: false,
    // SMTP_PORT is required too, but it has a default of its own (the TLS mode's port): validate.ts.
    required: [{ path: 'smtp.server', hint: "set it to your provider's SMTP host, e.g. smtp.example.com" }],
    describe: (v) => {
      const mode = TLS_LABEL[tlsMode(v['smtp.useTls'] === true, v['smtp.opportunisticTls'] === true)];
      const method = v['smtp.authMethod'] === 'oauth2' ? 'AUTH XOAUTH2' : 'AUTH';
      const auth = v['smtp.username'] ? `, ${method} as ${text(v['smtp.username'])}` : ', no AUTH';
      return `smtp ${text(v['smtp.server'])}:${text(v['smtp.port'])} (${mode}${auth})`;
    },
  },
  sendgrid: {
    label: 'SendGrid',
    required: [
      { path: 'sendgrid.apiKey', hint: 'create a key with the mail.send scope in SendGrid → Settings → API Keys' },
    ],
    shapes: [
      {
        path: 'sendgrid.apiKey',
        pattern: /^SG\./,
        message: 'does not start with "SG."; SendGrid keys do',
        hint: 'paste the whole key as SendGrid showed it',
      },
    ],
    http: { apiKey: 'sendgrid.apiKey', baseUrl: 'sendgrid.baseUrl', timeout: 'sendgrid.timeout' },
    spfInclude: 'include:sendgrid.net',
    signsDkim: true,
    messageIdHeader: 'x-message-id',
    authHint: 'check SENDGRID_API_KEY and that it has the mail.send scope, and that the sender is verified',
  },
  resend: {
    label: 'Resend',
    required: [{ path: 'resend.apiKey', hint: 'create a key in Resend → API Keys' }],
    http: { apiKey: 'resend.apiKey', baseUrl: 'resend.apiUrl', timeout: 'resend.timeout' },
    spfInclude: 'include:amazonses.com',
    signsDkim: true,
    messageIdHeader: 'id',
    authHint: 'check RESEND_API_KEY and that the sender domain is verified',
  },
};

const specs = new Map<string, ProviderSpec>(Object.entries(BUILT_IN));

/**
 * MAIL_TYPE's accepted values: the built-in providers, then those registered at run time. The
 * key table's MAIL_TYPE entry holds this very array, so its parser accepts a registered name.
 */
export const MAIL_TYPE_NAMES: string[] = [...specs.keys()];

// Keys that specs bring (a spec's own `keys`): they join the key table after keys.ts's.
const registeredKeys: KeyDef[] = [...specs.values()].flatMap((spec) => spec.keys ?? []);

/** The spec of a MAIL_TYPE, or undefined for a name no provider has. */
export function providerSpec(mailType: string | undefined): ProviderSpec | undefined {
  return mailType === undefined ? undefined : specs.get(mailType);
}

/** The keys that provider specs add to the key table (keys.ts `allKeys()`). */
export function providerKeys(): readonly KeyDef[] {
  return registeredKeys;
}

/**
 * Adds a provider's spec (and its keys) at run time (keys.ts `registerProviderSpec` passes the
 * key table). Refuses a name or a key that is taken, so that a registration never changes what a
 * built-in provider means. Returns the undo.
 */
export function addProviderSpec(name: string, spec: ProviderSpec, table: readonly KeyDef[]): () => void {
  if (specs.has(name)) throw new Error(`provider ${name} is already registered`);
  const keys = spec.keys ?? [];
  const taken = keys.filter((k) => table.some((t) => t.env === k.env || t.path === k.path));
  if (taken.length > 0)
    throw new Error(`provider ${name}: keys already in the table: ${taken.map((k) => k.env).join(', ')}`);
  specs.set(name, spec);
  MAIL_TYPE_NAMES.push(name);
  registeredKeys.push(...keys);
  return () => {
    specs.delete(name);
    MAIL_TYPE_NAMES.splice(MAIL_TYPE_NAMES.indexOf(name), 1);
    for (const key of keys) registeredKeys.splice(registeredKeys.indexOf(key), 1);
  };
}
