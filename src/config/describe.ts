/** One line that says what transport the configuration selects, e.g. `smtp smtp.example.com:587 (STARTTLS, AUTH as ops@example.com)`. */
import { providerSpec } from './providers.js';
import type { Config } from './resolve.js';

export { tlsMode, type TlsMode } from './tls.js';

/** The provider spec's own line; an HTTP provider without one is `NAME BASE-URL`. */
export function describeTransport(config: Config): string {
  const values = config.values as Readonly<Record<string, unknown>>;
  const type = config.values.mailType;
  const spec = providerSpec(type);
  if (!spec) return 'no valid MAIL_TYPE';
  if (spec.describe) return spec.describe(values);
  const base = spec.http ? values[spec.http.baseUrl] : undefined;
  return typeof base === 'string' ? `${type} ${base}` : type;
}
