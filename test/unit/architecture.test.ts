/**
 * The module boundaries of STYLE.md, checked on the source text (also run by `npm run lint`):
 * only cli.ts touches the process; domain modules never import commands/ or output/; every
 * third-party package is on the allow-list below and has one home; the layer directions hold;
 * a lazily imported module is not also imported eagerly; no import cycles.
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

/** Value imports (not `import type`) that load at import time. */
function staticImportsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  );
}

/** `await import('…')`: loaded only when the code path runs. */
function lazyImportsOf(text: string): string[] {
  return [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

/** Every import, type-only ones included: a layer direction holds for types too. */
function allImportsOf(text: string): string[] {
  return [
    ...[...text.matchAll(/^\s*(?:import|export)\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...lazyImportsOf(text),
  ];
}

/** Value imports (not `import type`), static and dynamic. */
function importsOf(text: string): string[] {
  return [...staticImportsOf(text), ...lazyImportsOf(text)];
}

/** A relative specifier as a path under src/, with the .ts extension of its source. */
function targetOf(from: string, spec: string): string {
  return relative(SRC, resolve(dirname(from), spec))
    .replace(/\\/g, '/')
    .replace(/\.js$/, '.ts');
}

function packageOf(spec: string): string {
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
}

const DOMAIN = /^(config|templates|message|providers|spool|preview|dns|deliverability)\//;

/**
 * The allow-list of third-party packages src/ may import, each with its one home. A package not
 * listed here is an offender: adding a dependency is a decision, written down in this table.
 */
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
  // .eml parsing and DKIM verification for `mailctl check`; the plain-text part of compiled templates.
  mailparser: /^deliverability\/check-message\.ts$/,
  mailauth: /^deliverability\/dkim\.ts$/,
  'html-to-text': /^templates\/compile\.ts$/,
  dotenv: /^config\/env-file\.ts$/,
  // Config files as data: YAML with an alias cap, JSON syntax errors located without quoting the file.
  // And the operator's types file, whose checks need each node's line (parseDocument + LineCounter).
  yaml: /^(config\/load|templates\/types-file)\.ts$/,
  'jsonc-parser': /^config\/load\.ts$/,
};

interface Direction {
  from: RegExp;
  to: RegExp;
  why: string;
  /** `from → to` pairs allowed on purpose, each with its reason. */
  except?: Record<string, string>;
}

/** Layer directions beyond "domain never imports commands/": what may not import what. */
const DIRECTIONS: Direction[] = [
  {
    from: /^config\//,
    to: /^(spool|providers|dns|templates|preview)\//,
    why: 'config is the bottom layer: every module reads it, it reads no module above it',
  },
  {
    from: /^(dns|deliverability)\//,
    to: /^providers\/index\.ts$/,
    why: 'the DNS checks and the message lint need provider facts (DKIM key, SPF include), not the factory that loads providers',
  },
  {
    from: /^dns\//,
    to: /^deliverability\//,
    why: 'the message lint builds on the DNS lookups, not the other way round',
  },
  {
    from: /^spool\/redis\//,
    to: /^spool\/file\//,
    why: 'a spool backend sees the spool contract and the shared policy, never the file spool',
  },
  {
    from: /^commands\//,
    to: /^commands\/(?!shared\.ts$)/,
    why: 'a command is a leaf: what two commands share lives in commands/shared.ts, output/ or a domain module',
    except: {
      'commands/send.ts → commands/enqueue.ts': '`send --queue` is `enqueue` by contract (CONTRACT.md), so it runs it',
    },
  },
];

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

  it('every third-party package is on the allow-list and imported only from its home', () => {
    const offenders: string[] = [];
    for (const f of files) {
      for (const spec of importsOf(f.text).filter((s) => !s.startsWith('.') && !s.startsWith('node:'))) {
        const home = HOMES[packageOf(spec)];
        if (!home) offenders.push(`${f.rel} imports ${spec}, which is not on the allow-list`);
        else if (!home.test(f.rel)) offenders.push(`${f.rel} imports ${spec} outside its home`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('imports follow the layer directions', () => {
    const offenders: string[] = [];
    const excepted = new Set<string>();
    for (const f of files) {
      for (const spec of allImportsOf(f.text).filter((s) => s.startsWith('.'))) {
        const target = targetOf(f.abs, spec);
        for (const d of DIRECTIONS.filter((x) => x.from.test(f.rel) && x.to.test(target) && f.rel !== target)) {
          const edge = `${f.rel} → ${target}`;
          if (d.except?.[edge] !== undefined) excepted.add(edge);
          else offenders.push(`${edge}: ${d.why}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    // An exception that no longer matches any import is stale: remove it.
    const declared = DIRECTIONS.flatMap((d) => Object.keys(d.except ?? {}));
    expect(declared.filter((e) => !excepted.has(e))).toEqual([]);
  });

  it("a lazy import is not defeated by the importer's own static imports", () => {
    const byRel = new Map(files.map((f) => [f.rel, f]));
    const eager = (rel: string): string[] => {
      const f = byRel.get(rel);
      return f
        ? staticImportsOf(f.text)
            .filter((s) => s.startsWith('.'))
            .map((s) => targetOf(f.abs, s))
        : [];
    };
    const offenders: string[] = [];
    for (const f of files) {
      const lazy = lazyImportsOf(f.text)
        .filter((s) => s.startsWith('.'))
        .map((s) => targetOf(f.abs, s));
      if (lazy.length === 0) continue;
      // Everything this file loads at import time, directly or through its static imports.
      const loaded = new Set<string>();
      const queue = eager(f.rel);
      while (queue.length > 0) {
        const next = queue.pop()!;
        if (loaded.has(next)) continue;
        loaded.add(next);
        queue.push(...eager(next));
      }
      for (const target of lazy.filter((t) => loaded.has(t)))
        offenders.push(`${f.rel}: ${target} is loaded eagerly anyway`);
    }
    expect(offenders).toEqual([]);
  });

  it("every top-level folder under src/ has a line in the README's layout map, and only those", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const map = readme.slice(readme.indexOf('### Layout'));
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.length).toBeGreaterThan(5);
    expect(folders.filter((d) => !map.includes(`| \`src/${d}/\` |`))).toEqual([]);
    // And no row for a folder that is gone.
    const rows = [...map.matchAll(/^\| `src\/([^/`]+)\/` \|/gm)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((d) => !folders.includes(d))).toEqual([]);
  });

  it('has no import cycles', () => {
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const deps = importsOf(f.text)
        .filter((s) => s.startsWith('.'))
        .map((s) => targetOf(f.abs, s));
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
