import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { validateConfig, parseRate } from '../../../src/config/validate.js';
import { oauth2Settings, tokenEndpoint } from '../../../src/config/oauth2.js';

function check(env: Record<string, string>): { key: string; severity: string; message: string }[] {
  const { config, problems } = resolveConfig({ env });
  return [...problems, ...validateConfig(config, new Set(problems.map((p) => p.key)))];
}

const SMTP = {
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: 'smtp.example.com',
  MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
};

describe('verify-config rules', () => {
  it.each<[string, Record<string, string>, string, 'error' | 'warning', RegExp]>([
    [
      'smtp needs a server',
      { MAIL_TYPE: 'smtp', SMTP_PORT: '25', MAIL_DEFAULT_SEND_FROM: 'a@example.com' },
      'SMTP_SERVER',
      'error',
      /required/,
    ],
    [
      'smtp without a port: the plain port 25, said',
      { ...SMTP },
      'SMTP_PORT',
      'warning',
      /not set: using 25, the standard port for plain SMTP/,
    ],
    [
      'smtp without a port: 587 for STARTTLS, said',
      { ...SMTP, SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true' },
      'SMTP_PORT',
      'warning',
      /not set: using 587, the standard port for STARTTLS/,
    ],
    [
      'smtp without a port: 465 for implicit TLS, said',
      { ...SMTP, SMTP_USE_TLS: 'true' },
      'SMTP_PORT',
      'warning',
      /not set: using 465, the standard port for implicit TLS/,
    ],
    ['port must be 1–65535', { ...SMTP, SMTP_PORT: '0' }, 'SMTP_PORT', 'error', /out of range/],
    ['port must be a whole number', { ...SMTP, SMTP_PORT: '58.7' }, 'SMTP_PORT', 'error', /whole number/],
    [
      'STARTTLS needs SMTP_USE_TLS',
      { ...SMTP, SMTP_PORT: '587', SMTP_OPPORTUNISTIC_TLS: 'true' },
      'SMTP_OPPORTUNISTIC_TLS',
      'error',
      /needs SMTP_USE_TLS=true/,
    ],
    [
      'implicit TLS on 587',
      { ...SMTP, SMTP_PORT: '587', SMTP_USE_TLS: 'true' },
      'SMTP_PORT',
      'warning',
      /implicit TLS on port 587/,
    ],
    [
      'STARTTLS on 465',
      { ...SMTP, SMTP_PORT: '465', SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'yes' },
      'SMTP_PORT',
      'warning',
      /STARTTLS on port 465/,
    ],
    [
      "plain on 465 (Dify's code default)",
      { ...SMTP, SMTP_PORT: '465' },
      'SMTP_PORT',
      'warning',
      /plain SMTP on port 465/,
    ],
    [
      'username without password',
      { ...SMTP, SMTP_PORT: '587', SMTP_USE_TLS: '1', SMTP_OPPORTUNISTIC_TLS: '1', SMTP_USERNAME: 'u@example.com' },
      'SMTP_PASSWORD',
      'error',
      /SMTP_USERNAME is set but SMTP_PASSWORD is not/,
    ],
    [
      'password without username',
      { ...SMTP, SMTP_PORT: '587', SMTP_USE_TLS: '1', SMTP_OPPORTUNISTIC_TLS: '1', SMTP_PASSWORD: 'pw' },
      'SMTP_USERNAME',
      'error',
      /SMTP_PASSWORD is set but SMTP_USERNAME is not/,
    ],
    [
      'AUTH without TLS',
      { ...SMTP, SMTP_PORT: '25', SMTP_USERNAME: 'u@example.com', SMTP_PASSWORD: 'pw' },
      'SMTP_USERNAME',
      'warning',
      /without TLS/,
    ],
    [
      'sender domain differs from username domain',
      { ...SMTP, SMTP_PORT: '465', SMTP_USE_TLS: 'true', SMTP_USERNAME: 'me@other.org', SMTP_PASSWORD: 'pw' },
      'MAIL_DEFAULT_SEND_FROM',
      'warning',
      /differs from SMTP_USERNAME's domain other\.org/,
    ],
    [
      'certificate verification off',
      { ...SMTP, SMTP_PORT: '465', SMTP_USE_TLS: 'true', SMTP_TLS_VERIFY: 'false' },
      'SMTP_TLS_VERIFY',
      'warning',
      /not verified/,
    ],
    [
      'sender syntax',
      { ...SMTP, SMTP_PORT: '25', MAIL_DEFAULT_SEND_FROM: 'App <not an address>' },
      'MAIL_DEFAULT_SEND_FROM',
      'error',
      /not a valid sender/,
    ],
    [
      'sender required to send',
      { MAIL_TYPE: 'smtp', SMTP_SERVER: 'h', SMTP_PORT: '25' },
      'MAIL_DEFAULT_SEND_FROM',
      'error',
      /required for MAIL_TYPE=smtp/,
    ],
    [
      "Dify's example sender",
      { ...SMTP, SMTP_PORT: '25', MAIL_DEFAULT_SEND_FROM: 'no-reply@dify.ai' },
      'MAIL_DEFAULT_SEND_FROM',
      'warning',
      /example sender/,
    ],
    [
      'unknown MAIL_TYPE lists the allowed ones',
      { MAIL_TYPE: 'postmark' },
      'MAIL_TYPE',
      'error',
      /one of file, smtp, sendgrid, resend/,
    ],
    [
      'sendgrid needs a key',
      { MAIL_TYPE: 'sendgrid', MAIL_DEFAULT_SEND_FROM: 'a@example.com' },
      'SENDGRID_API_KEY',
      'error',
      /required/,
    ],
    [
      'sendgrid key shape',
      { MAIL_TYPE: 'sendgrid', MAIL_DEFAULT_SEND_FROM: 'a@example.com', SENDGRID_API_KEY: 'abc' },
      'SENDGRID_API_KEY',
      'warning',
      /SG\./,
    ],
    [
      'sendgrid base URL',
      {
        MAIL_TYPE: 'sendgrid',
        MAIL_DEFAULT_SEND_FROM: 'a@example.com',
        SENDGRID_API_KEY: 'SG.x',
        SENDGRID_API_BASE_URL: 'ftp://x',
      },
      'SENDGRID_API_BASE_URL',
      'error',
      /http\(s\)/,
    ],
    [
      'resend needs a key',
      { MAIL_TYPE: 'resend', MAIL_DEFAULT_SEND_FROM: 'a@example.com' },
      'RESEND_API_KEY',
      'error',
      /required/,
    ],
    ['white-label without a title', { BRANDING_ENABLED: 'true' }, 'APPLICATION_TITLE', 'error', /name no product/],
    ['DKIM all or nothing', { DKIM_DOMAIN: 'example.com' }, 'DKIM_SELECTOR', 'error', /required/],
    [
      'DKIM alignment',
      { ...SMTP, SMTP_PORT: '25', DKIM_DOMAIN: 'other.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_PATH: '/k.pem' },
      'DKIM_DOMAIN',
      'warning',
      /does not align/,
    ],
    [
      'unsubscribe URL must be https',
      { MAIL_UNSUBSCRIBE_URL: 'http://example.com/u' },
      'MAIL_UNSUBSCRIBE_URL',
      'error',
      /https/,
    ],
    ['rate syntax', { MAILCTL_RATE: 'fast' }, 'MAILCTL_RATE', 'error', /not a rate/],
    [
      'backoff bounds',
      { MAILCTL_BACKOFF_MIN: '2h', MAILCTL_BACKOFF_MAX: '1h' },
      'MAILCTL_BACKOFF_MIN',
      'error',
      /longer than/,
    ],
    [
      'alert recipients',
      { QUEUE_MONITOR_ALERT_EMAILS: 'ops@example.com, nope' },
      'QUEUE_MONITOR_ALERT_EMAILS',
      'error',
      /"nope" is not a valid address/,
    ],
  ])('%s', (_name, env, key, severity, message) => {
    expect(check(env)).toEqual(
      expect.arrayContaining([expect.objectContaining({ key, severity, message: expect.stringMatching(message) })]),
    );
  });

  it.each<[string, Record<string, string>]>([
    ['no configuration at all (file provider)', {}],
    [
      'STARTTLS on 587 with AUTH',
      {
        ...SMTP,
        SMTP_PORT: '587',
        SMTP_USE_TLS: 'true',
        SMTP_OPPORTUNISTIC_TLS: 'true',
        SMTP_USERNAME: 'u@example.com',
        SMTP_PASSWORD: 'pw',
      },
    ],
    ['implicit TLS on 465', { ...SMTP, SMTP_PORT: '465', SMTP_USE_TLS: 'yes' }],
    ['relay without AUTH on 25', { ...SMTP, SMTP_PORT: '25' }],
    ['sendgrid', { MAIL_TYPE: 'sendgrid', MAIL_DEFAULT_SEND_FROM: 'a@example.com', SENDGRID_API_KEY: 'SG.abc' }],
  ])('a good configuration has no problems: %s', (_name, env) => {
    expect(check(env)).toEqual([]);
  });

  it('reports every problem at once', () => {
    const problems = check({ MAIL_TYPE: 'smtp', SMTP_PORT: 'x', SMTP_USE_TLS: 'maybe', SMTP_USERNAME: 'u' });
    const keys = problems
      .filter((p) => p.severity === 'error')
      .map((p) => p.key)
      .sort();
    expect(keys).toEqual(['MAIL_DEFAULT_SEND_FROM', 'SMTP_PASSWORD', 'SMTP_PORT', 'SMTP_SERVER', 'SMTP_USE_TLS']);
  });
});

describe('parseRate', () => {
  it.each([
    ['10/s', 10],
    ['600/m', 10],
    ['3600/h', 1],
    ['0.5/s', 0.5],
  ])('%s → %d per second', (text, n) => expect(parseRate(text)).toBe(n));
  it.each(['10', '/s', '0/s', 'ten/s', '10/d'])('%s is not a rate', (text) => expect(parseRate(text)).toBeUndefined());
});

describe('SMTP_AUTH_METHOD=oauth2 rules', () => {
  const OAUTH = {
    ...SMTP,
    SMTP_PORT: '587',
    SMTP_USE_TLS: 'true',
    SMTP_OPPORTUNISTIC_TLS: 'true',
    SMTP_AUTH_METHOD: 'oauth2',
    SMTP_USERNAME: 'no-reply@example.com',
    SMTP_OAUTH2_TOKEN_URL: 'microsoft:contoso.onmicrosoft.com',
    SMTP_OAUTH2_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
    SMTP_OAUTH2_CLIENT_SECRET: 'client-secret-value',
  };
  const without = (name: keyof typeof OAUTH): Record<string, string> => {
    const env: Record<string, string> = { ...OAUTH };
    delete env[name];
    return env;
  };

  it.each<[string, Record<string, string>, string, 'error' | 'warning', RegExp]>([
    [
      'needs TLS',
      { ...OAUTH, SMTP_USE_TLS: 'false', SMTP_OPPORTUNISTIC_TLS: 'false' },
      'SMTP_USE_TLS',
      'error',
      /needs TLS/,
    ],
    ['needs the mailbox', without('SMTP_USERNAME'), 'SMTP_USERNAME', 'error', /required.*mailbox/],
    [
      'a mailbox is an address',
      { ...OAUTH, SMTP_USERNAME: 'noreply' },
      'SMTP_USERNAME',
      'warning',
      /not a mail address/,
    ],
    ['needs a client id', without('SMTP_OAUTH2_CLIENT_ID'), 'SMTP_OAUTH2_CLIENT_ID', 'error', /required/],
    ['needs a client secret', without('SMTP_OAUTH2_CLIENT_SECRET'), 'SMTP_OAUTH2_CLIENT_SECRET', 'error', /required/],
    ['needs a token URL', without('SMTP_OAUTH2_TOKEN_URL'), 'SMTP_OAUTH2_TOKEN_URL', 'error', /required/],
    [
      'a password alongside',
      { ...OAUTH, SMTP_PASSWORD: 'old-password' },
      'SMTP_PASSWORD',
      'warning',
      /does not use it/,
    ],
    [
      'a token URL in clear',
      { ...OAUTH, SMTP_OAUTH2_TOKEN_URL: 'http://login.example.com/token' },
      'SMTP_OAUTH2_TOKEN_URL',
      'error',
      /in clear/,
    ],
    [
      'a token URL that is neither',
      { ...OAUTH, SMTP_OAUTH2_TOKEN_URL: 'contoso' },
      'SMTP_OAUTH2_TOKEN_URL',
      'error',
      /neither a token URL nor a preset/,
    ],
    [
      'a bad tenant',
      { ...OAUTH, SMTP_OAUTH2_TOKEN_URL: 'microsoft:not a tenant' },
      'SMTP_OAUTH2_TOKEN_URL',
      'error',
      /not a Microsoft tenant id/,
    ],
    [
      'Google has no client-credentials grant',
      { ...OAUTH, SMTP_OAUTH2_TOKEN_URL: 'google' },
      'SMTP_OAUTH2_REFRESH_TOKEN',
      'error',
      /no client-credentials grant/,
    ],
    [
      'client credentials want /.default',
      { ...OAUTH, SMTP_OAUTH2_SCOPE: 'https://outlook.office.com/SMTP.Send' },
      'SMTP_OAUTH2_SCOPE',
      'warning',
      /\/\.default/,
    ],
    [
      'oauth2 settings without oauth2',
      { ...OAUTH, SMTP_AUTH_METHOD: 'password', SMTP_PASSWORD: 'pw' },
      'SMTP_AUTH_METHOD',
      'warning',
      /ignored/,
    ],
    ['an unknown method', { ...OAUTH, SMTP_AUTH_METHOD: 'kerberos' }, 'SMTP_AUTH_METHOD', 'error', /password, oauth2/],
  ])('%s', (_name, env, key, severity, message) => {
    expect(check(env)).toEqual(
      expect.arrayContaining([expect.objectContaining({ key, severity, message: expect.stringMatching(message) })]),
    );
  });

  it.each<[string, Record<string, string>]>([
    ['Microsoft 365 app-only (client credentials)', OAUTH],
    [
      'Microsoft 365 with a tenant GUID on 465',
      {
        ...OAUTH,
        SMTP_PORT: '465',
        SMTP_OPPORTUNISTIC_TLS: 'false',
        SMTP_OAUTH2_TOKEN_URL: '11111111-2222-3333-4444-555555555555',
      },
    ],
    [
      'Google Workspace (refresh token)',
      { ...OAUTH, SMTP_OAUTH2_TOKEN_URL: 'google', SMTP_OAUTH2_REFRESH_TOKEN: '1//refresh' },
    ],
    ['a loopback test endpoint', { ...OAUTH, SMTP_OAUTH2_TOKEN_URL: 'http://127.0.0.1:8080/token' }],
  ])('%s passes without a problem', (_name, env) => {
    expect(check(env)).toEqual([]);
  });
});

describe('OAuth2 presets', () => {
  it.each<[string, string | undefined, string, string | undefined]>([
    [
      'microsoft:TENANT, app-only',
      undefined,
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      'https://outlook.office365.com/.default',
    ],
    [
      'microsoft:TENANT, delegated',
      '0.refresh',
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      'https://outlook.office.com/SMTP.Send offline_access',
    ],
  ])('%s', (_name, refreshToken, url, scope) => {
    const s = oauth2Settings({
      'smtp.username': 'a@contoso.com',
      'smtp.oauth2.tokenUrl': 'microsoft:contoso.onmicrosoft.com',
      'smtp.oauth2.clientId': 'id',
      'smtp.oauth2.clientSecret': 'secret',
      'smtp.oauth2.refreshToken': refreshToken,
      'smtp.oauth2.scope': undefined,
    });
    expect(s).toMatchObject({ tokenUrl: url, scope, grant: refreshToken ? 'refresh_token' : 'client_credentials' });
  });

  it('google fills the endpoint and sends no scope on refresh; a configured scope wins', () => {
    const base = {
      'smtp.username': 'a@example.com',
      'smtp.oauth2.tokenUrl': 'google',
      'smtp.oauth2.clientId': 'id',
      'smtp.oauth2.clientSecret': 'secret',
      'smtp.oauth2.refreshToken': '1//r',
      'smtp.oauth2.scope': undefined,
    };
    expect(oauth2Settings(base)).toMatchObject({
      tokenUrl: 'https://oauth2.googleapis.com/token',
      platform: 'google',
      scope: undefined,
      scopeSource: 'none',
    });
    expect(oauth2Settings({ ...base, 'smtp.oauth2.scope': 'https://mail.google.com/' })).toMatchObject({
      scope: 'https://mail.google.com/',
      scopeSource: 'configured',
    });
  });

  it('a bare GUID is a tenant; a URL names its platform by host', () => {
    expect(tokenEndpoint('11111111-2222-3333-4444-555555555555')).toEqual({
      ok: true,
      url: 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token',
      platform: 'microsoft',
    });
    expect(tokenEndpoint('https://oauth2.googleapis.com/token')).toMatchObject({ ok: true, platform: 'google' });
    expect(tokenEndpoint('https://idp.example.com/token')).toMatchObject({ ok: true, platform: 'other' });
  });
});
