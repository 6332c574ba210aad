/**
 * The spool's guarantees, with the built binary against a real smtp-server:
 * - kill -9 of a drain at random instants, over 20 rounds, loses no job: after every kill each job
 *   is either delivered (its Message-ID reached the sink) or still in the spool, and after a
 *   final clean drain every job was delivered at least once (claims of the killed drains are
 *   recovered);
 * - two drains started together on one spool never deliver a job twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { systemClock } from '../../../src/context.js';
import { enqueueJob } from '../../../src/spool/enqueue.js';
import { idOfName } from '../../../src/spool/job.js';
import { BIN, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { mulberry32 } from '../../helpers/random.js';

const FROM = 'App <app@example.com>';

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

async function fill(spool: string, port: number, n: number): Promise<Map<string, string>> {
  const { config } = await loadConfig({ cwd: tmpdir(), env: env(port, spool) });
  const jobs = new Map<string, string>(); // id → Message-ID
  for (let i = 0; i < n; i++) {
    const r = await enqueueJob(
      { type: 'change-email-completed', to: `user${i}@example.com`, vars: { email: `user${i}@example.com` } },
      { config, spoolDir: spool, defaultFrom: FROM, clock: systemClock() },
    );
    jobs.set(r.id, r.messageId);
  }
  return jobs;
}

function spawnDrain(
  port: number,
  spool: string,
  cwd: string,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [BIN, 'drain', '--json', '--concurrency', '5'], {
    cwd,
    env: env(port, spool),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      }),
  );
  return { child, done };
}

/** Every job id that has a file anywhere in the spool's state directories. */
function idsInSpool(spool: string): Set<string> {
  const ids = new Set<string>();
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else {
        const id = idOfName(e.name.slice(e.name.indexOf('~') + 1));
        if (id) ids.add(id);
      }
    }
  };
  for (const state of ['incoming', 'active', 'deferred', 'hold', 'dead', 'corrupt']) walk(join(spool, state));
  return ids;
}

function messageIds(smtp: TestSmtpServer): string[] {
  return smtp.messages.map((m) => /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(m.raw.toString('latin1'))?.[1] ?? '?');
}

/** A small seeded PRNG, so that a failing round can be replayed (the seed is in the test name). */
const servers: TestSmtpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('spool guarantees', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    servers.push(smtp);
  });

  const SEED = 20261201;
  it(`kill -9 at random instants over 20 rounds loses no job (seed ${SEED})`, async () => {
    const cwd = tempDir();
    const spool = join(cwd, 'spool');
    const jobs = await fill(spool, smtp.port, 1000);
    const random = mulberry32(SEED);
    let killedMidway = 0;

    for (let round = 1; round <= 20; round++) {
      const { child, done } = spawnDrain(smtp.port, spool, cwd);
      const delay = 80 + Math.floor(random() * 400);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      const result = await done;
      if (result.signal === 'SIGKILL') killedMidway += 1;

      const delivered = new Set(messageIds(smtp));
      const present = idsInSpool(spool);
      const lost = [...jobs].filter(([id, mid]) => !delivered.has(mid) && !present.has(id)).map(([id]) => id);
      expect(lost, `round ${round} (killed after ${delay} ms) lost jobs`).toEqual([]);
      if (present.size === 0) break;
    }
    expect(killedMidway).toBeGreaterThan(0);

    const final = await spawnDrain(smtp.port, spool, cwd).done;
    expect(final.code, final.stderr).toBe(0);
    const delivered = new Set(messageIds(smtp));
    const missing = [...jobs.values()].filter((mid) => !delivered.has(mid));
    expect(missing).toEqual([]);
    for (const state of ['incoming', 'active', 'deferred', 'dead', 'corrupt'])
      expect(idsInSpool(spool).size, state).toBe(0);
    // delivered jobs left in done/ by the killed drains are gone too: no address stays on disk
    expect(readdirSync(join(spool, 'done'))).toEqual([]);
  }, 180_000);

  it('two drains started together on one spool never deliver a job twice', async () => {
    const sink = await startSmtpServer();
    servers.push(sink);
    const cwd = tempDir();
    const spool = join(cwd, 'spool');
    const jobs = await fill(spool, sink.port, 1000);

    const [a, b] = await Promise.all([spawnDrain(sink.port, spool, cwd).done, spawnDrain(sink.port, spool, cwd).done]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const sa = JSON.parse(a.stdout) as { delivered: number };
    const sb = JSON.parse(b.stdout) as { delivered: number };
    expect(sa.delivered + sb.delivered).toBe(jobs.size);
    expect(Math.min(sa.delivered, sb.delivered), 'the two drains overlapped').toBeGreaterThan(0);

    const ids = messageIds(sink);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(jobs.values()));
    // each one-shot drain deleted what it delivered before it exited
    expect(readdirSync(join(spool, 'done'))).toEqual([]);
  }, 120_000);
});
