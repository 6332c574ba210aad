/**
 * `drain --watch` as an operator runs it: a job that arrives while it watches is delivered at once
 * (fs.watch on incoming/), and SIGTERM ends it cleanly with exit 0 and the summary.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

describe('drain --watch', () => {
  it('delivers jobs as they arrive and exits 0 on SIGTERM', async () => {
    const cwd = tempDir();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: tmpdir(),
      NO_COLOR: '1',
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'App <app@example.com>',
      MAILCTL_SPOOL_DIR: join(cwd, 'spool'),
    };
    const child = spawn(process.execPath, [BIN, 'drain', '--watch', '--json'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const guard = setTimeout(() => child.kill('SIGKILL'), 25_000);
    try {
      await new Promise((r) => setTimeout(r, 600)); // let it start watching an empty spool
      for (const to of ['one@example.com', 'two@example.com']) {
        const r = await runCli(['enqueue', 'change-email-completed', '--to', to, '--var', `email=${to}`], { cwd, env });
        expect(r.exitCode, r.stderr).toBe(0);
      }
      await smtp.waitForMessages(2, 10_000);
      child.kill('SIGTERM');
      const { code } = await exited;
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ delivered: 2, deferred: 0, dead: 0 });
      expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(['one@example.com', 'two@example.com']);
    } finally {
      clearTimeout(guard);
      child.kill('SIGKILL');
    }
  });
});
