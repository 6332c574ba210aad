/** `mailctl enqueue TYPE --to ADDR` (and `send --queue`): one job into the spool. */
import { resolve } from 'node:path';
import { assertUsable } from '../config/index.js';
import { parseDuration } from '../config/parse.js';
import { UsageError } from '../errors.js';
import { senderFor } from '../providers/index.js';
import { openSpool } from '../spool/backend.js';
import { enqueueJob } from '../spool/enqueue.js';
import { requireLanguage } from '../templates/lang.js';
import {
  flagsOf,
  loadCommandConfig,
  openCommandTemplates,
  readVars,
  type CommandContext,
  type MessageOptions,
} from './shared.js';

export interface EnqueueOptions extends MessageOptions {
  to: string;
  from?: string | undefined;
  priority?: number | undefined;
  /** e.g. `10m` */
  ttl?: string | undefined;
  spool?: string | undefined;
  json?: boolean | undefined;
}

export function parseTtl(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const r = parseDuration(text);
  if (!r.ok || typeof r.value !== 'number' || r.value <= 0)
    throw new UsageError(`--ttl ${JSON.stringify(text)} is not a duration`, { hint: 'write it as 30s, 10m, 2h or 3d' });
  return r.value;
}

export async function run(type: string, opts: EnqueueOptions, ctx: CommandContext): Promise<number> {
  const ttlMs = parseTtl(opts.ttl);
  const config = assertUsable(await loadCommandConfig(ctx, flagsOf([['spool.dir', opts.spool, '--spool']])));
  const vars = await readVars(opts, ctx.cwd);
  const spoolDir = resolve(ctx.cwd, config.values['spool.dir']);
  const templates = (await openCommandTemplates(config, ctx)).store;
  const backend = await openSpool(config, ctx.cwd);
  let result;
  try {
    result = await enqueueJob(
      {
        type,
        to: opts.to,
        lang: opts.lang === undefined ? undefined : requireLanguage(opts.lang, templates.languages()),
        vars,
        from: opts.from,
        priority: opts.priority,
        ttlMs,
      },
      { config, spoolDir, backend, defaultFrom: senderFor(config, opts.from), clock: ctx.clock, templates },
    );
  } finally {
    await backend.close();
  }
  if (opts.json) {
    ctx.io.out(
      `${JSON.stringify({ id: result.id, path: result.path, state: 'incoming', type: result.job.type, priority: result.priority, expiresAt: result.expiresAt ?? null, messageId: result.messageId })}\n`,
    );
  } else {
    ctx.io.out(`queued ${result.id} ${result.path}\n`);
  }
  return 0;
}
export type { CommandContext };
