/** The text report of `mailctl check`; `send --dry-run --check` prints it too (to stderr, as the MIME goes to stdout). */
import type { MessageReport } from '../deliverability/types.js';
import type { ChalkInstance } from './style.js';

export function formatMessageReport(file: string, report: MessageReport, chalk: ChalkInstance): string {
  const mark = {
    ok: chalk.green('ok     '),
    info: chalk.dim('info   '),
    warning: chalk.yellow('warning'),
    error: chalk.red('error  '),
  } as const;
  const lines = [
    `${chalk.bold('mailctl check')}: ${file}${report.subject ? ` ${JSON.stringify(report.subject)}` : ''}`,
  ];
  for (const f of report.findings) {
    lines.push(`  ${mark[f.severity]} ${f.check.padEnd(11)} ${f.message}`);
    if (f.fix && (f.severity === 'error' || f.severity === 'warning'))
      lines.push(`                      ${chalk.dim('fix:')} ${f.fix}`);
  }
  const count = (s: string): number => report.findings.filter((f) => f.severity === s).length;
  const e = count('error');
  const w = count('warning');
  lines.push(
    `${report.ok ? chalk.green('ok') : chalk.red('failed')}: ${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}
