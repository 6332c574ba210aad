#!/usr/bin/env node
// The installed command: compiled JS only (tsx would cost ~4x start-up).
import { runCli } from '../dist/cli.js';

await runCli();
