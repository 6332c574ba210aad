/**
 * MJML sources → compiled templates with markers. Used by the build (src/templates/build.ts), by
 * `templates check` and by `preview --serve` (live recompile). The layout (templates/layout.mjml)
 * wraps every body (templates/<type>.mjml); build-time directives in the layout choose the
 * variant: `<!--#if logo-->…<!--#else-->…<!--#endif-->`, `<!--#if support-->…<!--#endif-->`,
 * and `<!--#body-->` marks where the body goes. No per-language or per-brand copies: strings come
 * from locales/, brand values from markers.
 */
import { readFile } from 'node:fs/promises';
import { compileMjml } from './mjml.js';
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
  return insertBody(expandDirectives(layout, flags), body);
}

function expandDirectives(layout: string, flags: VariantFlags): string {
  const expanded = layout.replace(DIRECTIVE_IF, (_m, flag: string, yes: string, no: string | undefined) => {
    if (flag !== 'logo' && flag !== 'support') throw new Error(`layout: unknown directive flag ${flag}`);
    return flags[flag] ? yes : (no ?? '');
  });
  if (!expanded.includes('<!--#body-->')) throw new Error('layout: no <!--#body--> marker');
  return expanded;
}

function insertBody(expanded: string, body: string): string {
  return expanded.replace('<!--#body-->', () => body);
}

/** Maps a line of the expanded source back to the file it came from: the body, or the layout. */
function sourceLine(expanded: string, body: string, line: number, files: TypeSources): { file: string; line: number } {
  const first = expanded.slice(0, expanded.indexOf('<!--#body-->')).split('\n').length;
  const count = body.split('\n').length;
  if (line >= first && line < first + count) return { file: files.body, line: line - first + 1 };
  // Layout lines (after the directives were applied: close to, not always exactly, the file's own).
  return { file: files.layout, line: line < first ? line : line - count + 1 };
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

/** The two sources of one type's compiled form (the operator's or the built-in files). */
export interface TypeSources {
  layout: string;
  body: string;
}

/** Compiles one type in every variant. Problems (strict MJML validation) are returned, not thrown. */
export async function compileType(
  type: string,
  sources: TypeSources,
  options: { strict: boolean },
): Promise<{ template: CompiledTemplate; problems: CompileProblem[] }> {
  const layout = await readFile(sources.layout, 'utf8');
  const file = sources.body;
  const body = await readFile(file, 'utf8');
  const problems: CompileProblem[] = [];
  const variants = {} as Record<VariantKey, CompiledVariant>;
  for (const key of VARIANT_KEYS) {
    const expanded = expandDirectives(layout, flagsOf(key));
    const result = await compileMjml(insertBody(expanded, body), { strict: options.strict, filePath: file });
    // Each problem names the file the operator has to edit, and its line there.
    for (const p of result.problems) {
      const at = sourceLine(expanded, body, p.line, sources);
      problems.push({ type, variant: key, file: at.file, message: `<${p.tag}> line ${at.line}: ${p.message}` });
    }
    variants[key] = { html: result.html, text: result.html ? await htmlToText(result.html) : '' };
  }
  return { template: { type, variants }, problems };
}
