/**
 * Issue #11, item 9, through the built binary: a job file is written by whoever can write the
 * spool (an application in any language), so its fields are input, not trusted text.
 * - `queue list` and `queue show` print control characters from a job (an escape sequence in
 *   `to` that recolours or retitles the terminal) as visible `\xNN`, never raw.
 * - A createdAt in the future is read as "now" by a drain: before, such a job never reached
 *   MAILCTL_MAX_LIFETIME (here 1 s: the job goes to dead once the first attempt fails).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

let smtp: TestSmtpServer;
const dirs: string[] = [];
beforeAll(async () => {
  smtp = await startSmtpServer({ rcpt: { code: 451, message: '4.7.1 try again later' } });
});
afterAll(async () => {
  await smtp.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A spool with one queued reset-password job, rewritten by `edit` as another writer would. */
async function spoolWithJob(edit: (job: Record<string, unknown>) => void) {
  const cwd = tempDir('mailctl-fields-');
  dirs.push(cwd);
  const env = {
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: smtp.host,
    SMTP_PORT: String(smtp.port),
    MAIL_DEFAULT_SEND_FROM: 'noreply@example.com',
  };
  const queued = await runCli(['enqueue', 'reset-password', '--to', 'u@example.com', '--var', 'code=123456'], {
    cwd,
    env,
  });
  expect(queued.exitCode).toBe(0);
  const incoming = join(cwd, '.mailctl', 'spool', 'incoming');
  const file = join(incoming, readdirSync(incoming)[0]!);
  const job = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(job);
  writeFileSync(file, JSON.stringify(job));
  return { cwd, env, id: job.id as string };
}

describe('job fields from another writer', () => {
  it('queue list and queue show escape control characters instead of sending them to the terminal', async () => {
    const { cwd, env, id } = await spoolWithJob((job) => {
      job.to = 'u\x1b[2J\x1b]0;pwned\x07@example.com';
      job.lastError = { at: new Date().toISOString(), message: 'boom\x1b[31m\r\nforged line', kind: 'transient' };
    });
    const list = await runCli(['queue', 'list'], { cwd, env });
    expect(list.exitCode).toBe(0);
    expect(list.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(list.stdout).toContain('u\\x1b[2J\\x1b]0;pwned\\x07@example.com');
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(1);

    const show = await runCli(['queue', 'show', id], { cwd, env });
    expect(show.exitCode).toBe(0);
    expect(show.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(show.stdout).toContain('boom\\x1b[31m\\x0d\\x0aforged line');
    // --json keeps the data exact (JSON escapes it anyway)
    const json = await runCli(['queue', 'list', '--json'], { cwd, env });
    expect((JSON.parse(json.stdout) as { to: string }).to).toBe('u\x1b[2J\x1b]0;pwned\x07@example.com');
  });

  it('a createdAt in the future is treated as now: the job still reaches MAILCTL_MAX_LIFETIME', async () => {
    const { cwd, env } = await spoolWithJob((job) => {
      job.createdAt = '2099-01-01T00:00:00.000Z';
      delete job.nextAttemptAt;
      delete job.expiresAt;
    });
    const drain = await runCli(['drain', '--json'], { cwd, env: { ...env, MAILCTL_MAX_LIFETIME: '1s' } });
    expect(drain.stderr).not.toContain('internal error');
    expect(JSON.parse(drain.stdout)).toMatchObject({ delivered: 0, dead: 1 });
    const list = await runCli(['queue', 'list', '--json'], { cwd, env });
    const job = JSON.parse(list.stdout) as { state: string; createdAt: string };
    expect(job.state).toBe('dead');
    expect(Date.parse(job.createdAt)).toBeLessThanOrEqual(Date.now());
  });
});
