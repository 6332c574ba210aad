/**
 * `queue status` counts from file names alone (it must stay cheap at a million jobs): on a spool
 * with every kind of entry, its counts are exactly those of a slow full read that opens every
 * job, and the entries that are not jobs are still counted where they are.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyStatus, type SpoolStatus } from '../../../src/spool/contract.js';
import { backlogOf, spoolStatus } from '../../../src/spool/file/manage.js';
import type { FileSpool } from '../../../src/spool/file/store.js';
import {
  idOfName,
  nameOf,
  newJobId,
  parseJob,
  parseName,
  serializeJob,
  STATES,
  timeOfId,
  type Job,
} from '../../../src/spool/job.js';
import { tempSpool } from '../../helpers/spool.js';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const TYPES = ['reset-password', 'invite-member', 'email-code-login', 'custom'];

function job(i: number): Job {
  const at = new Date(T0 + i * 1000).toISOString();
  return {
    version: 1,
    id: newJobId(T0 + i * 1000, new Uint8Array(10).fill(i % 256)),
    type: TYPES[i % TYPES.length]!,
    to: `u${i}@example.com`,
    vars: {},
    priority: 1 + (i % 9),
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
    history: [],
  };
}

/** The reference: every entry opened and parsed, one at a time, the way nobody should at scale. */
function slowStatus(store: FileSpool, now: number): SpoolStatus {
  const s = emptyStatus(true);
  let oldest: { ms: number; id: string } | undefined;
  for (const state of STATES) {
    const dirs =
      state === 'deferred'
        ? readdirSync(store.dirs.deferred).map((b) => join(store.dirs.deferred, b))
        : [store.dirs[state]];
    for (const dir of dirs) {
      for (const file of readdirSync(dir)) {
        if (file.startsWith('.')) continue;
        s[state] += 1;
        if (state === 'corrupt') continue;
        const name = state === 'active' ? (/^\d+@[A-Za-z0-9.-]*~(.+)$/.exec(file)?.[1] ?? file) : file;
        const info = parseName(name);
        let type = 'unknown';
        if (info) {
          // a canonical name says what the file says
          const parsed = parseJob(readFileSync(join(dir, file), 'utf8'));
          type = parsed.ok ? parsed.job.type : info.type;
          if (parsed.ok) expect(parsed.job.id).toBe(info.id);
        }
        const counts = (s.byType[type] ??= {});
        counts[state] = (counts[state] ?? 0) + 1;
        if (state === 'incoming' || state === 'active' || state === 'deferred') {
          const id = idOfName(name);
          const ms = (id === undefined ? undefined : timeOfId(id)) ?? statSync(join(dir, file)).mtimeMs;
          if (!oldest || ms < oldest.ms) oldest = { ms, id: id ?? name };
        }
      }
    }
  }
  s.backlog = s.incoming + s.active + s.deferred;
  if (oldest) {
    s.oldestAgeSeconds = Math.round((now - oldest.ms) / 1000);
    s.oldestId = oldest.id;
  }
  return s;
}

/** A spool with jobs of four types in every state, and every kind of entry that is not a job. */
function mixedSpool(): FileSpool {
  const store = tempSpool();
  const write = (dir: string, j: Job, as = nameOf(j)): void => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, as), serializeJob(j));
  };
  for (let i = 10; i < 250; i++) {
    const j = job(i);
    switch (i % 7) {
      case 0:
        write(store.bucketDir(T0 + 3_600_000 + (i % 3) * 60_000), j);
        break;
      case 1:
        write(store.dirs.active, j, `${4000 + i}@host-a~${nameOf(j)}`);
        break;
      case 2:
        write(store.dirs.hold, j);
        break;
      case 3:
        write(store.dirs.dead, j);
        break;
      default:
        write(store.dirs.incoming, j);
    }
  }
  // Named by a foreign producer: a ULID in another shape of name, and no ULID at all (mtime).
  write(store.dirs.incoming, job(5), `legacy-${job(5).id}.json`);
  const legacy = join(store.dirs.incoming, 'legacy.json');
  writeFileSync(legacy, '{}');
  utimesSync(legacy, new Date(T0 - 50_000), new Date(T0 - 50_000));
  write(store.dirs.active, job(6), `not-a-claim~${nameOf(job(6))}`);
  // Not jobs at all, in states a drain reads: counted where they are, read by nobody here.
  writeFileSync(join(store.dirs.incoming, nameOf(job(7))), '{ not json');
  symlinkSync('/etc/passwd', join(store.dirs.incoming, nameOf(job(8))));
  execFileSync('mkfifo', [join(store.dirs.incoming, 'fifo.json')]);
  // Set aside by drains: each counts as corrupt, with no type.
  writeFileSync(join(store.dirs.corrupt, nameOf(job(9))), '{');
  mkdirSync(join(store.dirs.corrupt, 'a-directory.json'));
  symlinkSync('/nowhere', join(store.dirs.corrupt, 'dangling.json'));
  mkdirSync(store.reasons, { recursive: true });
  writeFileSync(join(store.reasons, nameOf(job(9))), 'unparsable\n');
  // Dot names are never jobs (NFS silly-renames, editors).
  writeFileSync(join(store.dirs.incoming, '.nfs0001'), '');
  return store;
}

describe('queue status from names', () => {
  it('counts exactly what a full read of every job counts, on a spool with every kind of entry', () => {
    const store = mixedSpool();
    const now = T0 + 600_000;
    const fast = spoolStatus(store, now);
    expect(fast).toEqual(slowStatus(store, now));
    // the fixture is what it says: every state and type is there, and the odd entries are counted
    expect(fast).toMatchObject({ incoming: 108, active: 35, deferred: 34, hold: 34, dead: 35, corrupt: 3 });
    expect(fast.byType.unknown).toEqual({ incoming: 3, active: 1 });
    expect(Object.keys(fast.byType).sort()).toEqual([...TYPES, 'unknown'].sort());
    expect(fast).toMatchObject({ oldestId: 'legacy.json', oldestAgeSeconds: 650 });
  });

  it('the backlog is incoming + active + deferred, as status counts them', () => {
    const store = mixedSpool();
    const s = spoolStatus(store, T0);
    expect(backlogOf(store)).toBe(s.backlog);
    expect(s.backlog).toBe(s.incoming + s.active + s.deferred);
  });
});
