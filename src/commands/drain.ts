/** `mailctl drain`: deliver every due job of the spool; with --watch, keep going until a signal. */
import { parseRate, redact, secretsOf } from '../config/index.js';
import { ExitCode, MailctlError, UnavailableError } from '../errors.js';
import { createDrainReporter, summaryLine } from '../output/progress.js';
import { createProvider, senderFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { FileBackend, openSpool } from '../spool/backend.js';
import type { DrainSummary } from '../spool/contract.js';
import { asSpoolError } from '../spool/file/store.js';
import type { Job } from '../spool/job.js';
import { createPrepare, type Prepare } from '../spool/prepare.js';
import { defaultWorkers, mergeSummaries, splitLimits, type DrainLimits } from '../spool/workers.js';
import type { Config } from '../config/index.js';
import type { OutgoingMessage } from '../message/types.js';
import type { TemplateSource } from '../templates/operator.js';
import type { TemplateStore } from '../templates/store.js';
import { flagsOf, loadUsableConfig, openCommandTemplates, type CommandContext } from './shared.js';

export interface DrainCommandOptions {
  spool?: string | undefined;
  concurrency?: number | undefined;
  maxAttempts?: number | undefined;
  rate?: string | undefined;
  flush?: boolean | undefined;
  watch?: boolean | undefined;
  json?: boolean | undefined;
  /** Processes sharing the spool. @defaultValue one per CPU, never more than the due jobs (defaultWorkers) */
  workers?: number | undefined;
}

export async function run(opts: DrainCommandOptions, ctx: CommandContext): Promise<number> {
  const config = await loadUsableConfig(
    ctx,
    flagsOf([
      ['spool.dir', opts.spool, '--spool'],
      ['drain.concurrency', opts.concurrency, '--concurrency'],
      ['retry.maxAttempts', opts.maxAttempts, '--max-attempts'],
      ['drain.rate', opts.rate, '--rate'],
    ]),
  );
  const v = config.values;
  const limits: DrainLimits = {
    concurrency: v['drain.concurrency'],
    poolSize: v.mailType === 'smtp' ? v['smtp.poolSize'] : undefined,
    ratePerSecond: v['drain.rate'] !== undefined ? parseRate(v['drain.rate']) : undefined,
  };
  const plan = ctx.self ? splitLimits(await workerCount(opts, ctx, config), limits) : [limits];
  let summary: DrainSummary;
  let failed: number | undefined;
  if (plan.length > 1) {
    const r = await runWorkers(plan, opts, ctx);
    if (!r.summary) return r.failed ?? ExitCode.SOFTWARE;
    ({ summary, failed } = r);
  } else {
    summary = await drainHere(opts, ctx, config, limits);
  }
  // Workers said these themselves (their stderr came through): not twice.
  const said = plan.length > 1;
  // Jobs deferred or dead: where to look, so that the operator need not open a job file to find out.
  const hint = historyHint(summary);
  ctx.io.out(opts.json ? `${JSON.stringify(hint ? { ...summary, hint } : summary)}\n` : summaryLine(summary));
  if (!said && summary.lastError && hint) {
    ctx.io.err(
      `${redact(`mailctl: drain: last delivery error: ${summary.lastError}`, secretsOf(config))}\nhint: ${hint}\n`,
    );
  }
  // Entries that are not jobs were set aside and the drain went on: name each, and why.
  if (!said) {
    for (const q of summary.quarantined ?? []) {
      const what = q.reason.startsWith('left in active/') ? 'could not set aside' : 'set aside in corrupt/';
      ctx.io.err(`mailctl: drain: ${what} ${q.file}: ${q.reason}\n`);
    }
    if (summary.quarantined?.length)
      ctx.io.err('hint: `mailctl queue list --state corrupt` lists them; fix or delete each, then run drain again\n');
  }
  // The spool could not record some attempts (a full disk): the jobs are whole, the exit says so.
  const fault = summary.spoolError;
  if (fault) {
    if (!said)
      ctx.io.err(
        `mailctl: ${fault.message}; ${fault.unrecorded} job(s) were kept unchanged, without the record of this attempt\n${fault.hint ? `hint: ${fault.hint}\n` : ''}`,
      );
    return fault.exitCode;
  }
  return failed ?? 0;
}
/** How many workers: --workers, else on a file spool one per CPU, never more than the due jobs (defaultWorkers). */
async function workerCount(opts: DrainCommandOptions, ctx: CommandContext, config: Config): Promise<number> {
  if (opts.workers !== undefined) return opts.workers;
  const cpus = ctx.cpus ?? 1;
  if (cpus < 2 || opts.watch) return 1;
  const backend = await openSpool(config, ctx.cwd);
  try {
    // Redis: several drainers belong on several hosts (README, Running on several hosts); on one
    // they only share its cores with Redis, so the default stays one process there.
    if (!(backend instanceof FileBackend)) return 1;
    const due = backend.store.scan(ctx.clock.now(), opts.flush === true, cpus).length;
    return defaultWorkers(cpus, due);
  } catch (err) {
    throw asSpoolError(err, backend.location); // a spool this user cannot read: 77, not "a file"
  } finally {
    await backend.close().catch(() => {});
  }
}

/** One drain in this process: the provider, the spool, the progress bar. */
async function drainHere(
  opts: DrainCommandOptions,
  ctx: CommandContext,
  config: Config,
  limits: DrainLimits,
): Promise<DrainSummary> {
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
  let summary: DrainSummary;
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
      concurrency: limits.concurrency,
      ratePerSecond: limits.ratePerSecond,
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
  return summary;
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

/** A rate as the --rate option writes it, without exponents (1/h over 7 workers is 0.142…/h). */
function rateText(perSecond: number): string {
  return perSecond >= 1 ? `${perSecond}/s` : `${perSecond * 3600}/h`;
}

/**
 * `--workers N`: N child processes of this program, each an ordinary one-process drain with its
 * share of the limits (its pool size through SMTP_POOL_SIZE, which beats a config file). They
 * share the spool as two drains do; SIGINT/SIGTERM is passed on, and a worker whose parent dies
 * (its IPC channel closes) stops claiming and finishes what it holds. Their stderr comes through
 * once per distinct line (every worker would print the same warning).
 */
async function runWorkers(
  plan: DrainLimits[],
  opts: DrainCommandOptions,
  ctx: CommandContext,
): Promise<{ summary: DrainSummary | undefined; failed: number | undefined }> {
  const self = ctx.self!;
  const { spawn } = await import('node:child_process');
  const started = ctx.clock.now();
  const seen = new Set<string>();
  const global = [...(ctx.configPath ? ['--config', ctx.configPath] : []), ...(ctx.debug ? ['--debug'] : [])];
  const processes: { kill(signal: NodeJS.Signals): boolean }[] = [];
  const children = plan.map((share) => {
    const args = [
      ...self.args,
      ...global,
      'drain',
      '--as-worker',
      '--json',
      '--workers',
      '1',
      '--concurrency',
      String(share.concurrency),
      ...(share.ratePerSecond !== undefined ? ['--rate', rateText(share.ratePerSecond)] : []),
      ...(opts.spool !== undefined ? ['--spool', opts.spool] : []),
      ...(opts.maxAttempts !== undefined ? ['--max-attempts', String(opts.maxAttempts)] : []),
      ...(opts.flush ? ['--flush'] : []),
      ...(opts.watch ? ['--watch'] : []),
    ];
    const env = {
      ...ctx.env,
      ...(share.poolSize !== undefined ? { SMTP_POOL_SIZE: String(share.poolSize) } : {}),
    };
    const child = spawn(self.execPath, args, { cwd: ctx.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    processes.push(child);
    let stdout = '';
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!seen.has(line) && (seen.add(line), true)) ctx.io.err(`${line}\n`);
    });
    return new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (signal)
          ctx.io.err(
            `mailctl: drain: worker ${child.pid} was ended by ${signal}\nhint: the jobs it held stay in the spool; the next drain recovers them\n`,
          );
        resolve({ code: code ?? ExitCode.TEMPFAIL, stdout });
      });
    });
  });
  // SIGINT/SIGTERM to this process (kill, a supervisor) is passed on now, not when a worker has
  // ended: each worker stops claiming and finishes what it holds, as one drain would.
  const stop = (): void => {
    for (const child of processes) child.kill('SIGTERM');
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  let results;
  try {
    results = await Promise.all(children);
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
  const summaries: DrainSummary[] = [];
  let failed: number | undefined;
  for (const r of results) {
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (last.startsWith('{')) summaries.push(JSON.parse(last) as DrainSummary);
    // A worker that ended without a summary said why on stderr; its exit code is the drain's.
    else failed ??= r.code ?? ExitCode.SOFTWARE;
  }
  return { summary: summaries.length ? mergeSummaries(summaries, ctx.clock.now() - started) : undefined, failed };
}

export type { CommandContext };
