/**
 * Honest progress and prompt signals: the first Ctrl-C of a drain says how many deliveries it is
 * finishing and that a second one aborts; Ctrl-C during `send` ends it at once, whatever the
 * server does (here: it never says a word); after a run where every job went dead, the hint and
 * `drain --json` point at `--state dead`.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';
import { startSilentServer, startSmtpServer, type SilentServer, type TestSmtpServer } from '../../helpers/smtp.js';

let silent: SilentServer;
let refusing: TestSmtpServer;
const dirs: string[] = [];
beforeAll(async () => {
  silent = await startSilentServer();
  refusing = await startSmtpServer({ rcpt: { code: 550, message: '5.1.1 No such user here' } });
});
afterAll(async () => {
  await silent.close();
  await refusing.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-signals-');
  dirs.push(d);
  return d;
}
const smtpEnv = (port: number): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  NO_COLOR: '1',
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(port),
  MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  // Far longer than the test waits: only the signal can end these sends.
  SMTP_GREETING_TIMEOUT: '60s',
  SMTP_SOCKET_TIMEOUT: '60s',
});

interface Spawned {
  stderr: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; at: number }>;
  kill: (signal: NodeJS.Signals) => void;
}
function spawnCli(args: string[], dir: string, env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--', BIN, ...args], { cwd: dir, env: { HOME: dir, ...env } });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('close', (code) => resolve({ code, at: Date.now() })),
  );
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(guard));
  return { stderr: () => stderr, stdout: () => stdout, exited, kill: (s) => child.kill(s) };
}
async function until(what: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Ctrl-C', () => {
  it('during send ends it at once (75, aborted), although the server never answers', async () => {
    const dir = cwd();
    const before = silent.connections;
    const p = spawnCli(
      ['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=1'],
      dir,
      smtpEnv(silent.port),
    );
    await until(() => silent.connections > before);
    const sent = Date.now();
    p.kill('SIGINT');
    const { code, at } = await p.exited;
    expect(code).toBe(75);
    expect(p.stderr()).toMatch(/abort/i);
    // Generous for a shared machine; the greeting timeout (60 s) is what would end it otherwise.
    expect(at - sent).toBeLessThan(10_000);
  }, 40_000);

  it.each([[['--workers', '1']], [['--workers', '2']]])(
    'the first during drain %j says "finishing N in flight; Ctrl-C again to abort"; the second exits 130',
    async (workers) => {
      const dir = cwd();
      for (const n of [1, 2]) {
        const q = await runCli(['enqueue', 'email-code-login', '--to', `u${n}@example.com`, '--var', 'code=1'], {
          cwd: dir,
        });
        expect(q.exitCode).toBe(0);
      }
      const before = silent.connections;
      // Sent to the drain alone (kill, a supervisor), not to its process group as a terminal's Ctrl-C is:
      // with workers, the drain passes it on.
      const p = spawnCli(['drain', '--concurrency', '2', ...workers], dir, smtpEnv(silent.port));
      await until(() => silent.connections >= before + 1);
      await new Promise((r) => setTimeout(r, 300));
      p.kill('SIGINT');
      await until(() => /finishing \d+ in flight; Ctrl-C again to abort/.test(p.stderr()));
      expect(p.stderr()).toMatch(/mailctl: drain: finishing [12] in flight; Ctrl-C again to abort\n/);
      p.kill('SIGINT');
      const { code } = await p.exited;
      expect(code).toBe(130);
    },
    40_000,
  );
});

describe('after a run where every job went dead', () => {
  it('the hint and drain --json point at --state dead', async () => {
    const dir = cwd();
    const q = await runCli(['enqueue', 'email-code-login', '--to', 'gone@example.com', '--var', 'code=1'], {
      cwd: dir,
    });
    expect(q.exitCode).toBe(0);
    const env = { ...smtpEnv(refusing.port), SMTP_GREETING_TIMEOUT: '5s', SMTP_SOCKET_TIMEOUT: '5s' };
    const r = await runCli(['drain', '--json'], { cwd: dir, env });
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as { dead: number; deferred: number; hint: string };
    expect(json).toMatchObject({ dead: 1, deferred: 0 });
    expect(json.hint).toBe("`mailctl queue list --state dead --json` shows each job's history");
    expect(r.stderr).toContain("hint: `mailctl queue list --state dead --json` shows each job's history");
    expect(r.stderr).not.toContain('--state deferred');
  });
});
