/**
 * Property tests (fast-check, fixed seed) for the job parser: whatever a file holds, parseJob
 * answers ok or corrupt and never throws; every valid job survives serialize → parse unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJob, serializeJob, type Job } from '../../../src/spool/job.js';

const RUNS = { seed: 20261206, numRuns: 300 };

const ulid = fc
  .array(fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'), { minLength: 26, maxLength: 26 })
  .map((a) => a.join(''));
const iso = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const mailType = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
const json = fc.jsonValue();

const validJob: fc.Arbitrary<Job> = fc
  .record(
    {
      id: ulid,
      type: mailType,
      to: fc.emailAddress(),
      vars: fc.dictionary(fc.string(), json),
      priority: fc.integer({ min: 0, max: 99 }),
      createdAt: iso,
      attempts: fc.nat(1000),
      nextAttemptAt: iso,
      history: fc.array(
        fc.record({ at: iso, ok: fc.boolean(), error: fc.string(), code: fc.integer({ min: 200, max: 599 }) }),
        { maxLength: 3 },
      ),
      lang: fc.constantFrom('en-US', 'zh-CN'),
      expiresAt: iso,
      messageId: fc.tuple(ulid, fc.domain()).map(([l, d]) => `<${l.toLowerCase()}@${d}>`),
    },
    { requiredKeys: ['id', 'type', 'to', 'vars', 'priority', 'createdAt', 'attempts', 'nextAttemptAt', 'history'] },
  )
  .map((r) => ({ version: 1, ...r }) as Job);

describe('parseJob (properties)', () => {
  it('never throws on any text, and a failure is a reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          json.map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const r = parseJob(text);
          if (!r.ok) expect(typeof r.reason).toBe('string');
        },
      ),
      RUNS,
    );
  });

  it('never throws on a job-shaped object with any field replaced by any JSON value', () => {
    const fields = ['version', 'id', 'type', 'to', 'vars', 'priority', 'createdAt', 'nextAttemptAt', 'expiresAt'];
    fc.assert(
      fc.property(
        validJob,
        fc.constantFrom(...fields, 'attempts', 'history', 'messageId', 'lastError'),
        json,
        (job, key, value) => {
          const r = parseJob(JSON.stringify({ ...job, [key]: value }));
          expect(typeof r.ok).toBe('boolean');
          if (r.ok) expect(r.job.version).toBe(1);
        },
      ),
      RUNS,
    );
  });

  it('round-trips every valid job: parse(serialize(job)) is the job', () => {
    fc.assert(
      fc.property(validJob, (job) => {
        const r = parseJob(serializeJob(job));
        expect(r.ok, r.ok ? '' : r.reason).toBe(true);
        if (r.ok) expect(r.job).toEqual(JSON.parse(JSON.stringify(job)));
      }),
      RUNS,
    );
  });

  it("with a drain's clock, createdAt is never in the future and the code's time-to-live is kept", () => {
    const clock = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
    fc.assert(
      fc.property(validJob, clock, (job, now) => {
        const r = parseJob(serializeJob(job), now);
        expect(r.ok, r.ok ? '' : r.reason).toBe(true);
        if (!r.ok) return;
        const written = Date.parse(job.createdAt);
        expect(Date.parse(r.job.createdAt)).toBe(Math.min(written, now));
        if (job.expiresAt !== undefined)
          expect(Date.parse(r.job.expiresAt!) - Date.parse(r.job.createdAt)).toBe(Date.parse(job.expiresAt) - written);
      }),
      RUNS,
    );
  });
});
