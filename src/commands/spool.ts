/**
 * `mailctl spool migrate --to URL`: move every job from the configured spool (MAILCTL_SPOOL_URL,
 * else the file spool) to another one, e.g. from the file spool to Redis when the application
 * grows to several hosts, or back. Idempotent by job id: an interrupted run is run again.
 */
import { assertUsable } from '../config/index.js';
import { UsageError } from '../errors.js';
import { openSpool, spoolTarget } from '../spool/backend.js';
import { migrateSpool } from '../spool/migrate.js';
import { flagsOf, loadCommandConfig, type CommandContext } from './shared.js';

export interface MigrateOptions {
  to: string;
  spool?: string | undefined;
  json?: boolean | undefined;
}

export async function migrate(opts: MigrateOptions, ctx: CommandContext): Promise<number> {
  const config = assertUsable(await loadCommandConfig(ctx, flagsOf([['spool.dir', opts.spool, '--spool']])));
  const target = spoolTarget(config, opts.to);
  if (target.kind === 'file' && (target.dir === undefined || target.dir === ''))
    throw new UsageError('--to file: needs a directory', { hint: 'write it as --to file:/var/spool/mailctl' });
  const from = await openSpool(config, ctx.cwd);
  try {
    const to = await openSpool(config, ctx.cwd, { url: opts.to });
    try {
      if (to.kind === from.kind && to.location === from.location)
        throw new UsageError(`--to names the spool being migrated (${from.location})`, { hint: 'name another spool' });
      const r = await migrateSpool(from, to, ctx.clock.now());
      if (opts.json) ctx.io.out(`${JSON.stringify({ from: from.location, to: to.location, ...r })}\n`);
      else
        ctx.io.out(
          `migrated ${r.copied} job(s) from ${from.location} to ${to.location} (${r.skipped} already there, ${r.removed} removed from the source)\n`,
        );
      if (r.active > 0) {
        ctx.io.err(
          `mailctl: ${r.active} job(s) are being delivered right now and were left in ${from.location}\nhint: stop the drainers (or wait for them to finish), then run the same command again\n`,
        );
        return 75;
      }
      return 0;
    } finally {
      await to.close().catch(() => {});
    }
  } finally {
    await from.close().catch(() => {});
  }
}
export type { CommandContext };
