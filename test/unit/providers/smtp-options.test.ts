/** The contract's TLS table → nodemailer options, and the other transport settings. Pure. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { smtpTransportOptions } from '../../../src/providers/smtp.js';

const config = (env: Record<string, string>) =>
  resolveConfig({ env: { MAIL_TYPE: 'smtp', SMTP_SERVER: 'smtp.example.com', SMTP_PORT: '587', ...env } }).config;

describe('smtpTransportOptions', () => {
  const table: [string, string, { secure: boolean; requireTLS: boolean; ignoreTLS: boolean }][] = [
    ['false', 'false', { secure: false, requireTLS: false, ignoreTLS: true }],
    ['true', 'false', { secure: true, requireTLS: false, ignoreTLS: false }],
    ['true', 'true', { secure: false, requireTLS: true, ignoreTLS: false }],
  ];
  it.each(table)('SMTP_USE_TLS=%s SMTP_OPPORTUNISTIC_TLS=%s', (useTls, startTls, expected) => {
    expect(smtpTransportOptions(config({ SMTP_USE_TLS: useTls, SMTP_OPPORTUNISTIC_TLS: startTls }))).toMatchObject(
      expected,
    );
  });

  it('SMTP_USE_TLS=false SMTP_OPPORTUNISTIC_TLS=true is a configuration error (78)', () => {
    expect(() => smtpTransportOptions(config({ SMTP_USE_TLS: 'false', SMTP_OPPORTUNISTIC_TLS: 'true' }))).toThrow(
      expect.objectContaining({ exitCode: 78 }),
    );
  });

  it('verifies certificates unless SMTP_TLS_VERIFY=false, with TLS 1.2 at least and SNI for host names', () => {
    expect(smtpTransportOptions(config({})).tls).toEqual({
      rejectUnauthorized: true,
      servername: 'smtp.example.com',
      minVersion: 'TLSv1.2',
    });
    expect(smtpTransportOptions(config({ SMTP_TLS_VERIFY: 'false' })).tls).toMatchObject({ rejectUnauthorized: false });
    expect(smtpTransportOptions(config({ SMTP_SERVER: '10.0.0.5' })).tls).not.toHaveProperty('servername');
  });

  it('uses the configured timeouts, EHLO name and AUTH; both credentials or none', () => {
    const o = smtpTransportOptions(
      config({
        SMTP_CONNECT_TIMEOUT: '2s',
        SMTP_GREETING_TIMEOUT: '3s',
        SMTP_SOCKET_TIMEOUT: '4s',
        SMTP_LOCAL_HOSTNAME: 'mail.example.com',
        SMTP_USERNAME: 'u',
        SMTP_PASSWORD: 'p',
      }),
    );
    expect(o).toMatchObject({
      host: 'smtp.example.com',
      port: 587,
      connectionTimeout: 2000,
      greetingTimeout: 3000,
      socketTimeout: 4000,
      name: 'mail.example.com',
      auth: { user: 'u', pass: 'p' },
    });
    expect(smtpTransportOptions(config({}))).not.toHaveProperty('auth');
    expect(smtpTransportOptions(config({}))).not.toHaveProperty('name');
    expect(smtpTransportOptions(config({ SMTP_USERNAME: 'u' }))).not.toHaveProperty('auth');
  });

  it("defaults are short, not nodemailer's minutes", () => {
    const o = smtpTransportOptions(config({}));
    expect(o).toMatchObject({ connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  });

  it('pools SMTP_POOL_SIZE connections for drain only', () => {
    expect(smtpTransportOptions(config({ SMTP_POOL_SIZE: '3' }), true)).toMatchObject({
      pool: true,
      maxConnections: 3,
    });
    expect(smtpTransportOptions(config({ SMTP_POOL_SIZE: '3' }))).not.toHaveProperty('pool');
  });

  it('needs a server and a port (78)', () => {
    expect(() => smtpTransportOptions(resolveConfig({ env: { MAIL_TYPE: 'smtp' } }).config)).toThrow(
      expect.objectContaining({ exitCode: 78 }),
    );
  });
});
