/**
 * Every command's `--help` has an Examples section, and every example works as written: each runs
 * through the built binary in a fresh copy of a small project (the file provider's outbox, a spool
 * holding the two job ids the examples name, invite.json, message.eml), with an environment that
 * points MAIL_TYPE=smtp at a local smtp-server sink. The one rewrite is the Redis address
 * (127.0.0.1:6379 → the test's redis-server). `--watch` and `--serve` run until a SIGINT.
 */
import { spawn } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir, type CliResult } from '../../helpers/cli.js';
import { redisAvailable, startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const IDS = ['01JFQ5K3M8ZR4T6V9X2B7C1D0E', '01JFQ5K3M8ZR4T6V9X2B7C1D0F'];
let sink: TestSmtpServer;
let redis: TestRedis | undefined;
let fixture: string;
const dirs: string[] = [];

/** Every leaf command, found by walking the help's "Commands:" sections. */
async function leafCommands(path: string[] = []): Promise<{ path: string[]; help: string }[]> {
  const help = (await runCli([...path, '--help'])).stdout;
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1];
  if (!section) return [{ path, help }];
  const names = [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  const out = path.length === 0 ? [{ path, help }] : [];
  for (const name of names) out.push(...(await leafCommands([...path, name])));
  return out;
}
const examplesOf = (help: string): string[] =>
  [...(/\nExamples:\n((?: {2}\$ .*\n?)+)/.exec(help)?.[1]?.matchAll(/^ {2}\$ (.*)$/gm) ?? [])].map((m) => m[1]!);

const env = (): Record<string, string> => ({
  MAIL_DEFAULT_SEND_FROM: 'Acme <no-reply@example.com>',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(sink.port),
  BROWSER: 'true', // preview --open: a "browser" that opens nothing
});

beforeAll(async () => {
  sink = await startSmtpServer();
  if (redisAvailable()) redis = await startRedis();
  fixture = tempDir('mailctl-examples-');
  dirs.push(fixture);
  writeFileSync(
    join(fixture, 'invite.json'),
    JSON.stringify({ inviter_name: 'Ana', workspace_name: 'Acme', url: 'https://console.example.com/activate?t=1' }),
  );
  const base = { cwd: fixture, env: {} };
  expect((await runCli(['send', 'reset-password', '--to', 'ops@example.com'], base)).exitCode).toBe(0);
  const eml = await runCli(['send', 'change-email-completed', '--to', 'a@example.com', '--dry-run'], base);
  writeFileSync(join(fixture, 'message.eml'), eml.stdout);
  // The two job ids the queue examples name: one deferred, one incoming.
  const { FileBackend } = (await import(
    join(ROOT, 'dist/spool/backend.js')
  )) as typeof import('../../../src/spool/backend.js');
  const spool = new FileBackend(join(fixture, '.mailctl/spool'));
  const now = Date.now();
  for (const [i, id] of IDS.entries()) {
    const job = {
      version: 1 as const,
      id,
      type: 'reset-password',
      to: `user${i}@example.com`,
      lang: 'en-US',
      vars: { code: '123456' },
      priority: 1,
      createdAt: new Date(now).toISOString(),
      attempts: i === 0 ? 1 : 0,
      nextAttemptAt: new Date(i === 0 ? now + 3_600_000 : now).toISOString(),
      history: [],
    };
    await spool.importJob({ id, state: i === 0 ? 'deferred' : 'incoming', job }, now);
  }
  await spool.close();
}, 60_000);
afterAll(async () => {
  await sink?.close();
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Shell words: leading NAME=value assignments, `mailctl`, then arguments (globs expanded). */
function parse(line: string, cwd: string): { env: Record<string, string>; args: string[] } {
  const words = line.replace(/127\.0\.0\.1:6379/g, redis ? new URL(redis.url).host : '127.0.0.1:6379').split(/\s+/);
  const assigned: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const w = words.shift()!;
    assigned[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  expect(words.shift()).toBe('mailctl');
  const args = words.flatMap((w) => {
    if (!w.includes('*')) return [w];
    const dir = dirname(w);
    const re = new RegExp(
      `^${w
        .slice(dir.length + 1)
        .replace(/\./g, '\\.')
        .replace(/\*/g, '.*')}$`,
    );
    return readdirSync(join(cwd, dir))
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f));
  });
  return { env: assigned, args };
}

/** Runs until it has said something (or 4 s), then SIGINT: a long-running example must stop cleanly. */
function runUntilInterrupted(args: string[], cwd: string, extra: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--', BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', ...extra },
    });
    let stdout = '';
    let stderr = '';
    const interrupt = setTimeout(() => child.kill('SIGINT'), 4000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      setTimeout(() => child.kill('SIGINT'), 300);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (exitCode, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}

describe('--help examples', () => {
  it('every command has an Examples section, and every example works as written', async () => {
    const commands = await leafCommands();
    expect(commands.length).toBeGreaterThan(15);
    const missing = commands.filter((c) => examplesOf(c.help).length === 0).map((c) => c.path.join(' '));
    expect(missing).toEqual([]);

    const failures: string[] = [];
    let ran = 0;
    for (const { path, help } of commands) {
      for (const line of examplesOf(help)) {
        if (line.includes('6379') && !redis) {
          console.log(`skipped (redis-server not installed): ${line}`);
          continue;
        }
        const cwd = tempDir('mailctl-example-');
        dirs.push(cwd);
        cpSync(fixture, cwd, { recursive: true });
        const { env: assigned, args } = parse(line, cwd);
        const e = { ...env(), ...assigned };
        // The state an example assumes: a template directory for the ones that name it.
        if (assigned.MAILCTL_TEMPLATES_DIR) {
          expect((await runCli(['templates', 'init', assigned.MAILCTL_TEMPLATES_DIR], { cwd })).exitCode).toBe(0);
        }
        const long = args.includes('--watch') || args.includes('--serve');
        const r = long
          ? await runUntilInterrupted(args, cwd, e)
          : await runCli(args, { cwd, env: e, timeoutMs: 60_000 });
        ran += 1;
        if (r.exitCode !== 0 || /internal error/.test(r.stderr))
          failures.push(
            `[${path.join(' ')}] $ ${line}\n  exit ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-3).join('\n  ')}`,
          );
      }
    }
    expect(failures).toEqual([]);
    expect(ran).toBeGreaterThan(35);
  }, 600_000);
});
