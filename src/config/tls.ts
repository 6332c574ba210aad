/** The contract's SMTP TLS table, as a function: the two flags → the connection mode. */
export type TlsMode = 'plain' | 'implicit' | 'starttls' | 'invalid';

/** The contract's TLS table. */
export function tlsMode(useTls: boolean | undefined, startTls: boolean | undefined): TlsMode {
  if (useTls && startTls) return 'starttls';
  if (useTls) return 'implicit';
  if (startTls) return 'invalid';
  return 'plain';
}
