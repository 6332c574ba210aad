/**
 * A provider's absurd wait (issue 11, item 9): SendGrid answering 429 with `Retry-After:
 * 99999999999` used to send two code mails straight to dead (max-lifetime) on their first try.
 * Now the wait is capped at MAILCTL_BACKOFF_MAX: the jobs are deferred, no attempt burnt.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http.js';

let api: TestHttpServer;
let dir: string;
beforeAll(async () => {
  api = await startHttpServer(() => ({
    status: 429,
    headers: { 'retry-after': '99999999999' },
    body: { errors: [{ message: 'too many requests' }] },
  }));
  dir = tempDir('mailctl-retry-after-');
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});
const files = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
/** deferred/ keeps one sub-directory per minute of due time. */
const deferredJobs = (d: string): string[] =>
  files(d).flatMap((bucket) => files(join(d, bucket)).map((f) => join(d, bucket, f)));

describe('drain against SendGrid answering 429 with Retry-After: 99999999999', () => {
  it('defers the code mails (capped at MAILCTL_BACKOFF_MAX), none dead', async () => {
    const env = {
      MAIL_TYPE: 'sendgrid',
      SENDGRID_API_KEY: 'SG.retry-after-secret',
      SENDGRID_API_BASE_URL: api.url,
      MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
      MAILCTL_BACKOFF_MAX: '10m',
      MAILCTL_CONCURRENCY: '1',
    };
    for (const to of ['a@example.com', 'b@example.com']) {
      const q = await runCli(['enqueue', 'email-code-login', '--to', to, '--var', 'code=123456'], { cwd: dir, env });
      expect(q.exitCode).toBe(0);
    }
    const before = Date.now();
    const r = await runCli(['drain', '--json'], { cwd: dir, env });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dead: 0, delivered: 0 });
    expect(api.requests.length).toBeGreaterThanOrEqual(1);
    const spool = join(dir, '.mailctl/spool');
    expect(files(join(spool, 'dead'))).toEqual([]);
    expect(files(join(spool, 'active'))).toEqual([]);
    const deferred = deferredJobs(join(spool, 'deferred'));
    expect(deferred.length + files(join(spool, 'incoming')).length).toBe(2);
    expect(deferred.length).toBeGreaterThanOrEqual(1);
    for (const path of deferred) {
      const job = JSON.parse(readFileSync(path, 'utf8')) as {
        attempts: number;
        nextAttemptAt: string;
      };
      expect(job.attempts).toBe(0);
      const wait = Date.parse(job.nextAttemptAt) - before;
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(10 * 60_000 + 60_000);
    }
  });
});
