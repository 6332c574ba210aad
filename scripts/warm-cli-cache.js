#!/usr/bin/env node
// Writes dist/cli/mailctl.cjs.v8-cache (see bin/load-cli.js): compiles the bundle, runs the
// commands whose start-up matters most in this one process (output discarded by the caller,
// scripts/bundle.js, which starts this in an empty temporary directory), then saves V8's code
// cache, which now holds the functions those commands compiled as well as the file's top level.
import { writeFileSync } from 'node:fs';
import { cachePath, loadCli } from '../bin/load-cli.js';

const COMMANDS = [
  ['--help'],
  ['verify-config'],
  ['verify-config', '--json'],
  ['preview', 'reset-password', '--lang', 'zh-CN'],
  ['send', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456'],
  ['templates', 'list'],
  ['queue', 'status'],
  // A drain's per-job path (claim, render, compose, MIME, deliver) through the file provider, the
  // default without configuration: its functions then come from the cache instead of being parsed
  // and compiled in every drain process and worker.
  ['enqueue', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456', '--lang', 'zh-CN'],
  ['drain'],
];

const { runCli, script } = await loadCli({ useCache: false });
if (!script) {
  console.warn('warm-cli-cache: this Node cannot load the bundle through vm.Script; no code cache');
} else {
  const argv0 = process.argv.slice(0, 2);
  for (const args of COMMANDS) {
    process.argv = [...argv0, ...args];
    await runCli();
    if (process.exitCode !== 0) throw new Error(`warm-cli-cache: mailctl ${args.join(' ')} exited ${process.exitCode}`);
  }
  writeFileSync(cachePath, script.createCachedData());
}
