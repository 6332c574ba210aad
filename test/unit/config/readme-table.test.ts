import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTableMarkdown } from '../../../src/config/table.js';
import { KEYS } from '../../../src/config/keys.js';
import { ROOT } from '../../helpers/cli.js';

describe('README configuration table', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('is the table generated from src/config/keys.ts (run scripts/update-readme-table.js after changing keys)', () => {
    const start = readme.indexOf('<!-- config-table:start -->');
    const end = readme.indexOf('<!-- config-table:end -->');
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + '<!-- config-table:start -->'.length, end).trim()).toBe(configTableMarkdown());
  });

  it('has a row for every contract env name', () => {
    const contract = [
      'MAIL_TYPE',
      'MAIL_DEFAULT_SEND_FROM',
      'SMTP_SERVER',
      'SMTP_PORT',
      'SMTP_USERNAME',
      'SMTP_PASSWORD',
      'SMTP_USE_TLS',
      'SMTP_OPPORTUNISTIC_TLS',
      'SENDGRID_API_KEY',
      'SENDGRID_API_BASE_URL',
      'BRANDING_ENABLED',
      'APPLICATION_TITLE',
      'MAILCTL_SPOOL_DIR',
      'MAILCTL_OUTBOX_DIR',
      'SMTP_LOCAL_HOSTNAME',
      'SMTP_CONNECT_TIMEOUT',
      'SMTP_GREETING_TIMEOUT',
      'SMTP_SOCKET_TIMEOUT',
      'SMTP_TLS_VERIFY',
    ];
    const envs = new Set(KEYS.map((k) => k.env));
    for (const name of contract) {
      expect(envs.has(name as never), name).toBe(true);
      expect(readme).toContain(`| \`${name}\` |`);
    }
  });

  it('marks exactly the passwords and keys as secret', () => {
    expect(
      KEYS.filter((k) => 'secret' in k && k.secret)
        .map((k) => k.env)
        .sort(),
    ).toEqual([
      'DKIM_PRIVATE_KEY',
      'MAILCTL_REDIS_PASSWORD',
      'RESEND_API_KEY',
      'SENDGRID_API_KEY',
      'SMTP_OAUTH2_CLIENT_SECRET',
      'SMTP_OAUTH2_REFRESH_TOKEN',
      'SMTP_PASSWORD',
    ]);
  });
});
