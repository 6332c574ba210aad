/**
 * MJML sources → compiled templates with markers. Used by the build (src/templates/build.ts), by
 * `templates check` and by `preview --serve` (live recompile). The layout (templates/layout.mjml)
 * wraps every body (templates/<type>.mjml); build-time directives in the layout choose the
 * variant: `<!--#if logo-->…<!--#else-->…<!--#endif-->`, `<!--#if support-->…<!--#endif-->`,
 * and `<!--#body-->` marks where the body goes. No per-language or per-brand copies: strings come
 * from locales/, brand values from markers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIL_TYPE_DEFS } from './catalog.js';
import { compileMjml, type MjmlProblem } from './mjml.js';
import { VARIANT_KEYS, type CompiledTemplate, type CompiledVariant, type VariantKey } from './store.js';

export interface VariantFlags {
  logo: boolean;
  support: boolean;
}

export function flagsOf(key: VariantKey): VariantFlags {
  return { logo: key.startsWith('logo'), support: key.endsWith('-support') };
}

const DIRECTIVE_IF = /<!--#if (\w+)-->([\s\S]*?)(?:<!--#else-->([\s\S]*?))?<!--#endif-->/g;

/** Applies the layout's build-time directives and inserts the body. */
export function expandLayout(layout: string, body: string, flags: VariantFlags): string {
  const expanded = layout.replace(DIRECTIVE_IF, (_m, flag: string, yes: string, no: string | undefined) => {
    if (flag !== 'logo' && flag !== 'support') throw new Error(`layout: unknown directive flag ${flag}`);
    return flags[flag] ? yes : no ?? '';
  });
  if (!expanded.includes('<!--#body-->')) throw new Error('layout: no <!--#body--> marker');
  return expanded.replace('<!--#body-->', () => body);
}

/** Plain-text alternative of compiled HTML: links written out, images left out, no wrapping (markers change lengths). */
export async function htmlToText(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      // mjml puts every mj-text in a <div>: make each a paragraph (runs of blank lines are collapsed at render).
      { selector: 'div', format: 'block', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
      { selector: 'td', format: 'inline' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['<', '>'] } },
    ],
  });
}

export interface CompileProblem {
  type: string;
  variant: VariantKey;
  file: string;
  message: string;
}

export interface SourceDirs {
  templatesDir: string;
}

export function layoutPath(dirs: SourceDirs): string {
  return join(dirs.templatesDir, 'layout.mjml');
}

/** The MJML body of a catalog type. `type` must come from the catalog (it becomes a file name). */
export function bodyPath(dirs: SourceDirs, type: string): string {
  if (!MAIL_TYPE_DEFS.some((d) => d.id === type)) throw new Error(`not a catalog type: ${type}`);
  return join(dirs.templatesDir, `${type}.mjml`);
}

/** Compiles one type in every variant. Problems (strict MJML validation) are returned, not thrown. */
export async function compileType(type: string, dirs: SourceDirs, options: { strict: boolean }): Promise<{ template: CompiledTemplate; problems: CompileProblem[] }> {
  const layout = await readFile(layoutPath(dirs), 'utf8');
  const file = bodyPath(dirs, type);
  const body = await readFile(file, 'utf8');
  const problems: CompileProblem[] = [];
  const variants = {} as Record<VariantKey, CompiledVariant>;
  for (const key of VARIANT_KEYS) {
    const source = expandLayout(layout, body, flagsOf(key));
    const result = await compileMjml(source, { strict: options.strict, filePath: file });
    for (const p of result.problems) problems.push({ type, variant: key, file, message: describe(p) });
    variants[key] = { html: result.html, text: result.html ? await htmlToText(result.html) : '' };
  }
  return { template: { type, variants }, problems };
}

function describe(p: MjmlProblem): string {
  return `<${p.tag}> line ${p.line}: ${p.message}`;
}
