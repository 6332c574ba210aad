import { describe, expect, it } from 'vitest';
import { configRows, MASK, redact, secretsOf } from '../../../src/config/redact.js';
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
