/** The job format: what parses, what is corrupt, and what the file name carries. */
import { describe, expect, it } from 'vitest';
import {
  idOfName,
  messageIdOf,
  nameOf,
  newJobId,
  parseJob,
  parseName,
  serializeJob,
  timeOfId,
  type Job,
} from '../../../src/spool/job.js';

const ID = '01M8SQA09K5QTC2DWAGVXH798N';
const base = {
  version: 1,
  id: ID,
  type: 'reset-password',
  to: 'a@example.com',
  vars: { code: '1' },
  priority: 1,
  createdAt: '2026-12-01T21:00:00.000Z',
};

describe('parseJob', () => {
  it('fills the defaults a minimal producer may leave out', () => {
    const r = parseJob(
      JSON.stringify({ version: 1, id: ID, type: 'custom', to: 'a@example.com', createdAt: '2026-12-01T21:00:00Z' }),
    );
    expect(r).toEqual({
      ok: true,
      job: {
        version: 1,
        id: ID,
        type: 'custom',
        to: 'a@example.com',
        vars: {},
        priority: 5,
        createdAt: '2026-12-01T21:00:00.000Z',
        attempts: 0,
        nextAttemptAt: '2026-12-01T21:00:00.000Z',
        history: [],
      },
    });
  });

  it('accepts Python isoformat() times (microseconds, +00:00)', () => {
    const r = parseJob(
      JSON.stringify({
        ...base,
        createdAt: '2026-12-01T21:00:00.123456+00:00',
        expiresAt: '2026-12-01T21:05:00.5+00:00',
      }),
    );
    expect(r.ok && r.job.createdAt).toBe('2026-12-01T21:00:00.123Z');
    expect(r.ok && r.job.expiresAt).toBe('2026-12-01T21:05:00.500Z');
  });

  it('round-trips through serializeJob', () => {
    const job = (
      parseJob(JSON.stringify({ ...base, messageId: '<x@example.com>', lang: 'zh-CN', from: 'A <a@b.c>' })) as {
        job: Job;
      }
    ).job;
    expect(parseJob(serializeJob(job))).toEqual({ ok: true, job });
  });

  it.each([
    ['not JSON', '{"version":1,', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['another version', JSON.stringify({ ...base, version: 2 }), /version 2/],
    ['a uuid id', JSON.stringify({ ...base, id: 'a1b2c3d4-0000-0000-0000-000000000000' }), /ULID/],
    ['a type that could escape a path', JSON.stringify({ ...base, type: '../x' }), /type/],
    ['no recipient', JSON.stringify({ ...base, to: '' }), /to must/],
    ['a bad time', JSON.stringify({ ...base, createdAt: 'yesterday' }), /createdAt/],
    ['priority 100', JSON.stringify({ ...base, priority: 100 }), /priority/],
    ['vars as a list', JSON.stringify({ ...base, vars: [] }), /vars/],
    ['a bad Message-ID', JSON.stringify({ ...base, messageId: 'x\r\nBcc: evil@example.com' }), /messageId/],
  ])('%s is corrupt', (_n, text, reason) => {
    const r = parseJob(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});

describe('file names', () => {
  it('encode priority, due time, id and type, and sort in claim order', () => {
    const a = nameOf({ priority: 1, nextAttemptAt: '2026-12-01T21:00:05.000Z', id: ID, type: 'reset-password' });
    expect(a).toBe(`01-${Date.parse('2026-12-01T21:00:05.000Z')}-${ID}-reset-password.json`);
    expect(parseName(a)).toEqual({
      priority: 1,
      dueMs: Date.parse('2026-12-01T21:00:05.000Z'),
      id: ID,
      type: 'reset-password',
    });
    const later = nameOf({ priority: 1, nextAttemptAt: '2026-12-01T21:00:06.000Z', id: ID, type: 'a' });
    const bulk = nameOf({ priority: 5, nextAttemptAt: '2026-12-01T20:00:00.000Z', id: ID, type: 'a' });
    expect([bulk, later, a].sort()).toEqual([a, later, bulk]);
  });
  it('idOfName reads canonical and claimed names', () => {
    expect(idOfName(`01-0000000000000-${ID}-x.json`)).toBe(ID);
    expect(idOfName(`job-${ID}.json`)).toBe(ID);
    expect(idOfName('whatever.json')).toBeUndefined();
  });
});

describe('ids', () => {
  it('are ULIDs that carry their creation time and sort by it', () => {
    const bytes = new Uint8Array(10).fill(255);
    const a = newJobId(1_796_158_800_123, bytes);
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOfId(a)).toBe(1_796_158_800_123);
    expect(newJobId(1_796_158_800_124, new Uint8Array(10)) > a).toBe(true);
  });
  it('differ for the same millisecond with different randomness', () => {
    expect(newJobId(5, new Uint8Array(10).fill(1))).not.toBe(newJobId(5, new Uint8Array(10).fill(2)));
  });
  it('derive a stable Message-ID when a producer gave none', () => {
    expect(messageIdOf({ id: ID }, 'example.com')).toBe(`<${ID.toLowerCase()}@example.com>`);
    expect(messageIdOf({ id: ID, messageId: '<fixed@x.y>' }, 'example.com')).toBe('<fixed@x.y>');
  });
});
