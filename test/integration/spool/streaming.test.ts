/**
 * The spool read as a stream (flat memory at a million jobs): a drain's pass keeps only the
 * first names in claim order however many there are, `queue status` finds the oldest job from
 * names (canonical or not), and listing yields every job of every state.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameOf, newJobId, serializeJob, type Job } from '../../../src/spool/job.js';
import { listJobs, spoolStatus } from '../../../src/spool/file/manage.js';
import { type FileSpool } from '../../../src/spool/file/store.js';
import { tempSpool } from '../../helpers/spool.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** Writes a job straight into a directory (no enqueue: we control priority, due time and id). */
function put(store: FileSpool, i: number, over: Partial<Job> = {}, dir = store.dirs.incoming): Job {
  const at = new Date(T0 + i * 1000).toISOString();
  const job: Job = {
    version: 1,
    id: newJobId(T0 + i * 1000, new Uint8Array(10).fill(i)),
    type: i % 2 ? 'reset-password' : 'change-email-completed',
    to: `u${i}@example.com`,
    vars: {},
    priority: 5,
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
    history: [],
    ...over,
  };
  writeFileSync(join(dir, nameOf(job)), serializeJob(job));
  return job;
}

describe('the spool as a stream', () => {
  it('scan keeps the first `limit` names in claim order out of many, and skips what it is told to', () => {
    const store = tempSpool();
    const jobs = Array.from({ length: 57 }, (_, i) => put(store, i, { priority: i % 3 === 0 ? 1 : 5 }));
    const order = jobs.map(nameOf).sort();
    const all = store.scan(T0 + 3_600_000, false);
    expect(all.map((c) => c.name)).toEqual(order);
    const first = store.scan(T0 + 3_600_000, false, 10);
    expect(first.map((c) => c.name)).toEqual(order.slice(0, 10));
    // every priority-1 job comes before any priority-5 one
    expect(first.every((c) => c.name.startsWith('01-'))).toBe(true);
    const skipped = new Set(order.slice(0, 4));
    const rest = store.scan(T0 + 3_600_000, false, 10, (name) => skipped.has(name));
    expect(rest.map((c) => c.name)).toEqual(order.slice(4, 14));
  });

  it('scan leaves out jobs not due yet unless flushed', () => {
    const store = tempSpool();
    put(store, 0);
    put(store, 600); // due ten minutes after the first
    expect(store.scan(T0 + 1000, false, 10)).toHaveLength(1);
    expect(store.scan(T0 + 1000, true, 10)).toHaveLength(2);
  });

  it('status counts from names and finds the oldest pending job, canonical name or not', () => {
    const store = tempSpool();
    for (let i = 1; i <= 5; i++) put(store, i);
    const late = put(store, 9);
    store.moveInto(join(store.dirs.incoming, nameOf(late)), store.bucketDir(T0 + 3_600_000), nameOf(late));
    put(store, 0, {}, store.dirs.hold); // oldest of all, but held: not pending
    writeFileSync(join(store.dirs.corrupt, 'junk.json'), '{');
    const now = T0 + 100_000;
    let s = spoolStatus(store, now);
    expect(s).toMatchObject({ incoming: 5, deferred: 1, hold: 1, corrupt: 1, backlog: 6, oldestAgeSeconds: 99 });
    expect(s.oldestId).toBe(newJobId(T0 + 1000, new Uint8Array(10).fill(1)));
    expect(s.byType['reset-password']).toEqual({ incoming: 3, deferred: 1 });
    expect(s.byType['change-email-completed']).toEqual({ incoming: 2, hold: 1 });
    // a file a foreign producer named its own way: its age comes from its mtime
    const odd = join(store.dirs.incoming, 'legacy.json');
    writeFileSync(odd, '{}');
    utimesSync(odd, new Date(T0 - 50_000), new Date(T0 - 50_000));
    s = spoolStatus(store, now);
    expect(s).toMatchObject({ incoming: 6, oldestId: 'legacy.json', oldestAgeSeconds: 150 });
    expect(s.byType.unknown).toEqual({ incoming: 1 });
  });

  it('list yields every job of every state, one file at a time', () => {
    const store = tempSpool();
    for (let i = 0; i < 30; i++) put(store, i);
    put(store, 40, {}, store.dirs.dead);
    const listed = [...listJobs(store, ['incoming', 'dead'])];
    expect(listed).toHaveLength(31);
    // claim order (priority, due time, id), as a sorted listing gave it, whatever the directory's order
    const incoming = listed.filter((j) => j.state === 'incoming');
    expect(incoming.map((j) => j.file)).toEqual(incoming.map((j) => j.file).sort());
    expect(new Set(listed.map((j) => j.id)).size).toBe(31);
    expect(listed.filter((j) => j.state === 'dead')).toHaveLength(1);
  });
});
