/**
 * `mailctl preview [TYPE] [--lang] [--var k=v]... [--vars FILE] [--format html|text|eml|json]
 * [--no-brand] [--open] [--serve [--port N]]`: renders without sending. Results go to stdout
 * (HTML by default), warnings (language fallback, unknown variables) to stderr.
 */
import { ExitCode, UsageError } from '../errors.js';
// render.ts loads the catalog, the store and the language table anyway: import them plainly.
import { requireMailType } from '../templates/catalog.js';
import { requireLanguage } from '../templates/lang.js';
import { brandingFromConfig, renderWith, type Branding, type RenderedEmail } from '../templates/render.js';
import { defaultDirs } from '../templates/store.js';
import {
  loadCommandConfig,
  openCommandTemplates,
  readVars,
  type CommandContext,
  type MessageOptions,
} from './shared.js';

export interface PreviewOptions extends MessageOptions {
  format?: 'html' | 'text' | 'eml' | 'json' | undefined;
  /** `--no-brand` sets this to false: render the white-label variant. */
  brand?: boolean | undefined;
  open?: boolean | undefined;
  serve?: boolean | undefined;
  port?: number | undefined;
}

/** Placeholder addresses for `--format eml`: preview sends nothing. */
const PREVIEW_FROM = 'mailctl preview <preview@example.com>';
const PREVIEW_TO = 'recipient@example.com';

export async function run(type: string | undefined, opts: PreviewOptions, ctx: CommandContext): Promise<number> {
  const { config, problems } = await loadCommandConfig(ctx);
  // Preview needs no working provider, so configuration errors do not stop it; one in a key it
  // renders from must not pass in silence, though.
  for (const p of problems.filter((x) => x.severity === 'error' && x.key === 'MAILCTL_CODE_TTL')) {
    ctx.io.err(`mailctl: warning: ${p.message}; previewing with the type's own TTL\n`);
  }
  const branding: Branding = brandingFromConfig(config);
  if (opts.brand === false) branding.whiteLabel = true;

  if (opts.serve) return serve(type, opts, branding, config.values['templates.dir'], ctx);
  if (opts.port !== undefined)
    throw new UsageError('--port only goes with --serve', { hint: 'mailctl preview --serve --port 8025' });
  if (type === undefined) {
    throw new UsageError('preview needs a mail TYPE (or --serve for the gallery)', {
      hint: 'run `mailctl templates list` to see every type',
    });
  }

  const vars = await readVars(opts, ctx.cwd);
  const templates = (await openCommandTemplates(config, ctx)).store;
  const rendered = renderWith(templates, {
    type,
    lang: opts.lang === undefined ? undefined : requireLanguage(opts.lang, templates.languages()),
    vars,
    branding,
    useSamples: true,
    codeTtlMs: config.values['retry.codeTtl'],
  });
  for (const w of rendered.warnings) ctx.io.err(`mailctl: warning: ${w}\n`);

  const format = opts.format ?? 'html';
  let output: string;
  switch (format) {
    case 'html':
      output = rendered.html;
      break;
    case 'text':
      output = rendered.text;
      break;
    case 'json':
      output = `${JSON.stringify(jsonOf(rendered), null, 2)}\n`;
      break;
    case 'eml':
      output = await eml(rendered, config.values.defaultFrom, ctx);
      break;
  }

  if (opts.open) {
    const { writePreviewFile, launchOpener } = await import('../preview/open.js');
    const ext = format === 'html' ? 'html' : format === 'text' ? 'txt' : format === 'json' ? 'json' : 'eml';
    const path = await writePreviewFile(output, `${rendered.type}.${rendered.lang}.${ext}`, ctx.env);
    ctx.io.out(`${path}\n`);
    if (ctx.openInBrowser) await ctx.openInBrowser(path);
    else await launchOpener(path, ctx.env);
    return ExitCode.OK;
  }
  ctx.io.out(output.endsWith('\n') ? output : `${output}\n`);
  return ExitCode.OK;
}

function jsonOf(r: RenderedEmail): Record<string, unknown> {
  return {
    type: r.type,
    lang: r.lang,
    subject: r.subject,
    html: r.html,
    text: r.text,
    category: r.category,
    priority: r.priority,
    ttlMs: r.ttlMs ?? null,
    vars: r.vars,
    filled: r.filled,
    warnings: r.warnings,
  };
}

async function eml(rendered: RenderedEmail, defaultFrom: string | undefined, ctx: CommandContext): Promise<string> {
  const [{ composeMessage }, { buildMime }] = await Promise.all([
    import('../message/compose.js'),
    import('../providers/mime.js'),
  ]);
  const message = composeMessage({
    rendered,
    to: PREVIEW_TO,
    from: defaultFrom ?? PREVIEW_FROM,
    date: new Date(ctx.clock.now()),
  });
  return (await buildMime(message)).toString('utf8');
}

async function serve(
  type: string | undefined,
  opts: PreviewOptions,
  branding: Branding,
  templatesDir: string | undefined,
  ctx: CommandContext,
): Promise<number> {
  const [{ startGallery }, { LiveStore }, { operatorDirOf }] = await Promise.all([
    import('../preview/serve.js'),
    import('../templates/live.js'),
    import('../templates/layers.js'),
  ]);
  const { templatesDir: builtinTemplates, localesDir } = defaultDirs();
  const dirs = { templatesDir: builtinTemplates, localesDir, overlayDir: operatorDirOf(templatesDir, ctx.cwd) };
  // The types as the directory declares them now (a broken types file shows in the gallery, not here).
  const live = new LiveStore(dirs, false);
  if (type !== undefined) requireMailType(type, 'mail type', live.mailTypes());
  const lang = opts.lang === undefined ? undefined : requireLanguage(opts.lang, live.languages());
  const gallery = await startGallery({
    dirs,
    branding,
    port: opts.port ?? 0,
    log: (line) => ctx.io.err(`${line}\n`),
  });
  // stdout: the bare URL, for scripts; a deep link to TYPE goes with the human lines on stderr.
  const deep =
    type === undefined
      ? gallery.url
      : `${gallery.url}#type=${type}${lang ? `&lang=${lang}` : ''}${opts.brand === false ? '&brand=white-label' : ''}`;
  ctx.io.out(`${gallery.url}\n`);
  const watched = dirs.overlayDir ? `templates/, locales/ and ${dirs.overlayDir}` : 'templates/ and locales/';
  ctx.io.err(
    `preview: serving every type × language × brand on ${gallery.url} (live reload on ${watched}); Ctrl-C to stop\n`,
  );
  if (deep !== gallery.url) ctx.io.err(`preview: ${deep}\n`);
  try {
    if (opts.open) {
      if (ctx.openInBrowser) await ctx.openInBrowser(deep);
      else await (await import('../preview/open.js')).launchOpener(deep, ctx.env);
    }
    if (!ctx.signal.aborted)
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await gallery.close();
  }
  return ExitCode.OK;
}
