/**
 * `drain --workers N` with the built binary against a real smtp-server: N processes share the
 * spool as N drains do (every job delivered exactly once), the operator's concurrency stays
 * global (never more transactions open at the sink than --concurrency), and a worker killed
 * with kill -9 loses nothing: the next drain recovers what it held.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { systemClock } from '../../../src/context.js';
import { enqueueJob } from '../../../src/spool/enqueue.js';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const FROM = 'App <app@example.com>';
const servers: TestSmtpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

function env(port: number, spool: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NO_COLOR: '1',
    HOME: tmpdir(),
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    MAIL_DEFAULT_SEND_FROM: FROM,
    MAILCTL_SPOOL_DIR: spool,
  };
}

async function fill(spool: string, port: number, n: number): Promise<Set<string>> {
  const { config } = await loadConfig({ cwd: tmpdir(), env: env(port, spool) });
  const ids = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await enqueueJob(
      { type: 'change-email-completed', to: `user${i}@example.com`, vars: { email: `user${i}@example.com` } },
      { config, spoolDir: spool, defaultFrom: FROM, clock: systemClock() },
    );
    ids.add(r.messageId);
  }
  return ids;
}

const messageIds = (smtp: TestSmtpServer): string[] =>
  smtp.messages.map((m) => /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(m.raw.toString('latin1'))?.[1] ?? '?');

/** The pids of a process's children (Linux /proc), to find the workers. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('drain --workers', () => {
  it('two workers deliver every job exactly once, never more transactions at once than --concurrency', async () => {
    let open = 0;
    let most = 0;
    const smtp = await startSmtpServer({
      mail: () => {
        open += 1;
        most = Math.max(most, open);
        return undefined;
      },
      data: () => {
        open -= 1;
        return undefined;
      },
    });
    servers.push(smtp);
    const cwd = tempDir();
    const spool = join(cwd, 'spool');
    const expected = await fill(spool, smtp.port, 120);
    const r = await runCli(['drain', '--workers', '2', '--concurrency', '2', '--json'], {
      cwd,
      env: env(smtp.port, spool),
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ delivered: 120, deferred: 0, dead: 0 });
    const ids = messageIds(smtp);
    expect(ids).toHaveLength(120);
    expect(new Set(ids)).toEqual(expected);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  }, 180_000);

  it('a worker killed with kill -9 loses nothing: the parent says so (75) and the next drain recovers its jobs', async () => {
    const smtp = await startSmtpServer();
    servers.push(smtp);
    const cwd = tempDir();
    const spool = join(cwd, 'spool');
    const expected = await fill(spool, smtp.port, 600);
    const parent = spawn(process.execPath, [BIN, 'drain', '--workers', '2', '--json'], {
      cwd,
      env: env(smtp.port, spool),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    parent.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => parent.on('close', (code) => resolve(code)));
    // wait until both workers run and some mail went out, then kill one of them
    let workers: number[] = [];
    for (let i = 0; i < 600 && (workers.length < 2 || smtp.messages.length < 20); i++) {
      await new Promise((r) => setTimeout(r, 50));
      workers = childrenOf(parent.pid!);
    }
    expect(workers).toHaveLength(2);
    process.kill(workers[0]!, 'SIGKILL');
    const code = await closed;
    if (stderr.includes('was ended by SIGKILL')) {
      expect(code).toBe(75);
      expect(stderr).toMatch(/hint: the jobs it held stay in the spool; the next drain recovers them/);
    } // else the worker had finished before the signal landed: nothing to recover
    const again = await runCli(['drain', '--workers', '1', '--json'], { cwd, env: env(smtp.port, spool) });
    expect(again.exitCode).toBe(0);
    const delivered = new Set(messageIds(smtp));
    expect([...expected].filter((id) => !delivered.has(id))).toEqual([]);
  }, 180_000);
});
