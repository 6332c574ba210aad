/**
 * `drain --watch` on the Redis spool: a job enqueued while it runs (from another process) is
 * delivered without a restart, and SIGTERM stops it cleanly (exit 0, the summary on stdout).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

let redis: TestRedis;
let smtp: TestSmtpServer;
beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
  await redis?.stop();
});

describe('drain --watch on Redis', () => {
  it('delivers jobs queued while it runs and stops on SIGTERM with exit 0', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: tempDir(),
      NO_COLOR: '1',
      MAILCTL_SPOOL_URL: redis.fastUrl,
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'App <app@example.com>',
    };
    const child = spawn(process.execPath, [BIN, 'drain', '--watch', '--json'], {
      cwd: tempDir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      for (let i = 0; i < 3; i++) {
        const r = await runCli(
          ['enqueue', 'change-email-completed', '--to', `w${i}@example.com`, '--var', `email=w${i}@example.com`],
          { env },
        );
        expect(r.exitCode, r.stderr).toBe(0);
      }
      await smtp.waitForMessages(3, 30_000);
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ delivered: 3, dead: 0 });
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  }, 90_000);
});
