/**
 * `mailctl check FILE.eml... [--type TYPE] [--json]`: lint messages (exit 0, or 65 when one has
 * errors). Several files are each checked and reported; the exit code is the worst of them.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { redact, secretsOf } from '../config/index.js';
import { MailctlError, UsageError } from '../errors.js';
import { formatError } from '../output/format-error.js';
import { requireMailType, type MailTypeDef } from '../templates/catalog.js';
import { formatMessageReport } from '../output/message-report.js';
import { createChalk } from '../output/style.js';
import { loadCommandConfig, type CommandContext } from './shared.js';

export interface CheckOptions {
  json?: boolean;
  /** The mail type, which a bare .eml does not say: settles whether List-Unsubscribe belongs. */
  type?: string | undefined;
}

export async function run(files: readonly string[], opts: CheckOptions, ctx: CommandContext): Promise<number> {
  const def = opts.type === undefined ? undefined : requireMailType(opts.type);
  if (files.length === 1) return checkOne(files[0]!, def, opts, ctx);
  let worst = 0;
  for (const file of files) {
    let code: number;
    try {
      code = await checkOne(file, def, opts, ctx, true);
    } catch (err) {
      // One unreadable file is reported and the others are still checked.
      if (!(err instanceof MailctlError)) throw err;
      ctx.io.err(`${formatError(err, ctx.debug)}\n`);
      code = err.exitCode;
    }
    worst = Math.max(worst, code);
  }
  return worst;
}

async function checkOne(
  file: string,
  def: MailTypeDef | undefined,
  opts: CheckOptions,
  ctx: CommandContext,
  jsonLines = false,
): Promise<number> {
  const path = resolve(ctx.cwd, file);
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: 'give the path of an .eml file (e.g. from the outbox, or `mailctl send --dry-run`)',
      cause: err,
    });
  }
  // Only MAILCTL_DNS_SERVERS and the DKIM key matter here; other config problems do not stop a lint.
  const { config } = await loadCommandConfig(ctx);
  const { checkMessage, messageCheckDeps } = await import('../deliverability/check-message.js');
  const kind = def
    ? { category: def.category, unsubscribable: def.category === 'notification' && def.security !== true }
    : {};
  const report = await checkMessage(raw, { ...(await messageCheckDeps(config, ctx.cwd, ctx.clock)), ...kind });
  const secrets = secretsOf(config);
  const print = (text: string): void => ctx.io.out(`${redact(text, secrets)}\n`);

  if (ctx.debug) {
    for (const q of report.queries)
      ctx.io.err(`dns: ${q.type} ${q.name} (${q.ms} ms) -> ${q.error ?? (q.answers ?? []).join(', ')}\n`);
  }
  const errors = report.findings.filter((f) => f.severity === 'error');
  if (errors[0]) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    ctx.io.err(
      `${redact(`mailctl: ${file}: ${errors[0].message}${more}${errors[0].fix ? `\nhint: ${errors[0].fix}` : ''}`, secrets)}\n`,
    );
  }
  if (opts.json) {
    const { queries, ...rest } = report;
    // Several files: one JSON object per line (JSON lines), as `queue list --json`.
    print(JSON.stringify({ file: path, ...rest, ...(ctx.debug ? { queries } : {}) }, null, jsonLines ? 0 : 2));
    return report.exitCode;
  }
  print(formatMessageReport(file, report, createChalk(ctx.env, ctx.io.outIsTTY)));
  return report.exitCode;
}
