/**
 * A Python producer on the Redis spool (README: Running on several hosts): the job dict built by Python's
 * standard library (the "Spool format" producer without its file writing), added to BullMQ with
 * the documented options (as BullMQ's Python package does; PyPI is not reachable here, so the add
 * goes through BullMQ's Node client), is listed by `queue list` and delivered by `drain` with its
 * own Message-ID; adding it twice queues it once.
 */
import { spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const MAKE_JOB = `
import json, secrets, sys, time
from datetime import datetime, timedelta, timezone

B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

def ulid() -> str:
    n = (int(time.time() * 1000) << 80) | int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(B32[(n >> (5 * i)) & 31] for i in reversed(range(26)))

def make_job(type_, to, vars_, lang="en-US", priority=5, ttl=None, domain="example.com"):
    job_id, now = ulid(), datetime.now(timezone.utc)
    job = {"version": 1, "id": job_id, "type": type_, "to": to, "lang": lang, "vars": vars_,
           "priority": priority, "createdAt": now.isoformat(), "nextAttemptAt": now.isoformat(),
           "attempts": 0, "history": [], "messageId": f"<{job_id.lower()}@{domain}>"}
    if ttl:
        job["expiresAt"] = (now + timedelta(seconds=ttl)).isoformat()
    return job

print(json.dumps(make_job("reset-password", sys.argv[1], {"code": "123456"}, priority=1, ttl=300)))
`;

const python = spawnSync('python3', ['--version']).status === 0;
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

describe.runIf(python)('a Python producer on the Redis spool', () => {
  it('is listed and delivered with its Message-ID; a second add of the same id is ignored', async () => {
    const py = spawnSync('python3', ['-c', MAKE_JOB, 'py@example.com'], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const job = JSON.parse(py.stdout) as { id: string; type: string; priority: number; messageId: string };
    const q = new Queue('mailctl', { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      for (let i = 0; i < 2; i++)
        await q.add(job.type, job, {
          jobId: job.id,
          priority: job.priority + 1,
          removeOnComplete: true,
          removeOnFail: false,
        });
    } finally {
      await q.close();
    }
    const env = {
      MAILCTL_SPOOL_URL: redis.url,
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_DEFAULT_SEND_FROM: 'App <app@example.com>',
    };
    const list = await runCli(['queue', 'list', '--json'], { env });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ).toEqual([
      expect.objectContaining({
        id: job.id,
        state: 'incoming',
        type: 'reset-password',
        priority: 1,
        to: 'py@example.com',
        messageId: job.messageId,
      }),
    ]);
    const drain = await runCli(['drain', '--json'], { env });
    expect(drain.exitCode, drain.stderr).toBe(0);
    expect(JSON.parse(drain.stdout)).toMatchObject({ delivered: 1, dead: 0, corrupt: 0 });
    expect(smtp.messages).toHaveLength(1);
    expect(/^Message-ID:\s*(<[^>\r\n]+>)/im.exec(smtp.messages[0]!.raw.toString('latin1'))?.[1]).toBe(job.messageId);
  });
});
