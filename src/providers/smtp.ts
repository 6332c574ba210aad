/**
 * SMTP through nodemailer. The contract's TLS table maps to nodemailer options without a silent
 * plaintext fallback: implicit TLS is `secure: true`, STARTTLS is `requireTLS: true` (refused if the
 * server does not offer it), plain is `ignoreTLS: true`. Certificates are verified unless
 * SMTP_TLS_VERIFY=false. The message goes out as prebuilt raw bytes (see mime.ts).
 */
import { isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { Config } from '../config/index.js';
import { tlsMode } from '../config/describe.js';
import { ConfigError } from '../errors.js';
import type { OutgoingMessage } from '../message/types.js';
import { classifySmtpError } from './classify.js';
import { buildMime, type DkimOptions } from './mime.js';
import type { Delivery, Provider, SendOptions } from './types.js';

export interface SmtpProviderOptions {
  /** A pooled transport with SMTP_POOL_SIZE connections (drain). @defaultValue false */
  pool?: boolean | undefined;
  dkim?: DkimOptions | undefined;
}

/** The nodemailer transport options for this configuration: the contract's TLS table. Pure. */
export function smtpTransportOptions(config: Config, pool = false): SMTPTransport.Options | SMTPPool.Options {
  const v = config.values;
  const host = v['smtp.server'];
  const port = v['smtp.port'];
  if (!host || port === undefined)
    throw new ConfigError('SMTP_SERVER and SMTP_PORT are required for MAIL_TYPE=smtp', {
      hint: 'run `mailctl verify-config`',
    });
  const mode = tlsMode(v['smtp.useTls'], v['smtp.opportunisticTls']);
  if (mode === 'invalid')
    throw new ConfigError('SMTP_OPPORTUNISTIC_TLS=true needs SMTP_USE_TLS=true', {
      hint: 'run `mailctl verify-config`',
    });
  const user = v['smtp.username'];
  const pass = v['smtp.password'];
  const base: SMTPTransport.Options = {
    host,
    port,
    secure: mode === 'implicit',
    requireTLS: mode === 'starttls',
    // Plain means plain (the contract's table): no STARTTLS even when the server offers it.
    ignoreTLS: mode === 'plain',
    tls: {
      rejectUnauthorized: v['smtp.tlsVerify'] !== false,
      // SNI carries host names only (RFC 6066 §3); the certificate is still checked against an IP.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      minVersion: 'TLSv1.2',
    },
    connectionTimeout: v['smtp.connectTimeout'],
    greetingTimeout: v['smtp.greetingTimeout'],
    socketTimeout: v['smtp.socketTimeout'],
    dnsTimeout: v['smtp.connectTimeout'],
    logger: false,
    debug: false,
    ...(v['smtp.localHostname'] ? { name: v['smtp.localHostname'] } : {}),
    ...(user !== undefined && pass !== undefined && user.trim() !== '' && pass !== '' ? { auth: { user, pass } } : {}),
  };
  if (!pool) return base;
  return { ...base, pool: true, maxConnections: v['smtp.poolSize'], maxMessages: 100 } as SMTPPool.Options;
}

export function createSmtpProvider(config: Config, options: SmtpProviderOptions = {}): Provider {
  const transportOptions = smtpTransportOptions(config, options.pool === true);
  const transport = options.pool
    ? createTransport({ ...(transportOptions as SMTPPool.Options), pool: true })
    : createTransport(transportOptions as SMTPTransport.Options);
  let closed = false;
  return {
    name: 'smtp',
    async send(message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<Delivery> {
      const raw = sendOptions.raw ?? (await buildMime(message, { dkim: options.dkim }));
      try {
        const info = await transport.sendMail({
          envelope: { from: message.from.address, to: message.to.map((m) => m.address) },
          raw,
          ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
        });
        const flat = (list: unknown[] | undefined): string[] =>
          (list ?? []).map((a) => (typeof a === 'string' ? a : (a as { address: string }).address));
        return {
          provider: 'smtp',
          messageId: message.messageId,
          response: typeof info.response === 'string' ? info.response : undefined,
          accepted: flat(info.accepted as unknown[]),
          rejected: flat(info.rejected as unknown[]),
        };
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}
