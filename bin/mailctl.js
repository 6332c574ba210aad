#!/usr/bin/env -S node --
// The installed command: compiled JS only (tsx would cost ~4x start-up).
// `node --`: Node 20 looks at a `--env-file` anywhere on its command line, even after the script,
// and exits 9 when that file is missing; after `--` it leaves mailctl's own --env-file alone.
import { runCli } from '../dist/cli.js';

await runCli();
