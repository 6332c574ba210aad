/**
 * The only mjml importer, and it imports lazily: mjml costs ~290 ms at start-up, so only the build,
 * `templates check` and `preview --serve` (live recompile) ever load it. `send`, `drain` and plain
 * `preview` render precompiled HTML.
 */
import { DataError } from '../errors.js';

export interface MjmlProblem {
  line: number;
  tag: string;
  message: string;
}

export interface MjmlResult {
  html: string;
  problems: MjmlProblem[];
}

export async function compileMjml(
  source: string,
  options: { strict: boolean; filePath?: string | undefined },
): Promise<MjmlResult> {
  const { default: mjml2html } = await import('mjml');
  try {
    const result = await mjml2html(source, {
      validationLevel: options.strict ? 'strict' : 'soft',
      ...(options.filePath ? { filePath: options.filePath } : {}),
      keepComments: false,
      minify: false,
      beautify: false,
    });
    return {
      html: result.html,
      problems: result.errors.map((e) => ({ line: e.line, tag: e.tagName, message: e.message })),
    };
  } catch (err) {
    // Strict validation throws with `.errors`; anything else is a parse failure of the source.
    const errors = (err as { errors?: { line: number; tagName: string; message: string }[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const problems = errors.map((e) => ({ line: e.line, tag: e.tagName, message: e.message }));
      // Keep the problems, but still produce the HTML (soft) so that a preview can show it and
      // the locale-key check does not report every key of the type as unused.
      const soft = await compileMjml(source, { ...options, strict: false });
      return { html: soft.html, problems };
    }
    throw new DataError(
      `MJML could not be compiled${options.filePath ? ` (${options.filePath})` : ''}: ${(err as Error).message}`,
      { cause: err },
      'data.mjml',
    );
  }
}
