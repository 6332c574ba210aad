#!/usr/bin/env node
// Bundles the CLI (src/cli.ts and what it imports) with esbuild into one CommonJS file,
// dist/cli/mailctl.cjs, and writes V8's code cache for it (scripts/warm-cli-cache.js), for
// start-up; bin/mailctl.js loads both through bin/load-cli.js. The library build (dist/ from
// tsc) is untouched.
//
// Why one CommonJS file: Node 20 resolves, reads, compiles and links every ES module on its own
// (the ~25 chunks of an ES-module bundle with code splitting cost ~26 ms of resolution alone in
// a profile of `verify-config`); a CommonJS bundle is one read and one compile, and its modules
// still run only when first used: esbuild wraps each in an init function, and a lazy
// `await import('./commands/send.js')` becomes a call of it. Heavy or data-carrying packages
// stay outside the bundle and load from node_modules only on the path that uses them (mjml,
// BullMQ's Lua scripts, nodemailer, …; cosmiconfig only when the working directory has a config
// file): their `require()` sits inside the init function of the module that imports them.
//
// commander requires `node:child_process` (and with it dgram) when it loads, for executable
// subcommands mailctl does not have; the bundle requires it on first use instead.
//
// Source maps (mailctl.cjs.map, names and lines of src/) apply with --debug (bin/load-cli.js).
//
// The packages imported lazily (`await import('mjml')`, …) stay ES-module imports, as before. V8
// loses the loader of `import()` in functions it takes from a code cache ("A dynamic import
// callback was not specified"), so every `import(` of the bundle calls `__mailctlImport(`, a
// function bin/load-cli.js passes in from outside the cached code (a plain require of the bundle,
// as under --debug, gets the banner's own).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;
const external = [
  '@sendgrid/mail',
  'bullmq',
  'cli-progress',
  'cosmiconfig',
  'html-to-text',
  'ioredis',
  // config/load.ts's parsers, imported only when a config file is there
  'jsonc-parser',
  'mailauth',
  'mailparser',
  'mjml',
  'playwright-core',
  'tldts',
  'typescript',
  'yaml',
];
await rm(outdir, { recursive: true, force: true });
// A checkout whose node_modules predate esbuild still builds: bin/mailctl.js then runs dist/cli.js.
const esbuild = await import('esbuild').catch(() => undefined);
if (!esbuild) {
  console.warn('bundle: esbuild is not installed (npm install); the CLI runs unbundled from dist/cli.js');
  process.exit(0);
}

/**
 * nodemailer stays in node_modules (its SMTP and DKIM machinery load on their own path), except
 * lib/mime-funcs, which every message's MIME needs (providers/mime.ts): bundled, it is in the
 * code cache; required, it cost ~7.6 ms of CPU per `send` here, most of it compiling a 90 KB
 * table of file types mailctl never looks up.
 */
const nodemailerOutsideButMime = {
  name: 'nodemailer-outside-but-mime',
  setup(build) {
    build.onResolve({ filter: /^nodemailer(\/|$)/ }, (args) =>
      args.path === 'nodemailer/lib/mime-funcs' ? undefined : { path: args.path, external: true },
    );
  },
};

/** commander's `require('node:child_process')` at load → a require on first spawn. */
const lazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      // A commander without this line fails the build rather than silently bringing the cost back.
      if (!source.includes(eager)) throw new Error(`bundle: ${args.path} no longer has: ${eager}`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * chalk's supports-color asks node:tty whether stdout and stderr are terminals when chalk loads,
 * for chalk's default instances; node:tty requires node:net, ~2.5 ms of CPU per start of
 * `verify-config` or `send`. mailctl never uses those instances: src/output/style.ts (the only
 * chalk importer) gives every Chalk its own level from NO_COLOR, FORCE_COLOR and the stream.
 */
const chalkWithoutTty = {
  name: 'chalk-without-tty',
  setup(build) {
    build.onResolve({ filter: /^#supports-color$/ }, () => ({ path: 'supports-color', namespace: 'no-tty' }));
    build.onLoad({ filter: /.*/, namespace: 'no-tty' }, () => ({
      contents: 'export default { stdout: false, stderr: false };',
      loader: 'js',
    }));
  },
};

const built = await esbuild.build({
  absWorkingDir: root,
  write: false,
  entryPoints: { mailctl: 'src/cli.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  logLevel: 'warning',
  plugins: [lazyChildProcess, nodemailerOutsideButMime, chalkWithoutTty],
  sourcemap: 'linked',
  sourcesContent: false,
  minifyWhitespace: true,
  // templates/store.ts finds the package root from its module URL (dist/cli/ is two levels down).
  define: { 'import.meta.url': '__mailctlModuleUrl' },
  banner: {
    js: [
      "const __mailctlModuleUrl = require('node:url').pathToFileURL(__filename).href;",
      'var __mailctlImport = __mailctlImport || ((specifier) => import(specifier));',
    ].join(' '),
  },
});
mkdirSync(outdir, { recursive: true });
for (const file of built.outputFiles) {
  let text = file.text;
  if (file.path.endsWith('.cjs')) {
    const [banner, ...rest] = text.split('\n');
    const body = rest.join('\n');
    // esbuild writes every dynamic import of the sources as import("specifier"); anything else would
    // break under the code cache, so it stops the build.
    const other = /\bimport\((?!")/.exec(body);
    if (other) throw new Error(`bundle: an import( that is not import("…") at offset ${other.index}`);
    text = [banner, body.replace(/\bimport\("/g, '__mailctlImport("')].join('\n');
  }
  writeFileSync(file.path, text);
}

// The code cache, from a run of the main commands in an empty directory with no configuration.
// The CLI runs without it (only slower to start), so a failed run warns instead of failing
// `npm ci`; test/e2e/start-up.test.ts fails when the cache is missing or rejected.
const cwd = mkdtempSync(join(tmpdir(), 'mailctl-warm-'));
try {
  const warm = spawnSync(process.execPath, [join(root, 'scripts', 'warm-cli-cache.js')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (warm.status !== 0) {
    await rm(`${outdir}/mailctl.cjs.v8-cache`, { force: true });
    console.warn(`bundle: no code cache (start-up will be slower); the warm-up run failed:\n${warm.stderr}`);
  }
} finally {
  await rm(cwd, { recursive: true, force: true });
}
