/**
 * No configured value may carry CR, LF or NUL into a protocol line (issue 11, item 7): every text
 * key of the key table, one row per key and character, is refused with an error (78) that names
 * the key and never echoes the value. A PEM key is multi-line by nature: only NUL is refused there.
 * SMTP_LOCAL_HOSTNAME must be a host name or an address literal.
 */
import { describe, expect, it } from 'vitest';
import { KEYS, type KeyDef } from '../../../src/config/keys.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { isEhloName, validateConfig } from '../../../src/config/validate.js';

function problemsFor(env: Record<string, string>): { key: string; severity: string; message: string }[] {
  const { config, problems } = resolveConfig({ env });
  return [...problems, ...validateConfig(config, new Set(problems.map((p) => p.key)))];
}

/** A value that passes each key's own parser, so that only the injected character is wrong. */
function goodValue(def: KeyDef): string {
  if (def.type === 'url') return 'https://api.example.com';
  if (def.type === 'list') return 'ops@example.com';
  if (/FROM|EMAIL/.test(def.env)) return 'Acme <no-reply@example.com>';
  return 'value';
}

const textKeys = (KEYS as readonly KeyDef[]).filter((k) => ['string', 'url', 'list'].includes(k.type));
const INJECTION = { CR: '\rMAIL FROM:<x@evil.example>', LF: '\nRCPT TO:<x@evil.example>', NUL: '\0DATA' };

const rows = textKeys.flatMap((def) =>
  (Object.keys(INJECTION) as (keyof typeof INJECTION)[])
    .filter((c) => !(def.path === 'dkim.privateKey' && c !== 'NUL'))
    .map((c): [string, string, string] => [def.env, c, `${goodValue(def)}${INJECTION[c]}`]),
);

describe('every text key refuses CR, LF and NUL', () => {
  it('covers the protocol-bound keys', () => {
    const names = textKeys.map((k) => k.env);
    for (const env of [
      'SMTP_LOCAL_HOSTNAME',
      'SMTP_USERNAME',
      'SMTP_PASSWORD',
      'MAIL_DEFAULT_SEND_FROM',
      'SENDGRID_API_BASE_URL',
      'SENDGRID_API_KEY',
      'RESEND_API_URL',
      'APPLICATION_TITLE',
      'DKIM_DOMAIN',
      'DKIM_SELECTOR',
      'MAIL_UNSUBSCRIBE_URL',
      'QUEUE_MONITOR_ALERT_EMAILS',
    ])
      expect(names).toContain(env);
  });

  it.each(rows)('%s with %s → one error naming the key, the value not echoed', (env, _char, value) => {
    const mine = problemsFor({ [env]: value }).filter((p) => p.key === env);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ severity: 'error' });
    expect(mine[0]!.message).toMatch(/contains a (line break \(CR or LF\)|NUL character)/);
    expect(mine[0]!.message).not.toContain('evil.example');
  });

  it('a PEM private key keeps its line breaks', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\r\nMIIB\n-----END PRIVATE KEY-----\n';
    expect(problemsFor({ DKIM_PRIVATE_KEY: pem, DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 's1' })).toEqual([]);
  });
});

describe('SMTP_LOCAL_HOSTNAME is a host name or an address literal', () => {
  it.each([
    ['mail.example.com', true],
    ['mail.example.com.', true],
    ['localhost', true],
    ['xn--bcher-kva.example', true],
    ['[192.0.2.1]', true],
    ['[IPv6:2001:db8::1]', true],
    ['mail example.com', false],
    ['-bad.example.com', false],
    ['mail_1.example.com', false],
    ['[999.1.1.1]', false],
    ['[2001:db8::1]', false],
    ['[IPv6:nope]', false],
    ['a'.repeat(64) + '.example.com', false],
    ['x.example.com>', false],
  ])('%s → %s', (name, ok) => {
    expect(isEhloName(name)).toBe(ok);
    const mine = problemsFor({ SMTP_LOCAL_HOSTNAME: name }).filter((p) => p.key === 'SMTP_LOCAL_HOSTNAME');
    expect(mine.length).toBe(ok ? 0 : 1);
  });
});
