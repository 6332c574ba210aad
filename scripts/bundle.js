#!/usr/bin/env node
// Bundles the CLI (src/cli.ts and what it imports) into dist/cli/ with esbuild, for start-up:
// Node resolves, reads and compiles each of ~60 modules (ours, commander's, chalk's, i18next's)
// one by one; a handful of bundled chunks cost about a quarter less start-up here (see
// bench/startup.bench.js). Commands stay lazy: each command's code is a chunk of its own, loaded
// when that command runs. Heavy or data-carrying packages stay outside the bundle and load from
// node_modules as before (mjml, BullMQ's Lua scripts, nodemailer, …; cosmiconfig, which is
// imported only when the working directory has a config file). The library build (dist/
// from tsc) is untouched; bin/mailctl.js runs the bundle.
import { rmSync } from 'node:fs';
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
  // config/load.ts's parsers, imported only when a config file is there (CommonJS: their named
  // exports survive a dynamic import only from node_modules).
  'jsonc-parser',
  'mailauth',
  'mailparser',
  'mjml',
  'nodemailer',
  'playwright-core',
  'tldts',
  'typescript',
  'yaml',
];
rmSync(outdir, { recursive: true, force: true });
// A checkout whose node_modules predate esbuild still builds: bin/mailctl.js then runs dist/cli.js.
const esbuild = await import('esbuild').catch(() => undefined);
if (!esbuild) {
  console.warn('bundle: esbuild is not installed (npm install); the CLI runs unbundled from dist/cli.js');
  process.exit(0);
}
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { mailctl: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  logLevel: 'warning',
  // CommonJS packages inside an ES module bundle call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
