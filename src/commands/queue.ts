/** `mailctl queue status|list|retry|hold|release|purge|monitor`: the spool, as postqueue and postsuper show it. */
import { randomBytes } from 'node:crypto';
import { assertUsable, type Config } from '../config/index.js';
import { parseDuration } from '../config/parse.js';
import { MailctlError, UnavailableError, UsageError } from '../errors.js';
import { createProvider, senderFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { isState, JOB_VERSION, newJobId, STATES, type Job, type JobState } from '../spool/job.js';
import { openSpool, type SpoolBackend } from '../spool/backend.js';
import type { SpoolStatus } from '../spool/manage.js';
import { alertTime, decideMonitor, MONITOR_STATE_FILE, nextMonitorState, parseMonitorState } from '../spool/monitor.js';
import { createPrepare } from '../spool/prepare.js';
import { flagsOf, loadCommandConfig, printWarnings, type CommandContext } from './shared.js';

interface SpoolOption {
  spool?: string | undefined;
}

/** Opens the configured backend, runs `fn`, and closes it whatever happens. */
async function withSpool<T>(
  opts: SpoolOption,
  ctx: CommandContext,
  fn: (store: SpoolBackend, config: Config) => Promise<T>,
): Promise<T> {
  const loaded = await loadCommandConfig(ctx, flagsOf([['spool.dir', opts.spool, '--spool']]));
  const config = loaded.config;
  const store = await openSpool(config, ctx.cwd);
  try {
    return await fn(store, config);
  } finally {
    await store.close().catch(() => {});
  }
}

function stateOption(value: string | undefined): JobState | undefined {
  if (value === undefined) return undefined;
  if (!isState(value))
    throw new UsageError(`unknown state ${JSON.stringify(value)}`, { hint: `use one of ${STATES.join(', ')}` });
  return value;
}

function durationOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const r = parseDuration(value);
  if (!r.ok || typeof r.value !== 'number')
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a duration`, {
      hint: 'write it as 30s, 10m, 1h or 7d',
    });
  return r.value;
}

function age(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

const promLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The Prometheus text format, for node_exporter's textfile collector. */
export function prometheusText(s: SpoolStatus): string {
  const lines = [
    '# HELP mailctl_spool_jobs Jobs in the mailctl spool, by state.',
    '# TYPE mailctl_spool_jobs gauge',
    ...STATES.map((state) => `mailctl_spool_jobs{state="${state}"} ${s[state]}`),
    '# HELP mailctl_spool_backlog Jobs still to be delivered (incoming + active + deferred).',
    '# TYPE mailctl_spool_backlog gauge',
    `mailctl_spool_backlog ${s.backlog}`,
    '# HELP mailctl_spool_oldest_job_age_seconds Age of the oldest job still to be delivered (0 when none).',
    '# TYPE mailctl_spool_oldest_job_age_seconds gauge',
    `mailctl_spool_oldest_job_age_seconds ${s.oldestAgeSeconds ?? 0}`,
    '# HELP mailctl_spool_type_jobs Jobs in the mailctl spool, by mail type and state.',
    '# TYPE mailctl_spool_type_jobs gauge',
  ];
  for (const [type, counts] of Object.entries(s.byType).sort()) {
    for (const state of STATES)
      if (counts[state] !== undefined)
        lines.push(`mailctl_spool_type_jobs{type="${promLabel(type)}",state="${state}"} ${counts[state]}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function status(
  opts: SpoolOption & { json?: boolean; format?: 'text' | 'json' | 'prometheus' },
  ctx: CommandContext,
): Promise<number> {
  const { s, where } = await withSpool(opts, ctx, async (store) => ({
    s: await store.status(ctx.clock.now()),
    where: store.location,
  }));
  const format = opts.format ?? (opts.json ? 'json' : 'text');
  if (format === 'json') {
    ctx.io.out(`${JSON.stringify({ spool: where, ...s })}\n`);
  } else if (format === 'prometheus') {
    ctx.io.out(prometheusText(s));
  } else {
    const lines = [`spool     ${where}`, ...STATES.map((state) => `${state.padEnd(9)} ${s[state]}`)];
    lines.push(`oldest    ${s.oldestAgeSeconds === null ? '-' : `${age(s.oldestAgeSeconds)} (${s.oldestId})`}`);
    const types = Object.entries(s.byType)
      .sort()
      .map(
        ([type, counts]) =>
          `${type}: ${STATES.filter((st) => counts[st])
            .map((st) => `${counts[st]} ${st}`)
            .join(', ')}`,
      );
    if (types.length) lines.push(`types     ${types.join('; ')}`);
    ctx.io.out(`${lines.join('\n')}\n`);
  }
  return 0;
}

export async function list(
  opts: SpoolOption & { state?: string; json?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const only = stateOption(opts.state);
  return withSpool(opts, ctx, async (store) => {
    let n = 0;
    for await (const job of store.list(only ? [only] : STATES)) {
      n += 1;
      if (opts.json) {
        ctx.io.out(`${JSON.stringify(job)}\n`);
        continue;
      }
      const info = job.problem
        ? `corrupt: ${job.problem}`
        : job.state === 'dead'
          ? `${job.deadReason ?? 'dead'}${job.lastError ? `: ${job.lastError.message}` : ''}`
          : job.state === 'deferred'
            ? `next ${job.nextAttemptAt}, ${job.attempts} attempt(s)${job.lastError ? `: ${job.lastError.message}` : ''}`
            : job.state === 'active'
              ? `claimed by ${job.claimedBy}`
              : `queued ${job.createdAt}`;
      ctx.io.out(
        `${job.id}  ${job.state.padEnd(8)}  ${String(job.priority ?? '-').padStart(2)}  ${job.type ?? '-'}  ${job.to ?? '-'}  ${info}\n`,
      );
    }
    if (!opts.json && n === 0) ctx.io.err(`mailctl: no jobs${only ? ` in ${only}` : ''} in ${store.location}\n`);
    return 0;
  });
}

const claimerOf = (ctx: CommandContext) => ({ pid: ctx.pid, host: ctx.hostname });

export async function retry(
  id: string | undefined,
  opts: SpoolOption & { all?: boolean },
  ctx: CommandContext,
): Promise<number> {
  if (id === undefined && !opts.all)
    throw new UsageError('name a job id or pass --all', {
      hint: 'run `mailctl queue list --state deferred` to see the ids',
    });
  if (id !== undefined && opts.all) throw new UsageError('give either a job id or --all, not both');
  return withSpool(opts, ctx, async (store) => {
    if (opts.all) {
      const n = await store.retryAll(claimerOf(ctx), ctx.clock.now());
      ctx.io.out(`requeued ${n} job(s)\n`);
    } else {
      await store.retry(id!, claimerOf(ctx), ctx.clock.now());
      ctx.io.out(`requeued ${id}\n`);
    }
    return 0;
  });
}

export async function hold(id: string, opts: SpoolOption, ctx: CommandContext): Promise<number> {
  const r = await withSpool(opts, ctx, (store) => store.hold(id));
  ctx.io.out(r.changed ? `held ${id} (was ${r.from})\n` : `${id} is already on hold\n`);
  return 0;
}

export async function release(id: string, opts: SpoolOption, ctx: CommandContext): Promise<number> {
  const r = await withSpool(opts, ctx, (store) => store.release(id, ctx.clock.now()));
  ctx.io.out(`released ${id} to ${r.to}\n`);
  return 0;
}

export async function purge(
  opts: SpoolOption & { state: string; olderThan?: string; json?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const state = stateOption(opts.state)!;
  if (state === 'active')
    throw new UsageError('active jobs are being delivered and cannot be purged', {
      hint: 'stop the drain first; its claims are recovered by the next one',
    });
  const olderThan = durationOption('--older-than', opts.olderThan) ?? 0;
  const n = await withSpool(opts, ctx, (store) => store.purge(state, olderThan, ctx.clock.now()));
  ctx.io.out(opts.json ? `${JSON.stringify({ state, purged: n })}\n` : `purged ${n} job(s) from ${state}\n`);
  return 0;
}

export interface MonitorOptions extends SpoolOption {
  threshold?: string | undefined;
  alertTo?: string[] | undefined;
  cooldown?: string | undefined;
  json?: boolean | undefined;
}

export async function monitor(opts: MonitorOptions, ctx: CommandContext): Promise<number> {
  if (opts.threshold !== undefined && !/^\d+$/.test(opts.threshold))
    throw new UsageError(`--threshold ${JSON.stringify(opts.threshold)} is not a whole number`);
  durationOption('--cooldown', opts.cooldown);
  const loaded = await loadCommandConfig(
    ctx,
    flagsOf([
      ['spool.dir', opts.spool, '--spool'],
      ['monitor.threshold', opts.threshold, '--threshold'],
      ['monitor.alertEmails', opts.alertTo, '--alert-to'],
      ['monitor.cooldown', opts.cooldown, '--cooldown'],
    ]),
  );
  const config = assertUsable(loaded);
  printWarnings(loaded, ctx);
  const v = config.values;
  const recipients = [...(v['monitor.alertEmails'] ?? [])];
  if (recipients.length === 0)
    throw new UsageError('no alert recipients', {
      hint: 'pass --alert-to a@example.com,b@example.com or set QUEUE_MONITOR_ALERT_EMAILS',
    });
  const threshold = v['monitor.threshold'];
  const cooldownMs = v['monitor.cooldown'];
  const store = await openSpool(config, ctx.cwd);
  const now = ctx.clock.now();
  let state, decision, next, backlog: number;
  let sent: string[] = [];
  try {
    backlog = await store.backlog();
    state = parseMonitorState(await store.readState(MONITOR_STATE_FILE));
    decision = decideMonitor(state, backlog, threshold, now, cooldownMs);
    if (decision.action !== 'none') {
      sent = await sendMonitorMail(
        decision.action,
        recipients,
        { queueName: store.location, backlog, threshold, now, since: state.since },
        config,
        ctx,
      );
    }
    next = nextMonitorState(state, decision, now, sent.length > 0);
    await store.writeState(MONITOR_STATE_FILE, next);
  } finally {
    await store.close().catch(() => {});
  }

  const result = {
    backlog,
    threshold,
    over: decision.over,
    action: decision.action,
    sent,
    lastAlertAt: next.lastAlertAt ?? null,
  };
  if (opts.json) {
    ctx.io.out(`${JSON.stringify(result)}\n`);
  } else {
    const cmp = decision.over ? '>=' : '<';
    const what =
      decision.action === 'alert'
        ? sent.length
          ? `alert sent to ${sent.join(', ')}`
          : 'alert NOT sent'
        : decision.action === 'recover'
          ? sent.length
            ? `recovery sent to ${sent.join(', ')}`
            : 'recovery NOT sent'
          : decision.over
            ? `alert already sent at ${state.lastAlertAt} (cooldown)`
            : 'ok';
    ctx.io.out(`queue monitor: backlog ${backlog} ${cmp} threshold ${threshold}: ${what}\n`);
  }
  return decision.over ? 75 : 0;
}

interface MonitorFacts {
  queueName: string;
  backlog: number;
  threshold: number;
  now: number;
  since: string | undefined;
}

/** Sends straight through the provider (a backed-up spool is the last place for its own alert). */
async function sendMonitorMail(
  action: 'alert' | 'recover',
  recipients: string[],
  facts: MonitorFacts,
  config: Config,
  ctx: CommandContext,
): Promise<string[]> {
  let provider: Provider;
  try {
    provider = await createProvider(config, { cwd: ctx.cwd, clock: ctx.clock, secrets: ctx.redactor });
  } catch (err) {
    if (err instanceof MailctlError) throw err;
    throw new UnavailableError(`cannot create the provider: ${(err as Error).message}`, { cause: err });
  }
  const prepare = createPrepare({ config, defaultFrom: senderFor(config), clock: ctx.clock });
  const time = alertTime(facts.now);
  const vars: Record<string, unknown> =
    action === 'alert'
      ? { queue_name: facts.queueName, queue_length: facts.backlog, threshold: facts.threshold, alert_time: time }
      : {
          subject: 'Recovered: the mail queue backlog is under its threshold again',
          body: 'The backlog of {{queue_name}} is {{queue_length}}, under the alert threshold of {{threshold}} ({{alert_time}}).{{since_line}}\n\nNo action is needed.',
          queue_name: facts.queueName,
          queue_length: String(facts.backlog),
          threshold: String(facts.threshold),
          alert_time: time,
          since_line: facts.since ? ` It had been over the threshold since ${facts.since}.` : '',
        };
  const sent: string[] = [];
  try {
    for (const to of recipients) {
      const job: Job = {
        version: JOB_VERSION,
        id: newJobId(facts.now, randomBytes(10)),
        type: action === 'alert' ? 'queue-monitor-alert' : 'custom',
        to,
        lang: 'en-US',
        vars,
        priority: 9,
        createdAt: new Date(facts.now).toISOString(),
        attempts: 0,
        nextAttemptAt: new Date(facts.now).toISOString(),
        history: [],
      };
      // One recipient failing does not stop the others (as the reference's per-recipient try).
      try {
        await provider.send(prepare(job));
        sent.push(to);
      } catch (err) {
        ctx.io.err(`mailctl: queue monitor: could not mail ${to}: ${(err as Error).message}\n`);
      }
    }
  } finally {
    await provider.close().catch(() => {});
  }
  return sent;
}
