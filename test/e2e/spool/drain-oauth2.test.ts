/**
 * `mailctl drain` with SMTP_AUTH_METHOD=oauth2 outliving its access token: tokens live one second,
 * the SMTP server closes idle connections after 700 ms (so the pool logs in again and again) and
 * refuses a lapsed token, and the drain is paced at 1 mail a second. (A shorter idle timeout fired
 * between 354 and the data on a loaded CI machine: the server's 421 then pauses a one-shot drain
 * for 60 s, as the README says, so the first drain is also given time for one such pause.) The token source must replace
 * the token before it lapses; every job is delivered exactly once and none is lost.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/index.js';
import { runCli } from '../../helpers/cli.js';
import { oauth2SecretForms, startOAuth2Rig, type OAuth2Rig } from '../../helpers/oauth2.js';

const MAILBOX = 'no-reply@contoso.example';
const CLIENT_SECRET = 'cs~Drain-Secret-4411';
const JOBS = 6;

const rigs: OAuth2Rig[] = [];
afterAll(async () => {
  await Promise.all(rigs.map((r) => r.close()));
});

// Several spawned CLI runs each: on a loaded shared machine they take far longer than vitest's default.
const SLOW = 180_000;

describe('drain with OAuth2', () => {
  it(
    'a drain longer than a token’s life: tokens replaced before they lapse, every job delivered once',
    async () => {
      const rig = await startOAuth2Rig({
        user: MAILBOX,
        clientSecret: CLIENT_SECRET,
        lifetimeSec: 1,
        smtp: { idleTimeoutMs: 700 },
      });
      rigs.push(rig);
      const env = { ...rig.env, MAILCTL_SPOOL_DIR: join(rig.cwd, 'spool'), SMTP_POOL_SIZE: '2' };
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++) {
        const job = await enqueue({
          type: 'reset-password',
          to: `user${i}@example.com`,
          vars: { code: `10000${i}` },
          env,
          cwd: rig.cwd,
        });
        ids.push(job.messageId);
      }
      const first = await runCli(['--debug', 'drain', '--rate', '1/s', '--concurrency', '1', '--json'], {
        cwd: rig.cwd,
        env,
        timeoutMs: 150_000,
      });
      expect(first.exitCode, first.stderr).toBe(0);
      // A connection the server closes just as the pool reuses it defers a job (transient): a second
      // pass delivers it. Either way nothing may be lost or doubled.
      const second = await runCli(['drain', '--flush', '--json'], { cwd: rig.cwd, env, timeoutMs: 60_000 });
      expect(second.exitCode, second.stderr).toBe(0);

      const delivered = rig.smtp.messages.map((m) => /^Message-ID: (.*)$/im.exec(m.raw.toString('utf8'))?.[1]?.trim());
      expect(delivered.sort()).toEqual([...ids].sort());
      const status = await runCli(['queue', 'status', '--json'], { cwd: rig.cwd, env });
      expect(JSON.parse(status.stdout)).toMatchObject({ incoming: 0, active: 0, deferred: 0, dead: 0 });

      // The drain outlived the first token, and the source replaced it before the server saw it lapse.
      expect(rig.endpoint.issued.length).toBeGreaterThanOrEqual(2);
      expect(rig.refused).toEqual([]);
      expect(rig.smtp.calls.auth).toBeGreaterThanOrEqual(2);
      for (const r of [first, second, status])
        for (const secret of [CLIENT_SECRET, ...rig.endpoint.issued])
          for (const form of oauth2SecretForms(secret, MAILBOX)) expect(r.stdout + r.stderr).not.toContain(form);
    },
    SLOW,
  );

  it(
    'queue monitor sends its alert through XOAUTH2; a refused token endpoint is named on stderr',
    async () => {
      const rig = await startOAuth2Rig({ user: MAILBOX, clientSecret: CLIENT_SECRET });
      rigs.push(rig);
      const env = { ...rig.env, MAILCTL_SPOOL_DIR: join(rig.cwd, 'spool') };
      for (let i = 0; i < 2; i++)
        await enqueue({ type: 'reset-password', to: `u${i}@example.com`, vars: { code: '123456' }, env, cwd: rig.cwd });
      const monitor = ['queue', 'monitor', '--threshold', '1', '--alert-to', 'ops@example.com'];
      const alert = await runCli(monitor, { cwd: rig.cwd, env });
      expect(alert.stdout).toMatch(/backlog 2 .* threshold 1/);
      expect(rig.smtp.messages.map((m) => [m.to, m.user])).toEqual([[['ops@example.com'], MAILBOX]]);
      expect(rig.endpoint.requests.map((r) => r.grant_type)).toEqual(['client_credentials']);

      rig.endpoint.mode = 'invalid_client';
      const refused = await runCli(monitor, {
        cwd: rig.cwd,
        env: { ...env, MAILCTL_MONITOR_COOLDOWN: '0s' },
      });
      // Over the threshold is 75 whatever happened to the mail; the alert's failure is said on stderr.
      expect(refused.exitCode).toBe(75);
      expect(refused.stdout).toMatch(/alert NOT sent/);
      expect(refused.stderr).toMatch(
        /could not mail ops@example\.com: the OAuth2 token endpoint .* refused the credentials \(invalid_client: AADSTS7000215/,
      );
      for (const r of [alert, refused])
        for (const secret of [CLIENT_SECRET, ...rig.endpoint.issued])
          for (const form of oauth2SecretForms(secret, MAILBOX)) expect(r.stdout + r.stderr).not.toContain(form);
    },
    SLOW,
  );

  it(
    'a token endpoint failing: 500 and invalid_client defer the job, with the endpoint’s words; no secret on disk',
    async () => {
      const rig = await startOAuth2Rig({ user: MAILBOX, clientSecret: CLIENT_SECRET });
      rigs.push(rig);
      const spool = join(rig.cwd, 'spool');
      const env = { ...rig.env, MAILCTL_SPOOL_DIR: spool };
      await enqueue({ type: 'reset-password', to: 'u@example.com', vars: { code: '123456' }, env, cwd: rig.cwd });

      rig.endpoint.mode = 'server_error';
      const deferred = await runCli(['drain', '--json'], { cwd: rig.cwd, env });
      expect(JSON.parse(deferred.stdout)).toMatchObject({ delivered: 0, deferred: 1, dead: 0 });

      // A refused login is the credentials' fault, not the mail's: drain defers it like a transient failure.
      rig.endpoint.mode = 'invalid_client';
      const dead = await runCli(['drain', '--flush', '--json'], { cwd: rig.cwd, env });
      expect(JSON.parse(dead.stdout)).toMatchObject({ delivered: 0, deferred: 1, dead: 0 });
      expect(dead.stderr).toMatch(/last delivery error: .*invalid_client: AADSTS7000215/);
      const list = await runCli(['queue', 'list', '--state', 'deferred', '--json'], { cwd: rig.cwd, env });
      expect(list.stdout).toMatch(/invalid_client: AADSTS7000215/);
      expect(rig.smtp.messages).toHaveLength(0);

      const onDisk = filesUnder(spool)
        .map((f) => readFileSync(f, 'latin1'))
        .join('\n');
      for (const text of [onDisk, deferred.stdout + deferred.stderr, dead.stdout + dead.stderr, list.stdout])
        for (const form of oauth2SecretForms(CLIENT_SECRET, MAILBOX)) expect(text).not.toContain(form);
    },
    SLOW,
  );
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
