/** `mailctl templates list [--json]` and `mailctl templates check [--json]`. */
import { ExitCode } from '../errors.js';
import { createChalk } from '../output/style.js';
import { MAIL_TYPE_DEFS } from '../templates/catalog.js';
import { defaultDirs, discoverLanguages } from '../templates/store.js';
import type { CommandContext } from './shared.js';

export interface TemplatesOptions {
  json?: boolean | undefined;
}

function ttl(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export async function list(opts: TemplatesOptions, ctx: CommandContext): Promise<number> {
  const languages = discoverLanguages(defaultDirs().localesDir);
  if (opts.json) {
    const types = MAIL_TYPE_DEFS.map((d) => ({
      type: d.id,
      description: d.description,
      category: d.category,
      priority: d.priority,
      ttlMs: d.ttlMs ?? null,
      security: d.security === true,
      variables: d.variables.map((v) => ({
        name: v.name,
        kind: v.kind,
        required: v.required,
        description: v.description,
      })),
      sample: d.sample,
    }));
    ctx.io.out(`${JSON.stringify({ languages, types }, null, 2)}\n`);
    return ExitCode.OK;
  }
  const chalk = createChalk(ctx.env, ctx.io.outIsTTY);
  const rows = MAIL_TYPE_DEFS.map((d) => [
    d.id,
    d.security ? `${d.category}*` : d.category,
    String(d.priority),
    ttl(d.ttlMs),
    d.variables.map((v) => `${v.name}${v.kind === 'text' ? '' : `:${v.kind}`}`).join(', ') || '-',
  ]);
  const head = ['TYPE', 'CATEGORY', 'PRIO', 'TTL', 'VARIABLES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  ctx.io.out(
    `${chalk.bold(line(head))}\n${rows.map(line).join('\n')}\n\n* security notice: never carries List-Unsubscribe\nlanguages: ${languages.join(', ')}\n`,
  );
  return ExitCode.OK;
}

export async function check(opts: TemplatesOptions, ctx: CommandContext): Promise<number> {
  const { checkTemplates } = await import('../templates/check.js');
  const result = await checkTemplates(defaultDirs());
  if (opts.json) {
    ctx.io.out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const chalk = createChalk(ctx.env, ctx.io.outIsTTY);
    for (const p of result.problems) {
      const where = [p.type, p.lang, p.brand].filter(Boolean).join(' / ');
      ctx.io.out(`  ${chalk.red('error')} ${where ? `${chalk.bold(where)}: ` : ''}${p.message}\n`);
    }
    const summary = `${result.types} types × ${result.languages.length} languages (${result.languages.join(', ')}) × ${result.brands.length} brands: ${result.rendered} rendered`;
    ctx.io.out(
      result.ok
        ? `${chalk.green('ok')} ${summary}, strict MJML, locale keys complete\n`
        : `${summary}; ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`,
    );
  }
  return result.ok ? ExitCode.OK : ExitCode.CONFIG;
}
