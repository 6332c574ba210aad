/**
 * Unbounded waits (issue 11, item 4), through the built binary against servers that trickle: an
 * idle timeout restarts with every byte, so only a total deadline ends these. No tight timing
 * figures: each case asserts that the command ended well before the trickle would have (the
 * servers trickle for minutes), with the contract's exit code and a sentence naming the peer.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from './../helpers/cli.js';
import { startHttpServer } from '../helpers/http.js';
import { startTrickleSmtpServer } from '../helpers/smtp.js';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-deadline-');
  dirs.push(d);
  return d;
}
const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
const sendArgs = ['send', 'email-code-login', '--to', 'me@example.com', '--var', 'code=123456'];

/** The trickles below would go on for this long; every command must end far sooner. */
const TRICKLE_MS = 180_000;

const smtpEnv = (port: number, timeouts: Record<string, string>): Record<string, string> => ({
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(port),
  MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com',
  ...timeouts,
});

describe('smtp: a 250- continuation line every half second', () => {
  it('send ends with 75 and names the server, long before the trickle would end', async () => {
    const smtp = await startTrickleSmtpServer({ intervalMs: 500 });
    closers.push(smtp.close);
    const started = Date.now();
    const r = await runCli(sendArgs, {
      cwd: cwd(),
      timeoutMs: 90_000,
      env: smtpEnv(smtp.port, { SMTP_CONNECT_TIMEOUT: '1s', SMTP_GREETING_TIMEOUT: '1s', SMTP_SOCKET_TIMEOUT: '2s' }),
    });
    const took = Date.now() - started;
    expect(r.stderr).toMatch(new RegExp(`SMTP server 127\\.0\\.0\\.1:${smtp.port} did not finish the delivery within`));
    expect(r.exitCode).toBe(75);
    expect(smtp.trickled).toBeGreaterThan(2); // idle timeouts alone would never have fired
    expect(took).toBeLessThan(TRICKLE_MS / 3);
  }, 120_000);

  it('verify-config --connect: the probe waits for one reply at most SMTP_SOCKET_TIMEOUT in all (75)', async () => {
    const smtp = await startTrickleSmtpServer({ intervalMs: 500 });
    closers.push(smtp.close);
    const started = Date.now();
    const r = await runCli(['verify-config', '--connect'], {
      cwd: cwd(),
      timeoutMs: 90_000,
      env: smtpEnv(smtp.port, { SMTP_SOCKET_TIMEOUT: '2s' }),
    });
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${smtp.port} did not answer EHLO`));
    expect(r.exitCode).toBe(75);
    expect(smtp.received.some((l) => /^MAIL FROM/i.test(l))).toBe(false);
    expect(Date.now() - started).toBeLessThan(TRICKLE_MS / 3);
  }, 120_000);

  it('drain + SIGTERM during the stuck delivery: exits 0, the job back in the spool, nothing in active/', async () => {
    const smtp = await startTrickleSmtpServer({ intervalMs: 500 });
    closers.push(smtp.close);
    const dir = cwd();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      NO_COLOR: '1',
      // Long enough that only SIGTERM ends this delivery.
      ...smtpEnv(smtp.port, { SMTP_CONNECT_TIMEOUT: '30s', SMTP_GREETING_TIMEOUT: '30s', SMTP_SOCKET_TIMEOUT: '30s' }),
    };
    const q = await runCli(['enqueue', ...sendArgs.slice(1)], { cwd: dir, env });
    expect(q.exitCode).toBe(0);
    const child = spawn(process.execPath, [BIN, 'drain', '--json'], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
    await smtp.trickling;
    expect(files(join(dir, '.mailctl/spool/active'))).toHaveLength(1);
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    clearTimeout(kill);
    const took = Date.now() - signalled;
    expect(stderr).not.toMatch(/internal error/);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ delivered: 0, released: 1 });
    expect(files(join(dir, '.mailctl/spool/active'))).toEqual([]);
    expect(files(join(dir, '.mailctl/spool/incoming'))).toHaveLength(1);
    expect(took).toBeLessThan(60_000); // the SMTP deadline here is minutes away
  }, 120_000);
});

describe('http: a body trickled one byte every half second', () => {
  const providers = {
    sendgrid: (url: string) => ({
      MAIL_TYPE: 'sendgrid',
      SENDGRID_API_KEY: 'SG.deadline-secret',
      SENDGRID_API_BASE_URL: url,
      SENDGRID_TIMEOUT: '3s',
    }),
    resend: (url: string) => ({
      MAIL_TYPE: 'resend',
      RESEND_API_KEY: 're_deadline_secret',
      RESEND_API_URL: url,
      RESEND_TIMEOUT: '3s',
    }),
  };
  it.each(Object.keys(providers) as (keyof typeof providers)[])(
    '%s: send ends with 75 naming the API host, long before the body would end',
    async (provider) => {
      const body = JSON.stringify({ id: 'x'.repeat(TRICKLE_MS / 500) });
      const api = await startHttpServer(() => ({
        status: provider === 'sendgrid' ? 202 : 200,
        headers: { 'content-type': 'application/json' },
        body,
        trickle: { intervalMs: 500 },
      }));
      closers.push(api.close);
      const started = Date.now();
      const r = await runCli(sendArgs, {
        cwd: cwd(),
        timeoutMs: 90_000,
        env: { ...providers[provider](api.url), MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com' },
      });
      const took = Date.now() - started;
      expect(r.stderr).toMatch(new RegExp(`API at 127\\.0\\.0\\.1:${api.port} did not finish the delivery within 3 s`));
      expect(r.exitCode).toBe(75);
      expect(took).toBeLessThan(TRICKLE_MS / 3);
    },
    120_000,
  );

  it('verify-config --connect (sendgrid): the probe has a total deadline too (75)', async () => {
    const api = await startHttpServer(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['mail.send'], pad: 'x'.repeat(TRICKLE_MS / 500) }),
      trickle: { intervalMs: 500 },
    }));
    closers.push(api.close);
    const started = Date.now();
    const r = await runCli(['verify-config', '--connect'], {
      cwd: cwd(),
      timeoutMs: 90_000,
      env: { ...providers.sendgrid(api.url), MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com' },
    });
    expect(r.exitCode).toBe(75);
    expect(r.stdout + r.stderr).toMatch(/did not answer within 3000 ms/);
    expect(Date.now() - started).toBeLessThan(TRICKLE_MS / 3);
  }, 120_000);
});
