/**
 * The drain's progress events end at their total: the job that settles is no longer counted as
 * still in flight (the bar stopped at 301/302 when it was counted twice).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DrainEvent } from '../../../src/spool/file/drain.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { enqueue, harness } from '../../helpers/spool.js';

const servers: TestSmtpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('drain progress events', () => {
  it('the last settled event says done = total, and no event counts more than the jobs there are', async () => {
    const smtp = await startSmtpServer();
    servers.push(smtp);
    const h = await harness(smtp.port);
    const jobs = 7;
    for (let i = 0; i < jobs; i++) await enqueue(h.store, h.config, h.clock, { to: `u${i}@example.com` });
    const events: DrainEvent[] = [];
    const s = await h.run({ concurrency: 3, onEvent: (e) => events.push(e) });
    await h.close();
    expect(s.delivered).toBe(jobs);
    const settled = events.filter((e) => e.type === 'settled');
    expect(settled).toHaveLength(jobs);
    expect(settled.at(-1)).toMatchObject({ done: jobs, total: jobs });
    for (const e of settled) expect(e.total).toBeLessThanOrEqual(jobs);
  });
});
