/** One line that says what transport the configuration selects, e.g. `smtp smtp.example.com:587 (STARTTLS, AUTH as ops@example.com)`. */
import type { Config } from './resolve.js';

export type TlsMode = 'plain' | 'implicit' | 'starttls' | 'invalid';

/** The contract's TLS table. */
export function tlsMode(useTls: boolean | undefined, startTls: boolean | undefined): TlsMode {
  if (useTls && startTls) return 'starttls';
  if (useTls) return 'implicit';
  if (startTls) return 'invalid';
  return 'plain';
}

const TLS_LABEL: Record<TlsMode, string> = {
  plain: 'plain SMTP, no TLS',
  implicit: 'implicit TLS',
  starttls: 'STARTTLS required',
  invalid: 'invalid TLS settings',
};

export function describeTransport(config: Config): string {
  const v = config.values;
  switch (v.mailType) {
    case 'smtp': {
      const mode = TLS_LABEL[tlsMode(v['smtp.useTls'], v['smtp.opportunisticTls'])];
      const method = v['smtp.authMethod'] === 'oauth2' ? 'AUTH XOAUTH2' : 'AUTH';
      const auth = v['smtp.username'] ? `, ${method} as ${v['smtp.username']}` : ', no AUTH';
      return `smtp ${v['smtp.server'] ?? '?'}:${v['smtp.port'] ?? '?'} (${mode}${auth})`;
    }
    case 'sendgrid':
      return `sendgrid ${v['sendgrid.baseUrl']}`;
    case 'resend':
      return `resend ${v['resend.apiUrl']}`;
    case 'file':
      return `file: .eml files into ${v['outbox.dir']}`;
    default:
      return 'no valid MAIL_TYPE';
  }
}
