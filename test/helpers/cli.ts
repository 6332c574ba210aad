/** Spawns the built binary as an operator would: clean env, temp cwd and HOME, no colour. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin', 'mailctl.js');

export interface CliResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Run as this user and group (tests run as root; EACCES needs someone else). */
  uid?: number;
  gid?: number;
}

export function tempDir(prefix = 'mailctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Never throws for a non-zero exit: returns what the process did. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const cwd = options.cwd ?? tempDir();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolvePromise, reject) => {
    const ids = options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {};
    // `--` as bin/mailctl.js's shebang has it: Node 20 would otherwise act on mailctl's --env-file.
    const child = spawn(process.execPath, ['--', BIN, ...args], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...ids,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolvePromise({ exitCode, signal, stdout, stderr });
    });
    // A command that exits before reading stdin (a usage error, in a few ms) closes the pipe: the
    // write then fails with EPIPE, which is no fault of the test (an unhandled one failed CI).
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
