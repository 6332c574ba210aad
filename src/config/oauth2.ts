/**
 * OAuth2 for SMTP (XOAUTH2): what SMTP_OAUTH2_* settle to, with the presets that spare an operator
 * the URLs. Pure: validation, the token module and `verify-config --connect` all read this one
 * answer, so they cannot disagree about the endpoint, the grant or the scope.
 *
 * | SMTP_OAUTH2_TOKEN_URL | token endpoint |
 * |---|---|
 * | `microsoft:TENANT` or a bare tenant GUID | https://login.microsoftonline.com/TENANT/oauth2/v2.0/token |
 * | `google` | https://oauth2.googleapis.com/token |
 * | an https URL (http only to a loopback address) | itself |
 *
 * The grant follows SMTP_OAUTH2_REFRESH_TOKEN: set, the refresh-token grant (a user's delegated
 * consent); unset, the client-credentials grant (Microsoft 365's app-only SMTP).
 */
import type { ConfigValues } from './keys.js';

export type OAuth2Platform = 'microsoft' | 'google' | 'other';
export type OAuth2Grant = 'client_credentials' | 'refresh_token';

export const MICROSOFT_APP_SCOPE = 'https://outlook.office365.com/.default';
// Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth" names this delegated scope;
// offline_access keeps a refresh token coming back with every refresh.
export const MICROSOFT_DELEGATED_SCOPE = 'https://outlook.office.com/SMTP.Send offline_access';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface OAuth2Settings {
  tokenUrl: string;
  platform: OAuth2Platform;
  grant: OAuth2Grant;
  /** Sent with the token request; undefined sends none (the refresh token carries its consent). */
  scope: string | undefined;
  /** Where the scope came from, for the `token` stage of `verify-config --connect`. */
  scopeSource: 'configured' | 'default' | 'none';
  clientId: string;
  clientSecret: string;
  refreshToken: string | undefined;
  /** The mailbox: the `user=` of XOAUTH2. */
  user: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A tenant is a GUID, a verified domain (contoso.onmicrosoft.com) or one of Entra's aliases.
const TENANT =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(?:\.[a-z0-9-]+)+|organizations|common|consumers)$/i;

/** The token endpoint SMTP_OAUTH2_TOKEN_URL names, or why it names none. Pure. */
export function tokenEndpoint(
  value: string,
): { ok: true; url: string; platform: OAuth2Platform } | { ok: false; reason: string; hint: string } {
  const text = value.trim();
  if (/^google$/i.test(text)) return { ok: true, url: GOOGLE_TOKEN_URL, platform: 'google' };
  const ms = /^(?:microsoft|tenant|entra|azure):(.*)$/i.exec(text);
  const tenant = ms ? ms[1]!.trim() : GUID.test(text) ? text : undefined;
  if (tenant !== undefined) {
    if (!TENANT.test(tenant))
      return {
        ok: false,
        reason: `"${tenant}" is not a Microsoft tenant id`,
        hint: 'use the Directory (tenant) ID from Entra → Overview, or the tenant domain, e.g. microsoft:contoso.onmicrosoft.com',
      };
    return {
      ok: true,
      url: `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
      platform: 'microsoft',
    };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {
      ok: false,
      reason: `"${text}" is neither a token URL nor a preset`,
      hint: 'write microsoft:TENANT-ID, google, or the https URL of the token endpoint',
    };
  }
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    return {
      ok: false,
      reason: `${url.protocol}// would send the client secret in clear`,
      hint: 'use the https URL of the token endpoint (http is allowed only to a loopback address)',
    };
  if (url.username || url.password)
    return { ok: false, reason: 'carries credentials in the URL', hint: 'put the secret in SMTP_OAUTH2_CLIENT_SECRET' };
  const host = url.hostname.toLowerCase();
  const platform: OAuth2Platform =
    host === 'login.microsoftonline.com'
      ? 'microsoft'
      : host === 'oauth2.googleapis.com' || host === 'accounts.google.com'
        ? 'google'
        : 'other';
  return { ok: true, url: url.href, platform };
}

/** The scope to ask for: the configured one, else the platform's for this grant. Pure. */
export function defaultScope(platform: OAuth2Platform, grant: OAuth2Grant): string | undefined {
  if (grant === 'client_credentials') return platform === 'google' ? GOOGLE_MAIL_SCOPE : MICROSOFT_APP_SCOPE;
  if (platform === 'microsoft') return MICROSOFT_DELEGATED_SCOPE;
  // Google's refresh-token grant takes no scope: the user's consent fixed it (https://mail.google.com/).
  return undefined;
}

type OAuth2Values = Pick<
  ConfigValues,
  | 'smtp.username'
  | 'smtp.oauth2.tokenUrl'
  | 'smtp.oauth2.clientId'
  | 'smtp.oauth2.clientSecret'
  | 'smtp.oauth2.refreshToken'
  | 'smtp.oauth2.scope'
>;

/**
 * Everything the token request needs, or undefined when a required value is missing or the token
 * URL is unusable (verify-config names which; commands refuse to start before they get here).
 */
export function oauth2Settings(v: OAuth2Values): OAuth2Settings | undefined {
  const endpoint = v['smtp.oauth2.tokenUrl'] === undefined ? undefined : tokenEndpoint(v['smtp.oauth2.tokenUrl']);
  const clientId = v['smtp.oauth2.clientId'];
  const clientSecret = v['smtp.oauth2.clientSecret'];
  const user = v['smtp.username'];
  if (!endpoint?.ok || !clientId || !clientSecret || !user) return undefined;
  const refreshToken = v['smtp.oauth2.refreshToken'] || undefined;
  const grant: OAuth2Grant = refreshToken ? 'refresh_token' : 'client_credentials';
  const configured = v['smtp.oauth2.scope']?.trim() || undefined;
  const scope = configured ?? defaultScope(endpoint.platform, grant);
  return {
    tokenUrl: endpoint.url,
    platform: endpoint.platform,
    grant,
    scope,
    scopeSource: configured ? 'configured' : scope ? 'default' : 'none',
    clientId,
    clientSecret,
    refreshToken,
    user,
  };
}
