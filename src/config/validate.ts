/**
 * Pure validation: every rule of the contract and of the reference system's start-up checks,
 * plus warnings for the mistakes its users make most (TLS flag vs port, From vs username,
 * AUTH without TLS). Returns every problem at once; never throws.
 */
import { domainOf, parseMailbox } from '../message/address.js';
import { parseSpoolUrl } from './spool-url.js';
import { ipVersion } from './ip.js';
import { keyDef, MAIL_TYPES, type KeyPath } from './keys.js';
import { providerSpec, type ProviderSpec } from './providers.js';
import { MICROSOFT_APP_SCOPE, tokenEndpoint } from './oauth2.js';
import { describeSource, type Config, type Problem, type Severity, type Source } from './resolve.js';

const RATE = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|sec|m|min|h|hour)\s*$/i;

/** Parses `10/s`, `600/m`, `3600/h` to messages per second. */
export function parseRate(text: string): number | undefined {
  const m = RATE.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const per = m[2]!.toLowerCase().startsWith('s') ? 1 : m[2]!.toLowerCase().startsWith('m') ? 60 : 3600;
  return n > 0 ? n / per : undefined;
}

/**
 * @param alreadyBad keys (env names) whose values failed to parse; their other rules are skipped
 *   so that one mistake is reported once.
 */
export function validateConfig(config: Config, alreadyBad: ReadonlySet<string> = new Set()): Problem[] {
  const v = config.values;
  const problems: Problem[] = [];
  const add: Add = (path, severity, message, hint) => {
    const def = keyDef(path);
    if (alreadyBad.has(def.env)) return;
    const source = (config.sources as Readonly<Record<string, Source | undefined>>)[path] ?? { kind: 'unset' };
    const problem: Problem = { key: def.env, severity, message, source: describeSource(source) };
    if (hint) problem.hint = hint;
    problems.push(problem);
  };

  const localHostname = v['smtp.localHostname'];
  if (localHostname !== undefined && !isEhloName(localHostname)) {
    add(
      'smtp.localHostname',
      'error',
      `SMTP_LOCAL_HOSTNAME "${localHostname}" is not a host name or an address literal`,
      "set it to this host's fully-qualified name (mail.example.com), or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]",
    );
  }
  const isSet = (path: KeyPath): boolean =>
    config.sources[path].kind !== 'default' && config.sources[path].kind !== 'unset';

  const mailType = v.mailType;
  const spec = providerSpec(mailType);
  const sends = spec !== undefined && spec.needsSender !== false;

  // Sender
  const from = v.defaultFrom === undefined ? undefined : parseMailbox(v.defaultFrom);
  if (v.defaultFrom !== undefined && !from) {
    add(
      'defaultFrom',
      'error',
      `MAIL_DEFAULT_SEND_FROM "${v.defaultFrom}" is not a valid sender`,
      'use "Name <user@example.com>" or "user@example.com"',
    );
  } else if (v.defaultFrom === undefined && sends) {
    add(
      'defaultFrom',
      'error',
      `MAIL_DEFAULT_SEND_FROM is required for MAIL_TYPE=${mailType}`,
      'set it to an address your provider lets you send from',
    );
  } else if (from && sends && /@dify\.ai$/i.test(from.address)) {
    add(
      'defaultFrom',
      'warning',
      `MAIL_DEFAULT_SEND_FROM ${from.address} is the example sender of Dify's documentation; providers refuse senders you have not verified`,
      'use an address of your own verified domain',
    );
  }

  if (spec) validateProviderKeys(config, mailType, spec, add);
  if (mailType === 'smtp') validateSmtp(config, add, isSet, from?.address);

  // Branding
  // One verdict for every sending path (send with any provider, enqueue, drain): a white-label
  // mail without a product name is never sent. Preview alone shows a sample title.
  if (v['branding.enabled'] && !v['branding.applicationTitle']?.trim()) {
    add(
      'branding.applicationTitle',
      'error',
      'BRANDING_ENABLED is on but APPLICATION_TITLE is not set: white-label mail would name no product',
      'set APPLICATION_TITLE to your product name, or turn BRANDING_ENABLED off',
    );
  }
  if (v['branding.logoUrl'] && !v['branding.logoUrl'].startsWith('https:')) {
    add(
      'branding.logoUrl',
      'warning',
      'BRANDING_LOGO_URL is not https; mail clients block or flag plain-http images',
      'serve the logo over https',
    );
  }
  if (v['branding.supportEmail'] !== undefined && !parseMailbox(v['branding.supportEmail'])) {
    add(
      'branding.supportEmail',
      'error',
      `BRANDING_SUPPORT_EMAIL "${v['branding.supportEmail']}" is not a valid address`,
    );
  }

  // DKIM: all or nothing
  const dkimKey = v['dkim.privateKey'] !== undefined || v['dkim.privateKeyPath'] !== undefined;
  const dkimAny = v['dkim.domain'] !== undefined || v['dkim.selector'] !== undefined || dkimKey;
  if (dkimAny) {
    if (v['dkim.domain'] === undefined) add('dkim.domain', 'error', 'DKIM_DOMAIN is required when DKIM is configured');
    if (v['dkim.selector'] === undefined)
      add('dkim.selector', 'error', 'DKIM_SELECTOR is required when DKIM is configured');
    if (!dkimKey)
      add('dkim.privateKey', 'error', 'DKIM_PRIVATE_KEY or DKIM_PRIVATE_KEY_PATH is required when DKIM is configured');
    if (v['dkim.privateKey'] !== undefined && v['dkim.privateKeyPath'] !== undefined) {
      add(
        'dkim.privateKeyPath',
        'warning',
        'both DKIM_PRIVATE_KEY and DKIM_PRIVATE_KEY_PATH are set; DKIM_PRIVATE_KEY is used',
      );
    }
    if (v['dkim.privateKey'] !== undefined && !v['dkim.privateKey'].includes('PRIVATE KEY')) {
      add(
        'dkim.privateKey',
        'error',
        'DKIM_PRIVATE_KEY is not a PEM private key',
        'paste the key with its -----BEGIN PRIVATE KEY----- lines, or use DKIM_PRIVATE_KEY_PATH',
      );
    }
    if (from && v['dkim.domain'] !== undefined) {
      const d = v['dkim.domain'].toLowerCase();
      const fromDomain = domainOf(from.address);
      if (fromDomain !== d && !fromDomain.endsWith(`.${d}`)) {
        add(
          'dkim.domain',
          'warning',
          `DKIM_DOMAIN ${d} does not align with the sender's domain ${fromDomain}; DMARC needs them aligned`,
          "sign with the sender's domain",
        );
      }
    }
  }
  if (v.unsubscribeUrl !== undefined && !v.unsubscribeUrl.startsWith('https:')) {
    add('unsubscribeUrl', 'error', 'MAIL_UNSUBSCRIBE_URL must be https (RFC 8058 one-click unsubscribe)');
  }

  // Spool and retry policy
  if (v['spool.url'] !== undefined) {
    const spoolUrl = parseSpoolUrl(v['spool.url']);
    if (!spoolUrl.ok)
      add(
        'spool.url',
        'error',
        `MAILCTL_SPOOL_URL ${spoolUrl.reason}`,
        'write it as redis://host:6379/0, rediss://host:6380/0 or file:DIR',
      );
  }
  if (v['drain.rate'] !== undefined && parseRate(v['drain.rate']) === undefined) {
    add(
      'drain.rate',
      'error',
      `MAILCTL_RATE "${v['drain.rate']}" is not a rate`,
      'write it as N/s, N/m or N/h, e.g. 10/s',
    );
  }
  const minB = v['retry.minBackoff'];
  const maxB = v['retry.maxBackoff'];
  if (minB !== undefined && maxB !== undefined && minB > maxB) {
    add('retry.minBackoff', 'error', 'MAILCTL_BACKOFF_MIN is longer than MAILCTL_BACKOFF_MAX');
  }
  for (const addr of v['monitor.alertEmails'] ?? []) {
    if (!parseMailbox(addr))
      add('monitor.alertEmails', 'error', `QUEUE_MONITOR_ALERT_EMAILS: "${addr}" is not a valid address`);
  }

  return problems;
}

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** An EHLO argument (RFC 5321 §4.1.1.1): a domain, or an address literal `[192.0.2.1]`, `[IPv6:…]`. */
export function isEhloName(name: string): boolean {
  const literal = /^\[(.*)\]$/.exec(name);
  if (literal) {
    const inner = literal[1]!;
    if (/^IPv6:/i.test(inner)) return ipVersion(inner.slice(5)) === 6;
    return ipVersion(inner) === 4;
  }
  return (
    name.length <= 253 &&
    name
      .replace(/\.$/, '')
      .split('.')
      .every((label) => HOST_LABEL.test(label))
  );
}

type Add = (path: KeyPath | (string & {}), severity: Severity, message: string, hint?: string) => void;

/** The provider's spec as rules: each required key set, each set value of the right shape. */
function validateProviderKeys(config: Config, mailType: string, spec: ProviderSpec, add: Add): void {
  const values = config.values as Readonly<Record<string, unknown>>;
  const missing = new Set<string>();
  for (const { path, hint } of spec.required ?? []) {
    const value = values[path];
    if (value !== undefined && value !== '') continue;
    missing.add(path);
    add(path, 'error', `${keyDef(path).env} is required for MAIL_TYPE=${mailType}`, hint);
  }
  for (const { path, pattern, message, hint } of spec.shapes ?? []) {
    const value = values[path];
    if (missing.has(path) || typeof value !== 'string' || pattern.test(value)) continue;
    add(path, 'warning', `${keyDef(path).env} ${message}`, hint);
  }
}

function validateSmtp(config: Config, add: Add, isSet: (p: KeyPath) => boolean, fromAddress: string | undefined): void {
  const v = config.values;
  const port = v['smtp.port'];
  const useTls = v['smtp.useTls'] === true;
  const startTls = v['smtp.opportunisticTls'] === true;

  // SMTP_SERVER's rule is the smtp spec's (config/providers.ts); SMTP_PORT has a default of its own.
  if (port === undefined)
    add(
      'smtp.port',
      'error',
      'SMTP_PORT is required for MAIL_TYPE=smtp',
      'use 587 with STARTTLS, or 465 with implicit TLS',
    );
  else if (config.sources['smtp.port'].kind === 'default')
    add(
      'smtp.port',
      'warning',
      `SMTP_PORT is not set: using ${port}, the standard port for ${useTls ? (startTls ? 'STARTTLS' : 'implicit TLS') : 'plain SMTP'}`,
      'set SMTP_PORT to say so explicitly',
    );

  if (startTls && !useTls) {
    add(
      'smtp.opportunisticTls',
      'error',
      'SMTP_OPPORTUNISTIC_TLS=true needs SMTP_USE_TLS=true',
      'for STARTTLS set both to true; for plain SMTP set both to false',
    );
  } else if (useTls && !startTls && port === 587) {
    add(
      'smtp.port',
      'warning',
      'implicit TLS on port 587: servers on 587 expect STARTTLS, so the TLS handshake will fail',
      'set SMTP_OPPORTUNISTIC_TLS=true, or use port 465',
    );
  } else if (useTls && startTls && port === 465) {
    add(
      'smtp.port',
      'warning',
      'STARTTLS on port 465: servers on 465 expect implicit TLS, so the connection will hang until it times out',
      'set SMTP_OPPORTUNISTIC_TLS=false, or use port 587',
    );
  } else if (!useTls && port === 465) {
    add(
      'smtp.port',
      'warning',
      'plain SMTP on port 465: servers on 465 expect implicit TLS, so the connection will hang until it times out',
      'set SMTP_USE_TLS=true',
    );
  }

  const user = v['smtp.username'];
  const pass = v['smtp.password'];
  if (v['smtp.authMethod'] === 'oauth2') validateOAuth2(config, add, useTls);
  else if (OAUTH2_PATHS.some(isSet))
    add(
      'smtp.authMethod',
      'warning',
      'SMTP_OAUTH2_* settings are set but SMTP_AUTH_METHOD is not oauth2: they are ignored and SMTP_PASSWORD is used',
      'set SMTP_AUTH_METHOD=oauth2 to log in with OAuth2',
    );
  if (v['smtp.authMethod'] === 'oauth2') {
    // XOAUTH2 needs no password; the rules below are the password login's.
  } else if (user !== undefined && pass === undefined)
    add(
      'smtp.password',
      'error',
      'SMTP_USERNAME is set but SMTP_PASSWORD is not',
      'set both for AUTH, or neither for a relay without AUTH',
    );
  if (pass !== undefined && user === undefined)
    add(
      'smtp.username',
      'error',
      'SMTP_PASSWORD is set but SMTP_USERNAME is not',
      'set both for AUTH, or neither for a relay without AUTH',
    );
  if (user !== undefined && !useTls && v['smtp.authMethod'] !== 'oauth2') {
    add(
      'smtp.username',
      'warning',
      'AUTH is configured without TLS: the password would cross the network in clear, and most servers offer AUTH only after STARTTLS ("No suitable authentication method found")',
      'set SMTP_USE_TLS=true (and SMTP_OPPORTUNISTIC_TLS=true on port 587)',
    );
  }
  if (user !== undefined && user.includes('@') && fromAddress && domainOf(user) !== domainOf(fromAddress)) {
    add(
      'defaultFrom',
      'warning',
      `the sender's domain ${domainOf(fromAddress)} differs from SMTP_USERNAME's domain ${domainOf(user)}; many servers refuse to send as another domain (550/553)`,
      'send from an address of the account you log in with, or one the provider verified',
    );
  }
  if (v['smtp.tlsVerify'] === false && isSet('smtp.tlsVerify')) {
    add(
      'smtp.tlsVerify',
      'warning',
      'SMTP_TLS_VERIFY=false: the server certificate is not verified, so anyone on the path can read the mail and the password',
      'use it only against a test server',
    );
  }
}

const OAUTH2_PATHS: readonly KeyPath[] = [
  'smtp.oauth2.tokenUrl',
  'smtp.oauth2.clientId',
  'smtp.oauth2.clientSecret',
  'smtp.oauth2.refreshToken',
  'smtp.oauth2.scope',
];

/** SMTP_AUTH_METHOD=oauth2: the mailbox, a usable token endpoint, the client's credentials, TLS. */
function validateOAuth2(config: Config, add: Add, useTls: boolean): void {
  const v = config.values;
  if (!useTls)
    add(
      'smtp.useTls',
      'error',
      'SMTP_AUTH_METHOD=oauth2 needs TLS: a bearer token must not cross the network in clear, and Microsoft 365 and Google offer XOAUTH2 only over TLS',
      'set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true on port 587 (or SMTP_OPPORTUNISTIC_TLS=false on 465)',
    );
  const user = v['smtp.username'];
  if (user === undefined)
    add(
      'smtp.username',
      'error',
      'SMTP_USERNAME is required for SMTP_AUTH_METHOD=oauth2: it names the mailbox the token sends as',
      'set it to the mailbox address, e.g. no-reply@contoso.com',
    );
  else if (!user.includes('@'))
    add(
      'smtp.username',
      'warning',
      `SMTP_USERNAME "${user}" is not a mail address; XOAUTH2 logs in as the mailbox, which Microsoft 365 and Google name by its address`,
      'set it to the mailbox address',
    );
  if (v['smtp.password'] !== undefined)
    add(
      'smtp.password',
      'warning',
      'SMTP_PASSWORD is set but SMTP_AUTH_METHOD=oauth2 does not use it',
      'remove SMTP_PASSWORD, so that no stale password is kept',
    );
  const url = v['smtp.oauth2.tokenUrl'];
  const endpoint = url === undefined ? undefined : tokenEndpoint(url);
  if (url === undefined)
    add(
      'smtp.oauth2.tokenUrl',
      'error',
      'SMTP_OAUTH2_TOKEN_URL is required for SMTP_AUTH_METHOD=oauth2',
      'write microsoft:TENANT-ID for Microsoft 365, google for Google Workspace, or the https URL of the token endpoint',
    );
  else if (endpoint && !endpoint.ok)
    add('smtp.oauth2.tokenUrl', 'error', `SMTP_OAUTH2_TOKEN_URL ${endpoint.reason}`, endpoint.hint);
  if (v['smtp.oauth2.clientId'] === undefined)
    add(
      'smtp.oauth2.clientId',
      'error',
      'SMTP_OAUTH2_CLIENT_ID is required for SMTP_AUTH_METHOD=oauth2',
      'the Application (client) ID of the app registration (Entra) or the OAuth client (Google Cloud)',
    );
  if (v['smtp.oauth2.clientSecret'] === undefined)
    add(
      'smtp.oauth2.clientSecret',
      'error',
      'SMTP_OAUTH2_CLIENT_SECRET is required for SMTP_AUTH_METHOD=oauth2',
      "the client secret's value from the app registration (Entra → Certificates & secrets) or the OAuth client",
    );
  const grant = v['smtp.oauth2.refreshToken'] ? 'refresh_token' : 'client_credentials';
  const scope = v['smtp.oauth2.scope'];
  if (endpoint?.ok && endpoint.platform === 'google' && grant === 'client_credentials')
    add(
      'smtp.oauth2.refreshToken',
      'error',
      "SMTP_OAUTH2_REFRESH_TOKEN is required for Google: Google's token endpoint has no client-credentials grant",
      "get a refresh token with the https://mail.google.com/ scope through the mailbox user's consent (see the README's Google Workspace recipe)",
    );
  // Client credentials can only ask for a resource's static permissions: SCOPE/.default.
  if (grant === 'client_credentials' && scope !== undefined && !/\/\.default$/.test(scope.trim()))
    add(
      'smtp.oauth2.scope',
      'warning',
      `SMTP_OAUTH2_SCOPE "${scope}" does not end in /.default, which the client-credentials grant requires`,
      `leave it unset for ${MICROSOFT_APP_SCOPE}`,
    );
}

export { MAIL_TYPES };
