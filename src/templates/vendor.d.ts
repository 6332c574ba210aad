// Minimal declarations for the two packages that ship no types (mjml 5, html-to-text 9), covering
// only what templates/mjml.ts and templates/compile.ts call.
declare module 'mjml' {
  export interface MjmlError {
    line: number;
    message: string;
    tagName: string;
    formattedMessage: string;
  }
  export interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    filePath?: string;
    minify?: boolean;
    keepComments?: boolean;
    beautify?: boolean;
  }
  export default function mjml2html(
    source: string,
    options?: MjmlOptions,
  ): Promise<{ html: string; errors: MjmlError[] }>;
}

declare module 'html-to-text' {
  export interface HtmlToTextOptions {
    wordwrap?: number | false | null;
    selectors?: { selector: string; format?: string; options?: Record<string, unknown> }[];
    baseElements?: { selectors?: string[] };
  }
  export function convert(html: string, options?: HtmlToTextOptions): string;
}
