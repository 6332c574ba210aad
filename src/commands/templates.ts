/**
 * `mailctl templates list|check|build|init`: the catalog (built-in, with MAILCTL_TEMPLATES_DIR laid
 * over it), CI's check, the compile of the directory, and a new directory to start from.
 */
import { join, resolve } from 'node:path';
import { ConfigError, ExitCode } from '../errors.js';
import { createChalk } from '../output/style.js';
import { operatorDirOf } from '../templates/layers.js';
import { LiveStore, type LiveDirs } from '../templates/live.js';
import { defaultDirs } from '../templates/store.js';
import { typesFileError } from '../templates/types-file.js';
import { loadCommandConfig, type CommandContext } from './shared.js';

export interface TemplatesOptions {
  json?: boolean | undefined;
}

function ttl(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** The built-in sources with the configured directory (if any) laid over them. */
async function sourceDirs(ctx: CommandContext): Promise<LiveDirs> {
  const { config } = await loadCommandConfig(ctx);
  const { templatesDir, localesDir } = defaultDirs();
  return { templatesDir, localesDir, overlayDir: operatorDirOf(config.values['templates.dir'], ctx.cwd) };
}

/** Keys (dotted) of an object of strings. */
function keysOf(data: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(data).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? keysOf(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

export async function list(opts: TemplatesOptions, ctx: CommandContext): Promise<number> {
  const dirs = await sourceDirs(ctx);
  // No compile: listing reads the type table and the locale files only (mjml is never loaded).
  const store = new LiveStore(dirs, false);
  if (store.typeProblems.length > 0) {
    throw typesFileError(store.typeProblems);
  }
  const { layers } = store;
  const op = layers.operator;
  const languages = [...store.languages()];
  const defs = store.mailTypes();
  /** Per type: the keys each language takes from the directory (empty when none). */
  const fromDir = (id: string): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const lang of op?.languages ?? []) {
      const keys = keysOf(layers.layerData(lang, id).operator);
      if (keys.length > 0) out[lang] = keys;
    }
    return out;
  };
  const origin = (id: string): { type: string; body: string; strings: Record<string, string[]> } => ({
    type: layers.types.origin(id),
    body: op?.bodies.includes(id) ? layers.bodyFile(id) : 'built-in',
    strings: fromDir(id),
  });
  if (opts.json) {
    const types = defs.map((d) => ({
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
      ...(op ? { source: origin(d.id) } : {}),
    }));
    const extra = op
      ? {
          templatesDir: op.dir,
          layout: op.layout ? layers.layoutFile() : 'built-in',
          common: fromDir('common'),
          languagesFromDir: op.languages,
        }
      : {};
    ctx.io.out(`${JSON.stringify({ languages, types, ...extra }, null, 2)}\n`);
    return ExitCode.OK;
  }
  const chalk = createChalk(ctx.env, ctx.io.outIsTTY);
  const rows = defs.map((d) => [
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
  const shownLanguages = languages.map((l) =>
    op?.languages.includes(l) && !layers.builtinLanguages().includes(l) ? `${l} (from the directory)` : l,
  );
  let sources = '';
  if (op) {
    const lines = [`from ${op.dir} (MAILCTL_TEMPLATES_DIR); everything else is built in:`];
    if (op.layout) lines.push(`  layout: ${layers.layoutFile()}`);
    const common = fromDir('common');
    if (Object.keys(common).length > 0) lines.push(`  layout strings: ${describeStrings(common)}`);
    for (const d of defs) {
      const o = origin(d.id);
      const parts: string[] = [];
      if (o.type !== 'built-in') parts.push(`declared in ${o.type}`);
      if (o.body !== 'built-in') parts.push(`body ${o.body}`);
      if (Object.keys(o.strings).length > 0) parts.push(`strings ${describeStrings(o.strings)}`);
      if (parts.length > 0) lines.push(`  ${d.id}: ${parts.join('; ')}`);
    }
    sources = `\n${lines.join('\n')}\n`;
  }
  ctx.io.out(
    `${chalk.bold(line(head))}\n${rows.map(line).join('\n')}\n\n* security notice: never carries List-Unsubscribe\nlanguages: ${shownLanguages.join(', ')}\n${sources}`,
  );
  return ExitCode.OK;
}

function describeStrings(byLang: Record<string, string[]>): string {
  return Object.entries(byLang)
    .map(([lang, keys]) => `${lang} ${keys.join(', ')}`)
    .join('; ');
}

export async function check(opts: TemplatesOptions, ctx: CommandContext): Promise<number> {
  const { checkTemplates } = await import('../templates/check.js');
  const dirs = await sourceDirs(ctx);
  const result = await checkTemplates(dirs);
  if (opts.json) {
    ctx.io.out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const chalk = createChalk(ctx.env, ctx.io.outIsTTY);
    for (const p of result.problems) {
      const where = [p.type, p.lang, p.brand].filter(Boolean).join(' / ');
      // With a directory, name the file to edit (yours or the built-in one).
      const file = dirs.overlayDir && p.file && !p.message.includes(p.file) ? ` (${p.file})` : '';
      ctx.io.out(`  ${chalk.red('error')} ${where ? `${chalk.bold(where)}: ` : ''}${p.message}${file}\n`);
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

/** `mailctl templates build`: compile MAILCTL_TEMPLATES_DIR now (send, enqueue and drain then load no mjml). */
export async function build(_opts: TemplatesOptions, ctx: CommandContext): Promise<number> {
  const dirs = await sourceDirs(ctx);
  if (!dirs.overlayDir)
    throw new ConfigError(
      'templates build compiles MAILCTL_TEMPLATES_DIR, which is not set',
      {
        hint: 'set MAILCTL_TEMPLATES_DIR (or templates.dir in the config file); the built-in templates are compiled by `npm run build`',
      },
      'config.templates',
    );
  const { openOperatorTemplates, COMPILED_DIR } = await import('../templates/operator.js');
  let compiled = false;
  const t = await openOperatorTemplates({
    dir: dirs.overlayDir,
    cacheRoot: join(ctx.cwd, COMPILED_DIR),
    log: (line) => {
      compiled = true;
      ctx.io.err(`${line}\n`);
    },
  });
  ctx.io.out(`${t.store.cacheDir}\n`);
  if (!compiled) ctx.io.err(`mailctl: templates: ${dirs.overlayDir} is compiled already (up to date)\n`);
  return ExitCode.OK;
}

export interface InitOptions {
  from?: string | undefined;
  type?: string | undefined;
}

/** `mailctl templates init [DIR]`: the files written on stdout, then the next commands. */
export async function init(dir: string | undefined, opts: InitOptions, ctx: CommandContext): Promise<number> {
  const { initTemplateDir } = await import('../templates/init.js');
  const target = resolve(ctx.cwd, dir ?? 'mail-templates');
  const r = initTemplateDir({ dir: target, from: opts.from, type: opts.type });
  const quoted = /^[\w./-]+$/.test(target) ? target : `'${target.replace(/'/g, `'\\''`)}'`;
  ctx.io.out(
    [
      `created ${target}:`,
      ...r.files.map((f) => `  ${f}`),
      '',
      'next:',
      `  export MAILCTL_TEMPLATES_DIR=${quoted}`,
      `  mailctl preview ${r.type} --lang zh-CN --open     # or: mailctl preview --serve (live reload)`,
      '  mailctl templates check                        # what CI runs',
      '  mailctl templates list                         # where each type and string comes from',
      `  mailctl send ${r.type} --to you@example.com`,
      '',
    ].join('\n'),
  );
  return ExitCode.OK;
}
