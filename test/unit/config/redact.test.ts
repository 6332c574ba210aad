import { describe, expect, it } from 'vitest';
import { KEYS, type KeyDef } from '../../../src/config/keys.js';
import { configRows, MASK, redact, Redactor, redactorOf, secretsOf } from '../../../src/config/redact.js';
import { resolveConfig } from '../../../src/config/resolve.js';

const env = {
  SMTP_PASSWORD: 'hunter22',
  SENDGRID_API_KEY: 'SG.abcdef',
  MAILCTL_SPOOL_URL: 'redis://:p%40ss-word@redis.internal:6379/0',
};

describe('masking', () => {
  const { config } = resolveConfig({ env });

  it('masks secret keys and passwords inside URLs in the display rows', () => {
    const rows = Object.fromEntries(configRows(config).map((r) => [r.env, r.value]));
    expect(rows.SMTP_PASSWORD).toBe(MASK);
    expect(rows.SENDGRID_API_KEY).toBe(MASK);
    expect(rows.MAILCTL_SPOOL_URL).toBe(`redis://:${MASK}@redis.internal:6379/0`);
    expect(rows.SMTP_SERVER).toBeUndefined();
  });

  it('scrubs every secret, its base64 form and a URL password (raw and decoded) from any text', () => {
    const secrets = secretsOf(config);
    const text = `pw=hunter22 auth=${Buffer.from('hunter22').toString('base64')} key=SG.abcdef url=p%40ss-word decoded=p@ss-word`;
    const out = redact(text, secrets);
    for (const s of ['hunter22', 'SG.abcdef', 'p%40ss-word', 'p@ss-word', Buffer.from('hunter22').toString('base64')])
      expect(out).not.toContain(s);
    expect(out).toContain(`pw=${MASK}`);
  });

  it('leaves URLs without a password alone', () => {
    const { config: c } = resolveConfig({ env: { SENDGRID_API_BASE_URL: 'https://user@api.example.com' } });
    expect(Object.fromEntries(configRows(c).map((r) => [r.env, r.value])).SENDGRID_API_BASE_URL).toBe(
      'https://user@api.example.com',
    );
  });
});

describe('Redactor', () => {
  const USER = 'ops@example.com';
  const PW = 'p@ss"w0rd/9f8e';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const redactor = new Redactor().addConfig(
    resolveConfig({ env: { SMTP_USERNAME: USER, SMTP_PASSWORD: PW, MAIL_TYPE: 'smtp' } }).config,
  );

  it.each([
    ['raw', PW],
    ['JSON-escaped', JSON.stringify(PW).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(PW)],
    ['base64 alone (AUTH LOGIN)', b64(PW)],
    ['base64 without padding', b64(PW).replace(/=+$/, '')],
    ['AUTH PLAIN', b64(`\0${USER}\0${PW}`)],
    ['AUTH PLAIN with an authorisation id', b64(`${USER}\0${USER}\0${PW}`)],
    ['AUTH PLAIN with a login name it was not told', b64(`\0someone-else\0${PW}`)],
    ['XOAUTH2 with the password as token', b64(`user=other@example.com\x01auth=Bearer ${PW}\x01\x01`)],
  ])('masks the %s form', (_name, form) => {
    const out = redactor.redact(`535 Authentication failed for: AUTH PLAIN ${form} (end)`);
    expect(out).not.toContain(form);
    expect(out).toContain(MASK);
    expect(out).toMatch(/^535 Authentication failed for: AUTH PLAIN .*\(end\)$/);
  });

  it('leaves text without a secret as it is, base64 words included', () => {
    const text = `EHLO host AUTH LOGIN ${b64(USER)} ok ${b64('something else entirely')}`;
    expect(redactor.redact(text)).toBe(text);
  });

  it('masks a runtime token a provider registers, and its XOAUTH2 string', () => {
    const r = new Redactor();
    const token = 'ya29.a0AfH6SMB-token-value';
    r.add(token, { user: USER });
    const xoauth2 = b64(`user=${USER}\x01auth=Bearer ${token}\x01\x01`);
    const out = r.redact(`AUTH XOAUTH2 ${xoauth2} and ${token}`);
    expect(out).toBe(`AUTH XOAUTH2 ${MASK} and ${MASK}`);
  });

  it('masks every key the table flags secret, without naming them', () => {
    const secretKeys = (KEYS as readonly KeyDef[]).filter((k) => k.secret);
    expect(secretKeys.length).toBeGreaterThan(0);
    const env = Object.fromEntries(secretKeys.map((k, i) => [k.env, `value-${i}-of-${k.env.toLowerCase()}`]));
    const fromEnv = new Redactor().addEnv(env);
    const fromConfig = redactorOf(resolveConfig({ env }).config);
    for (const value of Object.values(env)) {
      expect(fromEnv.redact(`x ${value} y`)).toBe(`x ${MASK} y`);
      expect(fromConfig.redact(`x ${b64(value)} y`)).toBe(`x ${MASK} y`);
    }
  });

  it('masks a URL password that holds an @ whole (the authority ends at the last @)', () => {
    const url = 'redis://:abc@Secret99@redis.internal:6379/0';
    const { config: c } = resolveConfig({ env: { MAILCTL_SPOOL_URL: url } });
    const rows = Object.fromEntries(configRows(c).map((r) => [r.env, r.value]));
    expect(rows.MAILCTL_SPOOL_URL).toBe(`redis://:${MASK}@redis.internal:6379/0`);
    const out = redactorOf(c).redact(`cannot reach ${url} (abc%40Secret99)`);
    expect(out).not.toContain('Secret99');
    expect(out).not.toContain('abc');
  });

  it('does not garble output with a very short secret, but still masks it inside AUTH PLAIN', () => {
    const r = new Redactor();
    r.add('abc', { user: 'u' });
    const plain = b64('\0u\0abc');
    expect(r.redact(`abc def AUTH PLAIN ${plain}`)).toBe(`abc def AUTH PLAIN ${MASK}`);
  });

  it("scrubs a job's history and last error in place", () => {
    const job = {
      lastError: { message: `535 for ${b64(`\0${USER}\0${PW}`)}`, reply: `535 ${PW}` },
      history: [{ error: `refused ${PW}`, reply: 'ok' }],
    };
    redactor.redactJob(job);
    expect(JSON.stringify(job)).not.toContain('9f8e');
    expect(job.history[0]!.reply).toBe('ok');
  });
});
