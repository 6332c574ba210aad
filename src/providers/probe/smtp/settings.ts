/** What the smtp probe reads from the configuration, resolved once. */
import type { Config } from '../../../config/index.js';
import { tlsMode } from '../../../config/describe.js';
import { parseMailbox } from '../../../message/address.js';
import type { ProbeDeps } from '../../types.js';

export interface SmtpSettings {
  server: string;
  port: number;
  mode: 'plain' | 'implicit' | 'starttls';
  verify: boolean;
  ehloName: string;
  /** Whether the EHLO name came from SMTP_LOCAL_HOSTNAME (else the machine's host name). */
  ehloNameConfigured: boolean;
  username: string | undefined;
  password: string | undefined;
  from: string | undefined;
  connectTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

export function settingsOf(config: Config, deps: ProbeDeps): SmtpSettings {
  const v = config.values;
  const mode = tlsMode(v['smtp.useTls'], v['smtp.opportunisticTls']);
  const configured = v['smtp.localHostname'];
  return {
    server: v['smtp.server'] ?? '',
    port: v['smtp.port'] ?? 25,
    // 'invalid' never gets here: verify-config skips --connect while the config has errors.
    mode: mode === 'invalid' ? 'starttls' : mode,
    verify: v['smtp.tlsVerify'] !== false,
    ehloName: configured ?? deps.hostname ?? 'localhost',
    ehloNameConfigured: configured !== undefined,
    username: v['smtp.username'],
    password: v['smtp.password'],
    from: v.defaultFrom === undefined ? undefined : parseMailbox(v.defaultFrom)?.address,
    connectTimeout: v['smtp.connectTimeout'],
    greetingTimeout: v['smtp.greetingTimeout'],
    socketTimeout: v['smtp.socketTimeout'],
  };
}
