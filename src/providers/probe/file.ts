/** `verify-config --connect` for the `file` provider: the outbox can be created and written. */
import { randomUUID } from 'node:crypto';
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/index.js';
import { ExitCode, ProbeFailure } from '../../errors.js';
import { StageRecorder } from './stage-recorder.js';
import type { ProbeDeps, ProbeReport } from '../types.js';

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
