#!/usr/bin/env -S node --
// The installed command: compiled JS only (tsx would cost ~4x start-up), bundled into one file
// by scripts/bundle.js and loaded with V8's code cache by ./load-cli.js.
// `mailctl --version` alone answers from package.json without loading the CLI at all.
// `node --`: Node 20 looks at a `--env-file` anywhere on its command line, even after the script,
// and exits 9 when that file is missing; after `--` it leaves mailctl's own --env-file alone.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { loadCli } = await import('./load-cli.js');
  const { runCli } = await loadCli({ debug: argv.includes('--debug') });
  await runCli();
}
