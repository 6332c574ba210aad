/**
 * A full disk never cuts a job short (issue #11, item 1), with the built binary on a real 2 MB
 * tmpfs: three `custom` jobs with 20 KB bodies, drained against a server that answers 451 at
 * RCPT while the disk has one page left. Before the fix the rewritten jobs were renamed over
 * their only copy cut to 20,480 and 8,192 bytes; now every job still parses after the drain,
 * the drain says they were deferred, and the exit is 75 with one sentence. Enqueue into the full
 * disk exits 75 and leaves no temp file.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJob } from '../../../src/spool/job.js';
import { runCli } from '../../helpers/cli.js';
import { fillDisk, mountTmpfs, type Tmpfs } from '../../helpers/fs-faults.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const mount = mountTmpfs('2m');
const skip = typeof mount === 'string' ? mount : undefined;
if (skip) console.warn(`SKIPPED disk-full tests: ${skip}`);

/** Every file under `dir`, recursively, with its path. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe.skipIf(skip !== undefined)('a full disk (real tmpfs)', () => {
  const fs = mount as Tmpfs;
  let smtp: TestSmtpServer;
  const spool = (): string => join(fs.dir, 'spool');
  const env = (): Record<string, string> => ({
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    MAIL_DEFAULT_SEND_FROM: 'App <app@example.com>',
    MAILCTL_SPOOL_DIR: spool(),
  });

  beforeAll(async () => {
    smtp = await startSmtpServer({ rcpt: { code: 451, message: '4.7.1 Greylisted, try again later' } });
  });
  afterAll(async () => {
    await smtp?.close();
    fs.unmount();
  });

  it('drain keeps every job whole when the rewrite does not fit, says deferred, and exits 75', async () => {
    const body = 'x'.repeat(20 * 1024);
    for (let i = 0; i < 3; i++) {
      const r = await runCli(
        ['enqueue', 'custom', '--to', `user${i}@example.com`, '--var', `subject=Report ${i}`, '--var', `body=${body}`],
        { env: env() },
      );
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
    const filler = fillDisk(fs.dir, 8192);
    try {
      const r = await runCli(['drain'], { env: env() });
      expect(r.stdout).toMatch(/^drain: 0 delivered, 3 deferred, 0 dead, 0 corrupt/);
      expect(r.stderr).toContain('451');
      expect(r.stderr).toMatch(
        /mailctl: cannot write the spool .*: the disk is full \(ENOSPC\); \d job\(s\) were kept unchanged/,
      );
      expect(r.stderr).toMatch(/\nhint: free space/);
      expect(r.stderr).not.toMatch(/internal error|bug/);
      expect(r.exitCode).toBe(75);

      const jobs = filesUnder(spool()).filter((p) => p.endsWith('.json'));
      expect(jobs).toHaveLength(3);
      for (const path of jobs) {
        expect(path).toContain('/deferred/');
        const parsed = parseJob(readFileSync(path, 'utf8'));
        expect(parsed.ok, `${path} parses`).toBe(true);
        if (parsed.ok) expect(String(parsed.job.vars.body)).toHaveLength(20 * 1024);
      }
      expect(readdirSync(join(spool(), 'tmp'))).toEqual([]);
    } finally {
      rmSync(filler);
    }
    // With space again, the next drain records its attempts as usual.
    const again = await runCli(['drain', '--flush'], { env: env() });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/3 deferred/);
    for (const path of filesUnder(spool()).filter((p) => p.endsWith('.json'))) {
      const parsed = parseJob(readFileSync(path, 'utf8'));
      expect(parsed.ok && parsed.job.attempts).toBeGreaterThanOrEqual(1);
    }
  });

  it('enqueue into a full disk exits 75 with one sentence and leaves no temp file', async () => {
    const filler = fillDisk(fs.dir);
    try {
      const before = filesUnder(spool()).length;
      const r = await runCli(
        [
          'enqueue',
          'custom',
          '--to',
          'late@example.com',
          '--var',
          'subject=Late',
          '--var',
          `body=${'y'.repeat(20_000)}`,
        ],
        { env: env() },
      );
      expect(r.exitCode).toBe(75);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^mailctl: cannot write the spool .*: the disk is full \(ENOSPC\)\nhint: /);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(readdirSync(join(spool(), 'tmp'))).toEqual([]);
      expect(filesUnder(spool())).toHaveLength(before);
    } finally {
      rmSync(filler);
    }
  });

  it('send through the file provider into a full outbox exits 75 and leaves no partial .eml', async () => {
    const outbox = join(fs.dir, 'outbox');
    const filler = fillDisk(fs.dir, 4096);
    try {
      const r = await runCli(
        ['send', 'custom', '--to', 'a@example.com', '--var', 'subject=Hi', '--var', `body=${'z'.repeat(30_000)}`],
        { env: { MAILCTL_OUTBOX_DIR: outbox } },
      );
      expect(r.exitCode).toBe(75);
      expect(r.stderr).toMatch(
        /^mailctl: cannot write the outbox .*outbox: the disk is full \(ENOSPC\)\nhint: free space/,
      );
      expect(readdirSync(outbox)).toEqual([]);
    } finally {
      rmSync(filler);
    }
  });
});
