#!/usr/bin/env -S node --
// The installed command: compiled JS only (tsx would cost ~4x start-up), bundled into one file
// by scripts/bundle.js and loaded with V8's code cache by ./load-cli.js. CommonJS (see
// bin/package.json): an ES-module entry costs Node's ES loader ~5 ms more per start.
// `mailctl --version` alone answers from package.json without loading the CLI at all.
// `node --`: Node 20 looks at a `--env-file` anywhere on its command line, even after the script,
// and exits 9 when that file is missing; after `--` it leaves mailctl's own --env-file alone.
'use strict';
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  // No top-level await in CommonJS: a failure to load is a bug, reported as Node reports it.
  require('./load-cli.js')
    .loadCli({ debug: argv.includes('--debug') })
    .then(({ runCli }) => runCli())
    .catch((err) => {
      process.exitCode = 70;
      console.error(err);
    });
}
