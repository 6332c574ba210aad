/**
 * A real redis-server (Debian's package) for the Redis spool tests: 127.0.0.1, a free port, its
 * own temp directory, append-only file on (the persistence the spool's guarantees assume), no
 * RDB snapshots. Stopped by PID; `kill9()` and `restart()` let tests lose and regain Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  port: number;
  dir: string;
  url: string;
  /** `url` with short lock and stalled intervals, so that a killed drainer's jobs come back fast. */
  fastUrl: string;
  pid(): number | undefined;
  kill9(): Promise<void>;
  restart(): Promise<void>;
  /** One redis-cli command, its stdout. */
  cli(...args: string[]): string;
  flush(): void;
  stop(): Promise<void>;
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mailctl-redis-'));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 10_000);
  };
  await launch();
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
  const url = `redis://127.0.0.1:${port}/0`;
  return {
    port,
    dir,
    url,
    fastUrl: `${url}?lock=1500ms&stalled=500ms&timeout=3s`,
    pid: () => child?.pid,
    async kill9() {
      if (!child) return;
      const c = child;
      c.kill('SIGKILL');
      await exited(c);
      child = undefined;
    },
    async restart() {
      await launch();
    },
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout,
    flush() {
      spawnSync('redis-cli', ['-p', String(port), 'FLUSHALL'], { encoding: 'utf8' });
    },
    async stop() {
      if (!child) return;
      const c = child;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await exited(c);
      clearTimeout(timer);
      child = undefined;
    },
  };
}
