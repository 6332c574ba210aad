import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { validateConfig, parseRate } from '../../../src/config/validate.js';

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
    ['smtp needs a port', { ...SMTP }, 'SMTP_PORT', 'error', /required/],
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
    ['white-label without a title', { BRANDING_ENABLED: 'true' }, 'APPLICATION_TITLE', 'warning', /name no product/],
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
