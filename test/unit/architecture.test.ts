/**
 * The module boundaries of STYLE.md, checked on the source text (also run by `npm run lint`):
 * only cli.ts touches the process; domain modules never import commands/ or output/; each
 * third-party package has one home; no import cycles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const files = walk(SRC).map((abs) => ({
  abs,
  rel: relative(SRC, abs).replace(/\\/g, '/'),
  text: readFileSync(abs, 'utf8'),
}));

/** Value imports (not `import type`), static and dynamic. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm))
    out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function packageOf(spec: string): string {
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
}

const DOMAIN = /^(config|templates|message|providers|spool|preview|dns)\//;

const HOMES: Record<string, RegExp> = {
  commander: /^(program\.ts|commands\/)/,
  cosmiconfig: /^config\/load\.ts$/,
  mjml: /^templates\/mjml\.ts$/,
  i18next: /^templates\/i18n\.ts$/,
  chalk: /^output\//,
  nodemailer: /^providers\/(smtp|file|mime|dkim)\.ts$/,
  '@sendgrid/mail': /^providers\/sendgrid\.ts$/,
  '@sendgrid/client': /^providers\/sendgrid\.ts$/,
  'cli-progress': /^output\//,
  bullmq: /^spool\/redis\/backend\.ts$/,
  ioredis: /^spool\/redis\/backend\.ts$/,
  tldts: /^dns\/records\.ts$/,
};

describe('architecture', () => {
  it('finds the sources', () => expect(files.length).toBeGreaterThan(10));

  // The process entry points: the CLI, the build step that precompiles the templates, and the
  // library's entry (index.ts), which defaults `env` and `cwd` to the process's as the CLI does.
  const ENTRY_POINTS = new Set(['cli.ts', 'templates/build.ts', 'index.ts']);

  it('only the entry points (src/cli.ts, the template build step, the library entry) touch process globals', () => {
    const offenders = files
      .filter((f) => !ENTRY_POINTS.has(f.rel))
      .filter((f) =>
        /\bprocess\.(argv|env|exit|exitCode|cwd|stdout|stderr|stdin|on|once|kill|pid)\b/.test(
          f.text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''),
        ),
      )
      .map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  it('domain modules never import commands/, output/, program.ts or cli.ts', () => {
    const offenders: string[] = [];
    for (const f of files.filter((x) => DOMAIN.test(x.rel))) {
      for (const spec of importsOf(f.text).filter((s) => s.startsWith('.'))) {
        const target = relative(SRC, resolve(dirname(f.abs), spec)).replace(/\\/g, '/');
        if (/^(commands|output)\/|^(program|cli)\.js$/.test(target)) offenders.push(`${f.rel} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('each third-party package has one home', () => {
    const offenders: string[] = [];
    for (const f of files) {
      for (const spec of importsOf(f.text).filter((s) => !s.startsWith('.') && !s.startsWith('node:'))) {
        const home = HOMES[packageOf(spec)];
        if (home && !home.test(f.rel)) offenders.push(`${f.rel} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has no import cycles', () => {
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const deps = importsOf(f.text)
        .filter((s) => s.startsWith('.'))
        .map((s) =>
          relative(SRC, resolve(dirname(f.abs), s))
            .replace(/\\/g, '/')
            .replace(/\.js$/, '.ts'),
        );
      graph.set(f.rel, deps);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' → '));
        return;
      }
      state.set(node, 'visiting');
      for (const dep of graph.get(node) ?? []) visit(dep, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
