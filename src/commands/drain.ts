/** `mailctl drain`: deliver every due job of the spool; with --watch, keep going until a signal. */
import { assertUsable, parseRate, redact, secretsOf } from '../config/index.js';
import { MailctlError, UnavailableError } from '../errors.js';
import { createDrainReporter, summaryLine } from '../output/progress.js';
import { createProvider, senderFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { openSpool } from '../spool/backend.js';
import type { Job } from '../spool/job.js';
import { createPrepare, type Prepare } from '../spool/prepare.js';
import type { OutgoingMessage } from '../message/types.js';
import type { TemplateSource } from '../templates/operator.js';
import type { TemplateStore } from '../templates/store.js';
import { flagsOf, loadCommandConfig, openCommandTemplates, printWarnings, type CommandContext } from './shared.js';
import type { DrainSummary } from '../spool/drain.js';

export interface DrainCommandOptions {
  spool?: string | undefined;
  concurrency?: number | undefined;
  maxAttempts?: number | undefined;
  rate?: string | undefined;
  flush?: boolean | undefined;
  watch?: boolean | undefined;
  json?: boolean | undefined;
}

export async function run(opts: DrainCommandOptions, ctx: CommandContext): Promise<number> {
  const loaded = await loadCommandConfig(
    ctx,
    flagsOf([
      ['spool.dir', opts.spool, '--spool'],
      ['drain.concurrency', opts.concurrency, '--concurrency'],
      ['retry.maxAttempts', opts.maxAttempts, '--max-attempts'],
      ['drain.rate', opts.rate, '--rate'],
    ]),
  );
  const config = assertUsable(loaded);
  printWarnings(loaded, ctx);
  const v = config.values;
  const defaultFrom = senderFor(config);
  // Before the spool opens: a template directory that does not compile stops the drain (78), no job touched.
  const templates = await openCommandTemplates(config, ctx);
  const backend = await openSpool(config, ctx.cwd);
  const secrets = secretsOf(config);

  let provider: Provider;
  try {
    provider = await createProvider(config, {
      cwd: ctx.cwd,
      clock: ctx.clock,
      pool: true,
      secrets: ctx.redactor,
      // --debug: each pooled connection's SMTP dialogue on stderr, tagged with its connection id.
      transcript: ctx.debug ? (line) => ctx.io.err(`${redact(line, secrets)}\n`) : undefined,
    });
  } catch (err) {
    await backend.close();
    if (err instanceof MailctlError) throw err;
    throw new UnavailableError(`cannot create the ${v.mailType} provider: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const reporter = await createDrainReporter(ctx.io);
  let summary;
  try {
    summary = await backend.drain({
      provider,
      prepare: preparer(templates, (store) =>
        createPrepare({ config, defaultFrom, clock: ctx.clock, templates: store }),
      ),
      policy: {
        maxAttempts: v['retry.maxAttempts'],
        minBackoffMs: v['retry.minBackoff'],
        maxBackoffMs: v['retry.maxBackoff'],
        maxLifetimeMs: v['retry.maxLifetime'],
      },
      clock: ctx.clock,
      random: ctx.random,
      signal: ctx.signal,
      claimer: { pid: ctx.pid, host: ctx.hostname },
      isAlive: ctx.isProcessAlive,
      concurrency: v['drain.concurrency'],
      ratePerSecond: v['drain.rate'] !== undefined ? parseRate(v['drain.rate']) : undefined,
      flush: opts.flush === true,
      watch: opts.watch === true,
      onEvent: (e) => {
        // The first Ctrl-C (cli.ts aborts the signal) finishes what is in flight; the second exits 130.
        if (e.type === 'stopping')
          ctx.io.err(`\nmailctl: drain: finishing ${e.count ?? 0} in flight; Ctrl-C again to abort\n`);
        reporter.onEvent(e);
      },
      redactor: ctx.redactor,
    });
  } finally {
    // Every cleanup step runs, even if one fails.
    reporter.stop();
    await provider.close().catch(() => {});
    await backend.close().catch(() => {});
  }
  // Jobs deferred or dead: where to look, so that the operator need not open a job file to find out.
  const hint = historyHint(summary);
  ctx.io.out(opts.json ? `${JSON.stringify(hint ? { ...summary, hint } : summary)}\n` : summaryLine(summary));
  if (summary.lastError && hint) {
    ctx.io.err(`${redact(`mailctl: drain: last delivery error: ${summary.lastError}`, secrets)}\nhint: ${hint}\n`);
  }
  // Entries that are not jobs were set aside and the drain went on: name each, and why.
  for (const q of summary.quarantined ?? []) {
    const what = q.reason.startsWith('left in active/') ? 'could not set aside' : 'set aside in corrupt/';
    ctx.io.err(`mailctl: drain: ${what} ${q.file}: ${q.reason}\n`);
  }
  if (summary.quarantined?.length)
    ctx.io.err('hint: `mailctl queue list --state corrupt` lists them; fix or delete each, then run drain again\n');
  // The spool could not record some attempts (a full disk): the jobs are whole, the exit says so.
  const fault = summary.spoolError;
  if (fault) {
    ctx.io.err(
      `mailctl: ${fault.message}; ${fault.unrecorded} job(s) were kept unchanged, without the record of this attempt\n${fault.hint ? `hint: ${fault.hint}\n` : ''}`,
    );
    return fault.exitCode;
  }
  return 0;
}
/**
 * With a template directory, every job renders with the directory as it is now (a file edited
 * during a long drain is recompiled, never sent stale); without one, one prepare for all.
 */
function preparer(
  templates: TemplateSource,
  make: (store: TemplateStore) => Prepare,
): Prepare | ((job: Job) => Promise<OutgoingMessage>) {
  if (templates.dir === undefined) return make(templates.store);
  let last: { store: TemplateStore; prepare: Prepare } | undefined;
  return async (job) => {
    const store = await templates.current();
    if (last?.store !== store) last = { store, prepare: make(store) };
    return last.prepare(job);
  };
}

/** Points at the state the failed jobs are in: dead when nothing was deferred, else deferred (and dead). */
export function historyHint(s: DrainSummary): string | undefined {
  const states = [...(s.deferred > 0 ? ['deferred'] : []), ...(s.dead + s.expired > 0 ? ['dead'] : [])];
  if (states.length === 0) return undefined;
  return `${states.map((st) => `\`mailctl queue list --state ${st} --json\``).join(' and ')} ${states.length > 1 ? 'show' : 'shows'} each job's history`;
}

export type { CommandContext };
