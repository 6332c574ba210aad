/**
 * `queue monitor` in-process with a fake clock, against a real smtp-server: alert at the
 * threshold, silence within the cooldown, alert again after it, one recovery mail, exit 75 while
 * over and 0 otherwise.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitor } from '../../../src/commands/queue.js';
import type { CommandContext } from '../../../src/commands/shared.js';
import { purgeJobs } from '../../../src/spool/file/manage.js';
import { FileSpool } from '../../../src/spool/file/store.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { enqueue, FROM, smtpConfig } from '../../helpers/spool.js';
import { fakeClock } from '../../helpers/clock.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

function subjectOf(raw: Buffer): string {
  return /^Subject: (.*)$/m.exec(raw.toString('utf8'))?.[1]?.trim() ?? '';
}

describe('queue monitor', () => {
  it('alerts once per cooldown while over the threshold, then sends one recovery mail', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailctl-monitor-'));
    const spoolDir = join(cwd, 'spool');
    // Start at the real time: purge compares the files' real mtimes with the clock.
    const clock = fakeClock(Date.now());
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CommandContext = {
      env: { MAIL_TYPE: 'smtp', SMTP_SERVER: '127.0.0.1', SMTP_PORT: String(smtp.port), MAIL_DEFAULT_SEND_FROM: FROM },
      cwd,
      io: { out: (s) => void out.push(s), err: (s) => void err.push(s), outIsTTY: false, errIsTTY: false },
      clock,
      random: () => 0.5,
      pid: 1,
      hostname: 'test',
      signal: new AbortController().signal,
      debug: false,
      configPath: undefined,
    };
    const opts = {
      spool: spoolDir,
      threshold: '3',
      alertTo: ['ops@example.com', 'oncall@example.com'],
      cooldown: '1h',
      json: true,
    };
    const last = () =>
      JSON.parse(out[out.length - 1]!) as { backlog: number; over: boolean; action: string; sent: string[] };

    expect(await monitor(opts, ctx)).toBe(0);
    expect(last()).toMatchObject({ backlog: 0, over: false, action: 'none', sent: [] });

    const store = new FileSpool(spoolDir);
    const config = await smtpConfig(smtp.port);
    for (let i = 0; i < 3; i++)
      await enqueue(store, config, clock, { type: 'change-email-completed', vars: { email: 'x@example.com' } });

    expect(await monitor(opts, ctx)).toBe(75);
    expect(last()).toMatchObject({
      backlog: 3,
      over: true,
      action: 'alert',
      sent: ['ops@example.com', 'oncall@example.com'],
    });
    expect(smtp.messages).toHaveLength(2);
    expect(subjectOf(smtp.messages[0]!.raw)).toMatch(/^Alert/);
    const body = smtp.messages[0]!.raw.toString('utf8');
    expect(body).toContain(spoolDir);

    clock.advance(10 * 60_000);
    expect(await monitor(opts, ctx)).toBe(75); // still over, within the cooldown: no mail
    expect(last()).toMatchObject({ action: 'none', over: true });
    expect(smtp.messages).toHaveLength(2);

    clock.advance(60 * 60_000);
    expect(await monitor(opts, ctx)).toBe(75); // cooldown passed: alert again
    expect(smtp.messages).toHaveLength(4);

    purgeJobs(store, 'incoming', 0, clock.now());
    expect(await monitor(opts, ctx)).toBe(0);
    expect(last()).toMatchObject({ backlog: 0, action: 'recover', sent: ['ops@example.com', 'oncall@example.com'] });
    expect(smtp.messages).toHaveLength(6);
    expect(subjectOf(smtp.messages[5]!.raw)).toMatch(/Recovered/);

    expect(await monitor(opts, ctx)).toBe(0); // recovered once, not on every run
    expect(smtp.messages).toHaveLength(6);
    expect(err).toEqual([]);
  });
});
