/** `mailctl verify-config [--connect] [--dns] [--json]` */
import { describeSource, redact, secretsOf, type Config, type KeyPath, type Problem } from '../config/index.js';
import { configRows } from '../config/redact.js';
import { describeTransport } from '../config/describe.js';
import { ExitCode } from '../errors.js';
import type { ProbeReport } from '../providers/types.js';
import type { DnsReport } from '../dns/check-domain.js';
import { countLine, formatProblems } from '../output/problems.js';
import { createChalk } from '../output/style.js';
import { loadCommandConfig, type CommandContext } from './shared.js';

export interface VerifyConfigOptions {
  connect?: boolean;
  dns?: boolean;
  json?: boolean;
}

export async function run(opts: VerifyConfigOptions, ctx: CommandContext): Promise<number> {
  const { config, problems } = await loadCommandConfig(ctx);
  const secrets = secretsOf(config);
  const errors = problems.filter((p) => p.severity === 'error');

  let probe: ProbeReport | undefined;
  if (opts.connect && errors.length === 0) {
    const { probeProvider } = await import('../providers/probe/index.js');
    probe = await probeProvider(config, {
      clock: ctx.clock,
      signal: ctx.signal,
      cwd: ctx.cwd,
      hostname: ctx.hostname,
      secrets: ctx.redactor,
    });
  }

  // A Redis spool: reachable, and persistent enough for the spool's guarantees (README: Running on several hosts).
  let spool: ProbeReport | undefined;
  if (opts.connect && errors.length === 0) {
    const { checkSpoolConnection } = await import('../spool/backend.js');
    spool = await checkSpoolConnection(config);
  }

  let dns: DnsReport | undefined;
  if (opts.dns && errors.length === 0) {
    const { checkDns } = await import('../dns/check-domain.js');
    dns = await checkDns(config, { cwd: ctx.cwd, clock: ctx.clock, signal: ctx.signal });
  }

  const exitCode =
    errors.length > 0
      ? ExitCode.CONFIG
      : probe && !probe.ok
        ? probe.exitCode
        : spool && !spool.ok
          ? spool.exitCode
          : dns && !dns.ok
            ? dns.exitCode
            : ExitCode.OK;
  const print = (text: string): void => ctx.io.out(`${redact(text, secrets)}\n`);
  // The one-sentence error on stderr, as for every failing command; the transcript stays on stdout.
  if (probe && !probe.ok && probe.error) {
    ctx.io.err(
      `${redact(`mailctl: connection check failed: ${probe.error}${probe.hint ? `\nhint: ${probe.hint}` : ''}`, secrets)}\n`,
    );
  }
  if (spool && !spool.ok && spool.error)
    ctx.io.err(
      `${redact(`mailctl: spool check failed: ${spool.error}${spool.hint ? `\nhint: ${spool.hint}` : ''}`, secrets)}\n`,
    );
  const dnsErrors = dns?.findings.filter((f) => f.severity === 'error') ?? [];
  if (dnsErrors[0]) {
    const more = dnsErrors.length > 1 ? ` (and ${dnsErrors.length - 1} more)` : '';
    ctx.io.err(
      `${redact(`mailctl: DNS check failed: ${dnsErrors[0].message}${more}${dnsErrors[0].fix ? `\nhint: ${dnsErrors[0].fix}` : ''}`, secrets)}\n`,
    );
  }
  // --debug: the resolved configuration with each value's source, secrets masked, on stderr.
  if (ctx.debug) {
    for (const row of configRows(config)) {
      if (row.value === undefined) continue;
      ctx.io.err(
        `${redact(`config: ${row.env}=${JSON.stringify(row.value)} [${describeSource(config.sources[row.key as KeyPath])}]`, secrets)}\n`,
      );
    }
  }
  // --debug: every DNS query and its answers, on stderr (stdout carries the report).
  if (dns && ctx.debug && !opts.json) {
    for (const q of dns.queries)
      ctx.io.err(
        `${redact(`dns: ${q.type} ${q.name} @ ${dns.servers.join(', ')} (${q.ms} ms) -> ${q.error ?? (q.answers ?? []).join(', ')}`, secrets)}\n`,
      );
  }

  if (opts.json) {
    print(
      JSON.stringify(
        { ...jsonReport(config, problems, probe, exitCode, dns, ctx.debug), ...(spool ? { spool } : {}) },
        null,
        2,
      ),
    );
    return exitCode;
  }
  const chalk = createChalk(ctx.env, ctx.io.outIsTTY);
  print(
    `${chalk.bold('mailctl verify-config')}: ${describeTransport(config)}${config.filePath ? chalk.dim(` (config: ${config.filePath})`) : ''}`,
  );
  if (problems.length > 0) print(formatProblems(problems, chalk));
  if (opts.connect && errors.length > 0) print(chalk.dim('  --connect skipped: fix the errors above first'));
  if (opts.dns && errors.length > 0) print(chalk.dim('  --dns skipped: fix the errors above first'));
  if (probe) print(formatProbe(probe, chalk));
  if (spool) print(`${chalk.bold('spool')}\n${formatProbe(spool, chalk)}`);
  if (dns) print(formatDns(dns, chalk));
  const verdict = exitCode === ExitCode.OK ? chalk.green('ok') : chalk.red('failed');
  print(
    `${verdict}: ${countLine(problems)}${probe ? `, connection ${probe.ok ? 'ok' : 'failed'}` : ''}${spool ? `, spool ${spool.ok ? (spool.stages.some((s) => s.warning) ? 'ok with warnings' : 'ok') : 'failed'}` : ''}${dns ? `, DNS ${dnsSummary(dns)}` : ''}`,
  );
  return exitCode;
}

function jsonReport(
  config: Config,
  problems: readonly Problem[],
  probe: ProbeReport | undefined,
  exitCode: number,
  dns: DnsReport | undefined,
  debug: boolean,
): object {
  return {
    ok: exitCode === ExitCode.OK,
    exitCode,
    mailType: config.values.mailType,
    transport: describeTransport(config),
    configFile: config.filePath ?? null,
    problems: problems.map((p) => ({
      key: p.key,
      severity: p.severity,
      message: p.message,
      source: p.source,
      ...(p.hint ? { hint: p.hint } : {}),
    })),
    ...(probe ? { connect: probe } : {}),
    ...(dns ? { dns: debug ? dns : { ...dns, queries: undefined } } : {}),
  };
}

function formatProbe(probe: ProbeReport, chalk: ReturnType<typeof createChalk>): string {
  const lines = probe.stages.map((s) => {
    const mark = s.ok ? chalk.green('ok  ') : chalk.red('FAIL');
    const ms = chalk.dim(`${s.ms.toFixed(0).padStart(5)} ms`);
    const parts = [`  ${mark} ${s.name.padEnd(10)} ${ms}`];
    if (s.sent) parts.push(chalk.cyan(`-> ${s.sent}`));
    if (s.reply) parts.push(`<- ${s.reply}`);
    let line = parts.join('  ');
    if (s.warning) line += `\n       ${chalk.yellow('warning:')} ${s.warning}`;
    return line;
  });
  if (probe.error) lines.push(`  ${chalk.red('error:')} ${probe.error}`);
  if (probe.hint) lines.push(`  ${chalk.dim('hint:')} ${probe.hint}`);
  return lines.join('\n');
}

function dnsSummary(dns: DnsReport): string {
  const count = (sev: string): number => dns.findings.filter((f) => f.severity === sev).length;
  if (dns.exitCode === ExitCode.UNAVAILABLE) return 'unreachable';
  const e = count('error');
  const w = count('warning');
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}

function formatDns(dns: DnsReport, chalk: ReturnType<typeof createChalk>): string {
  const mark = {
    ok: chalk.green('ok     '),
    info: chalk.dim('info   '),
    warning: chalk.yellow('warning'),
    error: chalk.red('error  '),
  } as const;
  const lines = [
    `  ${chalk.bold('dns')} ${dns.domain ?? '(no sender domain)'} ${chalk.dim(`(servers: ${dns.servers.join(', ')})`)}`,
  ];
  for (const f of dns.findings) {
    lines.push(`  ${mark[f.severity]} ${f.check.toUpperCase().padEnd(5)} ${f.message}`);
    if (f.record && f.severity !== 'ok' && f.severity !== 'info')
      lines.push(`                ${chalk.dim(`record: ${f.record}`)}`);
    if (f.fix && f.severity !== 'ok') lines.push(`                ${chalk.dim('fix:')} ${f.fix}`);
  }
  return lines.join('\n');
}
