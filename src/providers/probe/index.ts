/**
 * `verify-config --connect`: staged checks against the configured provider, each stage with its
 * timing and the provider's own words. Nothing is delivered (smtp stops before DATA; the HTTP
 * providers get one read-only GET). The report's exit code follows the contract: 69 unreachable,
 * DNS or TLS failure, or a permanent refusal; 75 temporary (4xx, 429, 5xx HTTP, timeout);
 * 76 unexpected reply; 77 authentication refused.
 */
import type { Config } from '../../config/index.js';
import { providerEntry } from '../registry.js';
import type { ProbeDeps, ProbeReport } from '../types.js';

/** The configured provider's probe, from the registry. */
export async function probeProvider(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  const entry = providerEntry(config.values.mailType);
  if (!entry) throw new Error(`no provider entry for MAIL_TYPE ${config.values.mailType}`); // validated before
  return entry.probe(config, deps);
}
