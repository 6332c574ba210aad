/** `verify-config --connect`: staged checks against the configured provider. */
import type { Config } from '../config/index.js';
import { ExitCode } from '../errors.js';
import type { ProbeDeps, ProbeReport } from './types.js';

export async function probeProvider(config: Config, _deps: ProbeDeps): Promise<ProbeReport> {
  return { ok: false, exitCode: ExitCode.UNAVAILABLE, stages: [], error: `--connect is not available yet for ${config.values.mailType}` };
}
