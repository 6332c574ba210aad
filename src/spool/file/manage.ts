/**
 * Queue management, after postqueue and postsuper: status (from file names only, so it stays
 * cheap at a million jobs), list, retry, hold, release, purge. Every move is a rename; a job whose
 * content changes (retry) is claimed first, exactly as drain claims it, so a concurrent drain can
 * never see two copies.
 */
import { lstatSync, rmSync, statSync } from 'node:fs';
import { DataError, TemporaryError } from '../../errors.js';
import {
  idOfName,
  NameTally,
  olderName,
  parseJob,
  parseName,
  STATES,
  timeOfId,
  ulidOfName,
  type JobState,
} from '../job.js';
import type { Claimer, ListedJob, ReleaseResult, ShownJob, SpoolStatus } from '../contract.js';
import { emptyStatus, listedOf } from '../contract.js';
import { nameOfClaimed, namesIn, type Entry, type EntryRead, type FileSpool } from './store.js';

const PENDING: readonly JobState[] = ['incoming', 'active', 'deferred'];

/** When a job without a canonical name was created: its ULID's time, else the file's mtime. */
function createdAtOf(name: string, path: string): number | undefined {
  const id = idOfName(name);
  const t = id ? timeOfId(id) : undefined;
  if (t !== undefined) return t;
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** A file name in a state directory that is not a job (`corrupt/.reasons`, editor droppings). */
const isDotName = (file: string): boolean => file.charCodeAt(0) === 46;

/**
 * Counts from file names only, reading each directory as a stream: at a million jobs it holds
 * one name at a time, not the listing, and builds nothing per name but the counts (no Entry,
 * no path, no parsed name: a third of the time at a million jobs went to those). The oldest
 * pending job is the smallest ULID (its first ten characters are the creation time in an
 * alphabet that sorts like the numbers), so only names that are not canonical cost a clock
 * conversion or a stat.
 */
export function spoolStatus(store: FileSpool, now: number): SpoolStatus {
  const status = emptyStatus(store.exists());
  let oldestName: string | undefined;
  let oldestOther = Number.POSITIVE_INFINITY;
  let oldestOtherId: string | undefined;
  for (const state of STATES) {
    const pending = PENDING.includes(state);
    const tally = new NameTally();
    let unknown = 0;
    for (const dir of store.dirsOf(state)) {
      for (const file of namesIn(dir)) {
        if (isDotName(file)) continue;
        status[state] += 1;
        if (state === 'corrupt') continue;
        const name = state === 'active' ? nameOfClaimed(file) : file;
        if (tally.add(name) !== undefined) {
          if (pending && (oldestName === undefined || olderName(name, oldestName))) oldestName = name;
          continue;
        }
        unknown += 1;
        if (!pending) continue;
        const created = createdAtOf(name, `${dir}/${file}`);
        if (created !== undefined && created < oldestOther) {
          oldestOther = created;
          oldestOtherId = idOfName(name) ?? name;
        }
      }
    }
    const counts = tally.counts();
    if (unknown > 0) counts.push(['unknown', unknown]);
    for (const [type, n] of counts) (status.byType[type] ??= {})[state] = n;
  }
  status.backlog = status.incoming + status.active + status.deferred;
  const oldestUlid = oldestName !== undefined ? ulidOfName(oldestName) : undefined;
  const ulidTime = oldestUlid !== undefined ? timeOfId(oldestUlid) : undefined;
  const oldest = ulidTime !== undefined && ulidTime <= oldestOther ? ulidTime : oldestOther;
  if (Number.isFinite(oldest)) {
    status.oldestAgeSeconds = Math.max(0, Math.round((now - oldest) / 1000));
    status.oldestId = oldest === ulidTime ? oldestUlid! : oldestOtherId!;
  }
  return status;
}

/** The backlog only (incoming + active + deferred), for the monitor. */
export function backlogOf(store: FileSpool): number {
  let n = 0;
  for (const state of PENDING)
    for (const dir of store.dirsOf(state)) for (const file of namesIn(dir)) if (!isDotName(file)) n += 1;
  return n;
}

/** Streams: one job file is read at a time, so memory stays flat however many are listed. */
export function* listJobs(store: FileSpool, states: readonly JobState[]): Generator<ListedJob> {
  for (const state of states) {
    for (const entry of store.stream(state)) {
      const base: ListedJob = { id: idOfName(entry.name) ?? entry.name, state, file: entry.path };
      if (state === 'active') base.claimedBy = entry.file.slice(0, entry.file.indexOf('~'));
      let read: EntryRead;
      try {
        read = store.readEntry(entry.path); // never follows a link, never blocks on a FIFO
      } catch {
        continue; // moved on while we listed
      }
      const parsed = read.ok ? parseJob(read.text) : read;
      const noted = state === 'corrupt' ? store.reasonOf(entry.file) : undefined;
      if (!parsed.ok) {
        yield { ...base, problem: noted ?? parsed.reason };
        continue;
      }
      const out = listedOf({ ...base, id: parsed.job.id }, parsed.job);
      if (noted) out.problem = noted;
      yield out;
    }
  }
}

function mustFind(store: FileSpool, id: string): Entry {
  const entry = store.find(id);
  if (!entry)
    throw new DataError(
      `no job ${JSON.stringify(id)} in the spool at ${store.root}`,
      { hint: 'run `mailctl queue list` to see the job ids' },
      'data.job',
    );
  return entry;
}

function busy(id: string, entry: Entry): TemporaryError {
  return new TemporaryError(
    `job ${id} is being delivered right now (claimed by ${entry.file.slice(0, entry.file.indexOf('~'))})`,
    { hint: 'try again when the drain has settled it' },
  );
}

/** postsuper -h: incoming or deferred → hold. */
export function holdJob(store: FileSpool, id: string): { id: string; from: JobState; changed: boolean } {
  for (let tries = 0; tries < 3; tries++) {
    const entry = mustFind(store, id);
    if (entry.state === 'hold') return { id, from: 'hold', changed: false };
    if (entry.state === 'active') throw busy(id, entry);
    if (entry.state === 'dead' || entry.state === 'corrupt') {
      throw new DataError(`job ${id} is ${entry.state}; only incoming or deferred jobs can be held`, {
        hint: entry.state === 'dead' ? 'use `mailctl queue retry ID` to deliver it again' : undefined,
      });
    }
    try {
      store.moveInto(entry.path, store.dirs.hold, entry.name);
      return { id, from: entry.state, changed: true };
    } catch {
      // a drain claimed it between find and rename: look again
    }
  }
  throw new TemporaryError(`job ${id} keeps moving; try again`);
}

/**
 * postsuper -H: hold → incoming (or deferred, when its next attempt is still ahead). A job that is
 * not on hold is left as it is (`changed: false`), as holding a held job is.
 */
export function releaseJob(store: FileSpool, id: string, now: number): ReleaseResult {
  const entry = mustFind(store, id);
  if (entry.state !== 'hold') return { id, to: entry.state, changed: false };
  const due = parseName(entry.name)?.dueMs ?? 0;
  if (due > now) {
    store.moveInto(entry.path, store.bucketDir(due), entry.name);
    return { id, to: 'deferred', changed: true };
  }
  store.moveInto(entry.path, store.dirs.incoming, entry.name);
  return { id, to: 'incoming', changed: true };
}

export function showJob(store: FileSpool, id: string): ShownJob {
  const entry = mustFind(store, id);
  const shown: ShownJob = { id: idOfName(entry.name) ?? entry.name, state: entry.state, location: entry.path };
  if (entry.state === 'active') shown.claimedBy = entry.file.slice(0, entry.file.indexOf('~'));
  const read = store.readEntry(entry.path); // never follows a link, never blocks on a FIFO
  const parsed = read.ok ? parseJob(read.text) : read;
  if (parsed.ok) shown.job = parsed.job;
  const noted = entry.state === 'corrupt' ? store.reasonOf(entry.file) : undefined;
  if (!parsed.ok || noted) shown.problem = noted ?? (parsed.ok ? undefined : parsed.reason);
  return shown;
}

/** Deletes a spool entry; in corrupt/ it may be a directory, and its noted reason goes with it. */
function removeEntry(store: FileSpool, entry: Entry): void {
  rmSync(entry.path, { recursive: entry.state === 'corrupt' });
  if (entry.state === 'corrupt') rmSync(`${store.reasons}/${entry.file}`, { force: true });
}

/** postsuper -d ID: deletes one job in any state but active (a drain is delivering it). */
export function removeJob(store: FileSpool, id: string): { id: string; from: JobState } {
  const entry = mustFind(store, id);
  if (entry.state === 'active') throw busy(id, entry);
  removeEntry(store, entry);
  return { id, from: entry.state };
}

/**
 * postqueue -i / postsuper -r: a deferred or dead job becomes due now. A dead job starts its
 * attempts again; it keeps its id, Message-ID and history.
 */
export function retryJob(store: FileSpool, entry: Entry, claimer: Claimer, now: number): boolean {
  const claim = store.claim({ dir: entry.dir, name: entry.file }, claimer);
  if (!claim) return false;
  const read = store.read(claim);
  const parsed = read.ok ? parseJob(read.text) : read;
  if (!parsed.ok) {
    store.quarantine(claim, parsed.reason);
    return false;
  }
  const job = parsed.job;
  job.nextAttemptAt = new Date(now).toISOString();
  if (entry.state === 'dead') {
    job.attempts = 0;
    delete job.deadReason;
    delete job.diedAt;
  }
  try {
    store.settle(claim, job, 'incoming');
  } catch (err) {
    store.release(claim); // the old copy, whole, back where it was
    throw err;
  }
  return true;
}

export function retryById(store: FileSpool, id: string, claimer: Claimer, now: number): void {
  const entry = mustFind(store, id);
  if (entry.state === 'active') throw busy(id, entry);
  if (entry.state !== 'deferred' && entry.state !== 'dead') {
    throw new DataError(`job ${id} is ${entry.state}; only deferred or dead jobs can be retried`, {
      hint: entry.state === 'hold' ? 'use `mailctl queue release ID`' : undefined,
    });
  }
  if (!retryJob(store, entry, claimer, now))
    throw new TemporaryError(`job ${id} moved while it was being retried; try again`);
}

export function retryAll(store: FileSpool, claimer: Claimer, now: number): number {
  let n = 0;
  for (const state of ['deferred', 'dead'] as const)
    for (const entry of store.entries(state)) if (retryJob(store, entry, claimer, now)) n += 1;
  return n;
}

/** postsuper -d: deletes the jobs of a state last written more than `olderThanMs` ago (or counts them, dryRun). */
export function purgeJobs(store: FileSpool, state: JobState, olderThanMs: number, now: number, dryRun = false): number {
  let n = 0;
  for (const entry of store.entries(state)) {
    try {
      if (now - lstatSync(entry.path).mtimeMs < olderThanMs) continue;
      if (!dryRun) removeEntry(store, entry);
      n += 1;
    } catch {
      // gone already
    }
  }
  return n;
}
