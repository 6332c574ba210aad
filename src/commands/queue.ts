/** `mailctl queue status|list|retry|hold|release|purge|monitor`: the spool, as postqueue and postsuper show it. */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { parseDuration } from '../config/parse.js';
import { MailctlError, UnavailableError, UsageError } from '../errors.js';
import { createProvider, senderFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { isState, JOB_VERSION, newJobId, STATES, type Job, type JobState } from '../spool/job.js';
import { openSpool } from '../spool/backend.js';
import type { ListedJob, ShownJob, SpoolBackend, SpoolStatus } from '../spool/contract.js';
import { formatMailbox } from '../message/address.js';
import { formatError } from '../output/format-error.js';
import { printable } from '../output/printable.js';
import { requireMailType } from '../templates/catalog.js';
import { alertTime, decideMonitor, MONITOR_STATE_FILE, nextMonitorState, parseMonitorState } from '../spool/monitor.js';
import { createPrepare } from '../spool/prepare.js';
import { flagsOf, loadCommandConfig, loadUsableConfig, openCommandTemplates, type CommandContext } from './shared.js';

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
    '# HELP mailctl_spool_present Whether the spool exists (0: the directory is missing, e.g. a typo in MAILCTL_SPOOL_DIR).',
    '# TYPE mailctl_spool_present gauge',
    `mailctl_spool_present ${s.present ? 1 : 0}`,
    '# HELP mailctl_spool_type_jobs Jobs in the mailctl spool, by mail type and state.',
    '# TYPE mailctl_spool_type_jobs gauge',
  ];
  const estimates: string[] = [];
  for (const [type, counts] of Object.entries(s.byType).sort()) {
    for (const state of STATES) {
      if (counts[state] === undefined) continue;
      const line = `{type="${promLabel(type)}",state="${state}"} ${counts[state]}`;
      if (isEstimated(s, `byType.${state}`)) estimates.push(`mailctl_spool_type_jobs_estimated${line}`);
      else lines.push(`mailctl_spool_type_jobs${line}`);
    }
  }
  // Estimates under their own name: an alert on exact counts never fires on a sampled guess.
  if (s.sampled) {
    lines.push(
      '# HELP mailctl_spool_type_jobs_estimated Jobs by mail type and state, estimated from a sample (a Redis set too large to read job by job).',
      '# TYPE mailctl_spool_type_jobs_estimated gauge',
      ...estimates,
      '# HELP mailctl_spool_sampled_jobs Jobs read for the estimates, out of mailctl_spool_sampled_from_jobs.',
      '# TYPE mailctl_spool_sampled_jobs gauge',
      `mailctl_spool_sampled_jobs ${s.sampled.jobs}`,
      '# HELP mailctl_spool_sampled_from_jobs Jobs in the sets the sample was drawn from.',
      '# TYPE mailctl_spool_sampled_from_jobs gauge',
      `mailctl_spool_sampled_from_jobs ${s.sampled.of}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `queue status` for a person; `~` marks a count estimated from a sample (a Redis set too large to read job by job). */
export function statusText(s: SpoolStatus, where: string): string {
  const approx = (key: string): string => (isEstimated(s, key) ? '~' : '');
  const lines = [`spool     ${where}`, ...STATES.map((state) => `${state.padEnd(9)} ${approx(state)}${s[state]}`)];
  lines.push(`oldest    ${s.oldestAgeSeconds === null ? '-' : `${age(s.oldestAgeSeconds)} (${s.oldestId})`}`);
  const types = Object.entries(s.byType)
    .sort()
    .map(
      ([type, counts]) =>
        `${type}: ${STATES.filter((st) => counts[st])
          .map((st) => `${approx(`byType.${st}`)}${counts[st]} ${st}`)
          .join(', ')}`,
    );
  if (types.length) lines.push(`types     ${types.join('; ')}`);
  if (s.sampled) lines.push(`sampled   ~ estimated from ${s.sampled.jobs} of ${s.sampled.of} jobs`);
  return `${lines.join('\n')}\n`;
}

/** Whether `key` (a state, or `byType.STATE`) holds an estimate. */
const isEstimated = (s: SpoolStatus, key: string): boolean => s.sampled?.estimated.includes(key) ?? false;

export async function status(
  opts: SpoolOption & { json?: boolean; format?: 'text' | 'json' | 'prometheus' },
  ctx: CommandContext,
): Promise<number> {
  if (opts.json && opts.format !== undefined)
    throw new UsageError('give either --json or --format, not both', {
      hint: '--json is short for --format json',
    });
  const { s, where } = await withSpool(opts, ctx, async (store) => ({
    s: await store.status(ctx.clock.now()),
    where: store.location,
  }));
  const format = opts.format ?? (opts.json ? 'json' : 'text');
  // A missing spool is not an empty queue: a typo in a cron job's MAILCTL_SPOOL_DIR must show.
  if (!s.present)
    ctx.io.err(
      `mailctl: warning: the spool ${where} does not exist, so nothing was ever queued there\nhint: check MAILCTL_SPOOL_DIR (or --spool); enqueue and drain create it\n`,
    );
  if (format === 'json') {
    // byType in name order, whatever order the backend met the jobs in: scripts diff this output.
    const byType = Object.fromEntries(Object.entries(s.byType).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    ctx.io.out(`${JSON.stringify({ spool: where, ...s, byType })}\n`);
  } else if (format === 'prometheus') {
    ctx.io.out(prometheusText(s));
  } else {
    ctx.io.out(statusText(s, where));
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
    // Text rows are aligned a page at a time, so memory stays flat however many jobs are listed.
    let page: string[][] = [];
    const flush = (): void => {
      if (page.length) ctx.io.out(alignColumns(page));
      page = [];
    };
    for await (const job of store.list(only ? [only] : STATES)) {
      n += 1;
      if (opts.json) {
        ctx.io.out(`${JSON.stringify(job)}\n`);
        continue;
      }
      page.push([job.id, job.state, String(job.priority ?? '-'), job.type ?? '-', job.to ?? '-', listInfo(job)]);
      if (page.length >= LIST_PAGE) flush();
    }
    flush();
    if (!opts.json && n === 0) ctx.io.err(`mailctl: no jobs${only ? ` in ${only}` : ''} in ${store.location}\n`);
    return 0;
  });
}

const LIST_PAGE = 1000;

function listInfo(job: ListedJob): string {
  if (job.problem) return `corrupt: ${job.problem}`;
  if (job.state === 'dead') return `${job.deadReason ?? 'dead'}${job.lastError ? `: ${job.lastError.message}` : ''}`;
  if (job.state === 'deferred')
    return `next ${job.nextAttemptAt}, ${job.attempts} attempt(s)${job.lastError ? `: ${job.lastError.message}` : ''}`;
  if (job.state === 'active') return `claimed by ${job.claimedBy}`;
  return `queued ${job.createdAt}`;
}

/**
 * Pads every column but the last to its widest cell (two spaces apart), as postqueue -p lines up.
 * Control characters from job fields are shown escaped, never sent to the terminal.
 */
export function alignColumns(table: readonly string[][]): string {
  const rows = table.map((row) => row.map(printable));
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
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
      await store.retry(canonicalId(id!), claimerOf(ctx), ctx.clock.now());
      ctx.io.out(`requeued ${canonicalId(id!)}\n`);
    }
    return 0;
  });
}

/** Job ids are ULIDs, matched case-insensitively: the Message-ID shows them in lower case. */
export function canonicalId(id: string): string {
  return /^[0-9a-z]{26}$/i.test(id) ? id.toUpperCase() : id;
}

export interface SelectOptions extends SpoolOption {
  all?: boolean | undefined;
  type?: string | undefined;
  state?: string | undefined;
}

/**
 * The jobs a verb acts on: the ids given, or with --all every job of `allowed` states (narrowed by
 * --state and --type). Ids are collected before anything moves.
 */
async function selectIds(
  ids: readonly string[],
  opts: SelectOptions,
  allowed: readonly JobState[],
  verb: string,
  store: SpoolBackend,
): Promise<string[]> {
  if (ids.length > 0 && opts.all) throw new UsageError('give either job ids or --all, not both');
  if (ids.length === 0 && !opts.all)
    throw new UsageError(`name one or more job ids, or pass --all`, {
      hint: `run \`mailctl queue list\` to see the ids, or \`mailctl queue ${verb} --all --type TYPE\``,
    });
  if (!opts.all) {
    if (opts.type !== undefined || opts.state !== undefined)
      throw new UsageError('--type and --state go with --all', { hint: `mailctl queue ${verb} --all --type TYPE` });
    return ids.map(canonicalId);
  }
  const state = stateOption(opts.state);
  if (state !== undefined && !allowed.includes(state))
    throw new UsageError(`${verb} --state takes ${allowed.join(' or ')}`, {
      hint: `jobs in ${state} cannot be ${verb === 'hold' ? 'held' : 'released'}`,
    });
  if (opts.type !== undefined) requireMailType(opts.type);
  const selected: string[] = [];
  for await (const job of store.list(state ? [state] : allowed))
    if (opts.type === undefined || job.type === opts.type) selected.push(job.id);
  return selected;
}

/**
 * Runs `act` on each id; one that fails (unknown, being delivered) is reported on stderr and the
 * others still go ahead, as postsuper does. Exits with the first failure's code.
 */
async function forEachId(
  ids: readonly string[],
  ctx: CommandContext,
  act: (id: string) => Promise<string>,
): Promise<number> {
  let code = 0;
  for (const id of ids) {
    try {
      ctx.io.out(`${await act(id)}\n`);
    } catch (err) {
      if (!(err instanceof MailctlError)) throw err;
      ctx.io.err(`${formatError(err, ctx.debug)}\n`);
      if (code === 0) code = err.exitCode;
    }
  }
  return code;
}

export async function hold(ids: string[], opts: SelectOptions, ctx: CommandContext): Promise<number> {
  return withSpool(opts, ctx, async (store) => {
    const selected = await selectIds(ids, opts, ['incoming', 'deferred'], 'hold', store);
    const code = await forEachId(selected, ctx, async (id) => {
      const r = await store.hold(id);
      return r.changed ? `held ${id} (was ${r.from})` : `${id} is already on hold`;
    });
    if (opts.all) ctx.io.err(`mailctl: ${selected.length} job(s) selected\n`);
    return code;
  });
}

export async function release(ids: string[], opts: SelectOptions, ctx: CommandContext): Promise<number> {
  return withSpool(opts, ctx, async (store) => {
    const selected = await selectIds(ids, opts, ['hold'], 'release', store);
    const code = await forEachId(selected, ctx, async (id) => {
      const r = await store.release(id, ctx.clock.now());
      return r.changed ? `released ${id} to ${r.to}` : `${id} is not on hold (it is ${r.to}); left as it is`;
    });
    if (opts.all) ctx.io.err(`mailctl: ${selected.length} job(s) selected\n`);
    return code;
  });
}

/** postsuper -d ID...: each id named; an unknown one is reported and the others still deleted. */
export async function remove(ids: string[], opts: SpoolOption, ctx: CommandContext): Promise<number> {
  if (ids.length === 0)
    throw new UsageError('name one or more job ids', {
      hint: 'run `mailctl queue list` to see them; `mailctl queue purge --state dead` deletes a whole state',
    });
  return withSpool(opts, ctx, (store) =>
    forEachId(ids.map(canonicalId), ctx, async (id) => {
      const r = await store.remove(id);
      return `deleted ${id} (was ${r.from})`;
    }),
  );
}

/** postcat -q ID: one job, its headers as they would be sent, its attempts and what the provider said. */
export async function show(id: string, opts: SpoolOption & { json?: boolean }, ctx: CommandContext): Promise<number> {
  const loaded = await loadCommandConfig(ctx, flagsOf([['spool.dir', opts.spool, '--spool']]));
  const config = loaded.config;
  const store = await openSpool(config, ctx.cwd);
  let shown: ShownJob;
  try {
    shown = await store.show(canonicalId(id));
  } finally {
    await store.close().catch(() => {});
  }
  const headers = headersOf(shown, config, ctx);
  const now = ctx.clock.now();
  if (opts.json) {
    const j = shown.job;
    ctx.io.out(
      `${JSON.stringify({
        id: shown.id,
        state: shown.state,
        location: shown.location,
        claimedBy: shown.claimedBy ?? null,
        problem: shown.problem ?? null,
        headers: headers.ok ? headers.value : null,
        renderError: headers.ok ? null : headers.error,
        type: j?.type ?? null,
        lang: j?.lang ?? null,
        to: j?.to ?? null,
        from: j?.from ?? null,
        priority: j?.priority ?? null,
        createdAt: j?.createdAt ?? null,
        attempts: j?.attempts ?? null,
        nextAttemptAt: j?.nextAttemptAt ?? null,
        expiresAt: j?.expiresAt ?? null,
        messageId: j?.messageId ?? null,
        deadReason: j?.deadReason ?? null,
        diedAt: j?.diedAt ?? null,
        lastError: j?.lastError ?? null,
        history: j?.history ?? [],
      })}\n`,
    );
    return 0;
  }
  const j = shown.job;
  const rows: string[][] = [
    ['id', shown.id],
    ['state', shown.state + (shown.claimedBy ? ` (claimed by ${shown.claimedBy})` : '')],
    ['location', shown.location],
  ];
  if (!j) {
    rows.push(['problem', shown.problem ?? 'unreadable']);
    ctx.io.out(alignColumns(rows));
    return 0;
  }
  const when = (iso: string | undefined): string => {
    if (iso === undefined) return '-';
    const s = Math.round((Date.parse(iso) - now) / 1000);
    return `${iso} (${s >= 0 ? `in ${age(s)}` : `${age(-s)} ago`})`;
  };
  rows.push(
    ['type', j.type],
    ['language', j.lang ?? 'en-US'],
    ['recipient', j.to],
    ['sender', j.from ?? '(MAIL_DEFAULT_SEND_FROM)'],
    ['priority', String(j.priority)],
    ['created', when(j.createdAt)],
    ['attempts', String(j.attempts)],
    ['next attempt', shown.state === 'dead' || shown.state === 'hold' ? `- (${shown.state})` : when(j.nextAttemptAt)],
    ['expires', when(j.expiresAt)],
  );
  if (j.deadReason) rows.push(['dead', `${j.deadReason}${j.diedAt ? ` at ${j.diedAt}` : ''}`]);
  if (j.lastError) rows.push(['last error', j.lastError.message]);
  const lines = ['*** ENVELOPE ***', alignColumns(rows).trimEnd(), '*** HEADERS ***'];
  if (headers.ok) for (const [name, value] of headers.value) lines.push(printable(`${name}: ${value}`));
  else lines.push(printable(`(cannot render the message: ${headers.error})`));
  lines.push('*** HISTORY ***');
  if (j.history.length === 0) lines.push('(no attempts yet)');
  else
    lines.push(
      alignColumns(
        j.history.map((h, i) => [
          String(i + 1),
          h.at,
          h.ok ? 'delivered' : h.backpressure ? 'slowed down' : (h.kind ?? 'failed'),
          [h.code, h.reply ?? h.error].filter((x) => x !== undefined).join(' ') || '-',
        ]),
      ).trimEnd(),
    );
  ctx.io.out(`${lines.join('\n')}\n`);
  return 0;
}

type Headers = { ok: true; value: [string, string][] } | { ok: false; error: string };

/** The headers the job's message would carry, composed as drain composes it (variables are never shown). */
function headersOf(shown: ShownJob, config: Config, ctx: CommandContext): Headers {
  const j = shown.job;
  if (!j) return { ok: false, error: shown.problem ?? 'unreadable' };
  try {
    const m = createPrepare({ config, defaultFrom: senderFor(config), clock: ctx.clock })(j);
    return {
      ok: true,
      value: [
        ['From', formatMailbox(m.from)],
        ['To', m.to.map(formatMailbox).join(', ')],
        ['Subject', m.subject],
        ['Message-ID', m.messageId],
      ],
    };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export async function purge(
  opts: SpoolOption & { state: string; olderThan?: string; json?: boolean; dryRun?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const state = stateOption(opts.state)!;
  if (state === 'active')
    throw new UsageError('active jobs are being delivered and cannot be purged', {
      hint: 'stop the drain first; its claims are recovered by the next one',
    });
  const olderThan = durationOption('--older-than', opts.olderThan) ?? 0;
  const dryRun = opts.dryRun === true;
  const n = await withSpool(opts, ctx, (store) => store.purge(state, olderThan, ctx.clock.now(), dryRun));
  if (opts.json) ctx.io.out(`${JSON.stringify(dryRun ? { state, wouldPurge: n, dryRun } : { state, purged: n })}\n`);
  else ctx.io.out(dryRun ? `would purge ${n} job(s) from ${state} (dry run)\n` : `purged ${n} job(s) from ${state}\n`);
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
  const config = await loadUsableConfig(
    ctx,
    flagsOf([
      ['spool.dir', opts.spool, '--spool'],
      ['monitor.threshold', opts.threshold, '--threshold'],
      ['monitor.alertEmails', opts.alertTo, '--alert-to'],
      ['monitor.cooldown', opts.cooldown, '--cooldown'],
    ]),
  );
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
  const templates = (await openCommandTemplates(config, ctx)).store;
  const prepare = createPrepare({ config, defaultFrom: senderFor(config), clock: ctx.clock, templates });
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
