/**
 * Issue #11 item 9, the spool's and the outbox's part, through the built binary: a job created
 * "in the future" keeps its time-to-live from now (its expiresAt moves with its createdAt; see
 * job-fields.test.ts for the lifetime), and the outbox is created 0700 even under umask 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJob } from '../../../src/spool/job.js';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const ID = '01JDQ3V4Z5X6Y7W8V9T0S1R2Q3';

function writeJob(spool: string, fields: Record<string, unknown>): string {
  const job = {
    version: 1,
    id: ID,
    type: 'custom',
    to: 'a@example.com',
    vars: { subject: 'Hi', body: 'ok' },
    priority: 5,
    createdAt: '2026-12-01T21:00:00.000Z',
    attempts: 0,
    nextAttemptAt: '2026-12-01T21:00:00.000Z',
    history: [],
    ...fields,
  };
  const path = join(spool, 'incoming', `05-0000000000000-${ID}-custom.json`);
  writeFileSync(path, JSON.stringify(job));
  return path;
}

describe('a job created in the future', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer({ rcpt: { code: 451, message: '4.7.1 try again later' } });
  });
  afterAll(async () => smtp?.close());

  it('counts its time-to-live from now: expiresAt - createdAt stays 5 minutes', async () => {
    const cwd = tempDir('mailctl-future-');
    const env = {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'App <app@example.com>',
    };
    const spool = join(cwd, '.mailctl/spool');
    mkdirSync(join(spool, 'incoming'), { recursive: true });
    writeJob(spool, { createdAt: '2099-01-01T00:00:00.000Z', expiresAt: '2099-01-01T00:05:00.000Z' });
    const before = Date.now();
    const r = await runCli(['drain'], { cwd, env });
    const after = Date.now();
    expect(r.stdout).toMatch(/0 delivered, 1 deferred/);
    const deferred = readdirSync(join(spool, 'deferred'), { recursive: true }).filter((f) =>
      String(f).endsWith('.json'),
    );
    expect(deferred).toHaveLength(1);
    const parsed = parseJob(readFileSync(join(spool, 'deferred', String(deferred[0])), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.reason);
    const created = Date.parse(parsed.job.createdAt);
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(after);
    expect(Date.parse(parsed.job.expiresAt!) - created).toBe(5 * 60_000);
  });
});

describe('the outbox under umask 0', () => {
  it('is created 0700 (and its missing parents), the .eml 0600', () => {
    const cwd = tempDir('mailctl-umask-');
    const r = spawnSync(
      'sh',
      [
        '-c',
        `umask 0 && exec "${process.execPath}" "${BIN}" send custom --to a@example.com --var subject=S --var body=b`,
      ],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', MAILCTL_OUTBOX_DIR: 'mail/out' } },
    );
    expect(r.status).toBe(0);
    for (const dir of ['mail', 'mail/out']) expect(statSync(join(cwd, dir)).mode & 0o777).toBe(0o700);
    const [eml] = readdirSync(join(cwd, 'mail/out'));
    expect(statSync(join(cwd, 'mail/out', eml!)).mode & 0o777).toBe(0o600);
  });
});
