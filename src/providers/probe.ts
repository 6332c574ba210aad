/**
 * `verify-config --connect`: staged checks against the configured provider, each stage with its
 * timing and the provider's own words. Nothing is delivered (smtp stops before DATA; the HTTP
 * providers get one read-only GET). The report's exit code follows the contract: 69 unreachable,
 * DNS or TLS failure, or a permanent refusal; 75 temporary (4xx, 429, 5xx HTTP, timeout);
 * 76 unexpected reply; 77 authentication refused.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { ExitCode, ProbeFailure } from '../errors.js';
import { StageRecorder } from './probe-smtp.js';
import type { ProbeDeps, ProbeReport } from './types.js';

export async function probeProvider(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  switch (config.values.mailType) {
    case 'smtp':
      return (await import('./probe-smtp.js')).probeSmtp(config, deps);
    case 'sendgrid':
      return (await import('./probe-http.js')).probeSendgrid(config, deps);
    case 'resend':
      return (await import('./probe-http.js')).probeResend(config, deps);
    case 'file':
    case undefined:
      return probeFile(config, deps);
  }
}

/** The `file` provider: the outbox directory exists (or can be created) and takes a file. */
export async function probeFile(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  const dir = resolve(deps.cwd, config.values['outbox.dir']);
  const rec = new StageRecorder(() => deps.clock.now());
  try {
    await rec.stage('outbox', dir, async (stage) => {
      const existed = await stat(dir).then(
        (st) => st.isDirectory(),
        () => false,
      );
      const probe = join(dir, `.mailctl-probe-${randomUUID()}`);
      try {
        if (!existed) await mkdir(dir, { recursive: true });
        await writeFile(probe, 'mailctl verify-config --connect\n', { flag: 'wx' });
        await unlink(probe);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new ProbeFailure(
          ExitCode.UNAVAILABLE,
          `the outbox directory ${dir} is not writable (${code})`,
          code === 'ENOTDIR' || code === 'EEXIST'
            ? 'a file is in the way: set MAILCTL_OUTBOX_DIR to a directory'
            : 'give this user write access to it, or set MAILCTL_OUTBOX_DIR to a writable directory',
          `${code}: ${(err as Error).message}`,
        );
      }
      stage.reply = existed ? 'writable' : 'created, writable';
    });
    return rec.passed();
  } catch (err) {
    return rec.failed(err);
  }
}
