/** Prints verify-config findings for people (colours per chalk's rules) and machines (JSON). */
import type { Problem } from '../config/index.js';
import type { ChalkInstance } from './style.js';

export function formatProblems(problems: readonly Problem[], chalk: ChalkInstance): string {
  const lines: string[] = [];
  for (const p of problems) {
    const tag = p.severity === 'error' ? chalk.red('error  ') : chalk.yellow('warning');
    lines.push(`  ${tag} ${p.message} ${chalk.dim(`[${p.source}]`)}`);
    if (p.hint) lines.push(`          ${chalk.dim('hint:')} ${p.hint}`);
  }
  return lines.join('\n');
}

export function countLine(problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
