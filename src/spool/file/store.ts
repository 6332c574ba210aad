/**
 * The spool on disk, as Postfix keeps its queue: one directory per state, writes to a temporary
 * name then fsync then rename, claims by renaming into `active/`.
 *
 *   tmp/                 writes in progress (any producer; never read by drain)
 *   incoming/            new jobs: PP-DUE-ID-TYPE.json
 *   active/              claimed: PID@HOST~PP-DUE-ID-TYPE.json (who claimed it, for recovery)
 *   deferred/BUCKET/     waiting for a retry, one sub-directory per minute of due time, so that a
 *                        drain lists only the buckets that are due (a million deferred jobs during
 *                        an outage cost a drain nothing until they are due)
 *   hold/ dead/ corrupt/ set aside by the operator, by failure, or because they cannot be parsed
 *   done/                delivered, waiting to be deleted in the background (slow disks only)
 *
 * A job is always in exactly one place: every move is one rename(2), and rewriting a job's
 * content happens in `active/` (temp file, fsync, rename over the claimed file) before it moves.
 * The hot path (claim, read, mark delivered) uses the synchronous calls: on this kind of disk
 * they are about 5x cheaper than fs/promises, and each is a single short system call. On a memory
 * file system (tmpfs, ramfs) a delivered job is unlinked at once (about 0.02 ms). On a disk, an
 * unlink waits for the journal (and, on a disk that discards freed blocks, for the discard): 0.3–2
 * ms each, one at a time, while unlinks issued together share that wait. So there a delivered job
 * is renamed into done/ (one cheap rename: it can no longer be recovered and sent again) and
 * deleted later, in batches, off the event loop; a drain deletes the last batch before it ends.
 */
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  opendirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statfsSync,
  statSync,
  unlink as fsUnlink,
  unlinkSync,
  watch as fsWatch,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { writeNewFile, writeNewFileSync, type WriteFn } from '../../durable-write.js';
import { fileSystemError, isFileSystemError, type MailctlError } from '../../errors.js';
import { claimTag, type Claimer, type Quarantined } from '../contract.js';
import { idOfName, nameOf, parseJob, parseName, serializeJob, STATES, type Job, type JobState } from '../job.js';

/** A job file that a drain may claim. */
export interface Candidate {
  dir: string;
  name: string;
}

/** A job renamed into `active/` by this process. */
export interface Claim {
  /** Where the job is now (inside active/). */
  path: string;
  /** Its file name before the claim. */
  name: string;
  /** The directory it was claimed from (for release). */
  from: string;
}

/** A job file in some state. */
export interface Entry {
  state: JobState;
  dir: string;
  /** The file name (for `active`, the claimed name `PID@HOST~NAME`). */
  file: string;
  /** The job's own name, without a claim prefix. */
  name: string;
  path: string;
}

export type { Quarantined } from '../contract.js';

/** What recovery did with the claims of dead processes. */
export interface Recovery {
  recovered: number;
  corrupt: number;
  quarantined: Quarantined[];
  /** Entries that could not even be quarantined (left in active/ for the next drain). */
  failed: Quarantined[];
}

/** Where a claimed job can be settled to. */
export type SettleState = 'incoming' | 'deferred' | 'dead' | 'hold';

/** Width of a `deferred/` bucket. */
export const BUCKET_MS = 60_000;
const CLAIMED = /^(\d+)@([A-Za-z0-9.-]*)~(.+)$/;

/** The job's own name inside a claimed name `PID@HOST~NAME` (any other name as it is). */
export const nameOfClaimed = (file: string): string => CLAIMED.exec(file)?.[3] ?? file;

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

/**
 * A file-system error of the spool → one sentence naming the spool and the fix, with the
 * contract's code (disk full 75, permission 77, read-only or not a directory 73, EIO 74).
 * A full disk names the spool root (the temp file's name means nothing to an operator).
 */
export function spoolFault(err: NodeJS.ErrnoException, root: string): MailctlError {
  const full = err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'EFBIG';
  return fileSystemError(err, 'the spool', full || err.path === undefined ? root : err.path);
}

/** `err` as the operator should read it, when it is the spool's file system failing. */
export function asSpoolError(err: unknown, root: string): unknown {
  return isFileSystemError(err) ? spoolFault(err, root) : err;
}

/** @defaultValue of MAILCTL_MAX_JOB_SIZE: a job is a few KB; 10 MB leaves room for big custom mail. */
export const DEFAULT_MAX_JOB_SIZE = 10 * 1024 * 1024;

/** What reading a spool entry gave: its text, or why it is not a job file (it goes to corrupt/). */
export type EntryRead = { ok: true; text: string } | { ok: false; reason: string };

/** Faults of this process or a race, not of the entry: the caller decides (ENOENT: it moved on). */
const NOT_THE_ENTRY = ['ENOENT', 'EMFILE', 'ENFILE', 'ENOMEM'];

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'a device';
}

/**
 * Reads a spool entry as a job file, safely: a symbolic link is never followed (O_NOFOLLOW), a
 * FIFO never blocks (O_NONBLOCK), and only a regular file of at most `maxBytes` (checked on the
 * opened descriptor, so it cannot be swapped in between) is read. Anything else, or a file this
 * user cannot read, is `ok: false` with the reason; ENOENT and descriptor exhaustion throw.
 */
export function readEntry(path: string, maxBytes: number): EntryRead {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (NOT_THE_ENTRY.includes(code)) throw err;
    if (code === 'ELOOP') return { ok: false, reason: 'a symbolic link, which the spool never follows' };
    if (code === 'ENXIO') return { ok: false, reason: 'a socket or device, not a job file' };
    return { ok: false, reason: `cannot be opened by this user (${code})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: `${kindOf(st)}, not a job file` };
    if (st.size > maxBytes)
      return { ok: false, reason: `${st.size} bytes, larger than MAILCTL_MAX_JOB_SIZE (${maxBytes})` };
    // Read at most what fstat saw plus one byte: a file that keeps growing is not read without end.
    // A read that returns all fstat saw without the extra byte was at the end of the file: no
    // second read(2) just to be told so (one system call less per job).
    const buffer = Buffer.alloc(st.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === st.size) break;
    }
    if (length > maxBytes) return { ok: false, reason: `grew past MAILCTL_MAX_JOB_SIZE (${maxBytes}) while read` };
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (NOT_THE_ENTRY.includes(code)) throw err;
    return { ok: false, reason: `cannot be read (${code})` };
  } finally {
    closeSync(fd);
  }
}

function tmpName(): string {
  return `${Date.now().toString(36)}.${randomBytes(8).toString('hex')}.tmp`;
}

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The file names of `dir`, one at a time as the directory is read, without holding the listing:
 * memory stays flat at a million files (a readdirSync of a million names holds ~100 MB).
 */
export function* namesIn(dir: string): Generator<string> {
  let handle;
  try {
    handle = opendirSync(dir, { bufferSize: 512 });
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
    throw err;
  }
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) yield entry.name;
  } finally {
    handle.closeSync();
  }
}

/** Ascending by name = claim order (priority, due time, id). */
const byName = (a: Candidate, b: Candidate): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}

/** Memory file systems (statfs f_type), where an unlink never waits for a disk: tmpfs, ramfs. */
const MEMORY_FILE_SYSTEMS = new Set([0x01021994, 0x858458f6]);

/** Whether `dir` is on a memory file system (false when that cannot be told: the safe side). */
export function onMemoryFileSystem(dir: string): boolean {
  try {
    return MEMORY_FILE_SYSTEMS.has(statfsSync(dir).type);
  } catch {
    return false;
  }
}

/** Delivered jobs' names held in memory for background deletion (the rest wait in done/). */
const DELETE_QUEUE = 1000;
/**
 * Delivered jobs that wait in done/ before they are deleted together. Deleting one at a time cost
 * the event loop ~0.08 ms per job on a 2-core machine: each fs.unlink found the thread pool idle
 * and woke a thread (a futex wake that let the woken thread take the drain's core). A batch wakes
 * the pool once and keeps it busy; a drain that goes idle or ends deletes what is left.
 */
export const DELETE_BATCH = 256;
/** Background unlinks handed to the thread pool at once (libuv runs four at a time by default). */
const DELETES_IN_FLIGHT = 16;

/** Names held at once by stream(): the order of `queue list` is claim order up to this many per state. */
export const STREAM_BLOCK = 10_000;

export class FileSpool {
  readonly root: string;
  readonly tmp: string;
  /** Delivered jobs waiting to be deleted. */
  readonly done: string;
  readonly dirs: Readonly<Record<JobState, string>>;

  /** Set by the caller, else decided on first use from the spool's file system. */
  private background: boolean | undefined;

  /** The write(2) of job files; a test injects short writes here. */
  private readonly write: WriteFn | undefined;
  /** Larger entries are not read but moved to corrupt/ (MAILCTL_MAX_JOB_SIZE). */
  readonly maxJobSize: number;
  /** Why each entry of corrupt/ is there: `corrupt/.reasons/NAME` (dot names are never listed as jobs). */
  readonly reasons: string;

  constructor(root: string, options: { deleteInBackground?: boolean; write?: WriteFn; maxJobSize?: number } = {}) {
    this.root = root;
    this.background = options.deleteInBackground;
    this.write = options.write;
    this.maxJobSize = options.maxJobSize ?? DEFAULT_MAX_JOB_SIZE;
    this.tmp = join(root, 'tmp');
    this.done = join(root, 'done');
    this.dirs = Object.fromEntries(STATES.map((s) => [s, join(root, s)])) as Record<JobState, string>;
    this.reasons = join(this.dirs.corrupt, '.reasons');
  }

  /**
   * Whether the spool directory exists (false: nothing was ever queued here). A path that is a
   * file, or runs through one, is an error (ENOTDIR, 73), not an absent spool.
   */
  exists(): boolean {
    let st;
    try {
      st = statSync(this.root);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
    if (st.isDirectory()) return true;
    throw Object.assign(new Error(`ENOTDIR: not a directory, stat '${this.root}'`), {
      code: 'ENOTDIR',
      errno: -20,
      syscall: 'stat',
      path: this.root,
    });
  }

  /** Creates the state directories (mode 0700: jobs carry codes and addresses). */
  ensure(): void {
    for (const dir of [this.tmp, this.done, ...Object.values(this.dirs)])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  bucketDir(dueMs: number): string {
    return join(this.dirs.deferred, String(Math.floor(Math.max(0, dueMs) / BUCKET_MS) * BUCKET_MS).padStart(13, '0'));
  }

  /**
   * Durably writes a new job into `incoming/`: temp file, fsync, rename, fsync of the directory.
   * On failure (a full disk) the temp file is removed and nothing is in the spool.
   */
  async add(job: Job): Promise<string> {
    const tmp = join(this.tmp, tmpName());
    await writeNewFile(tmp, serializeJob(job));
    const dest = join(this.dirs.incoming, nameOf(job));
    try {
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    const dir = await open(this.dirs.incoming, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return dest;
  }

  /**
   * The jobs a drain may claim now, in claim order: `incoming/` and the due buckets of
   * `deferred/` (all of them with `flush`), sorted by name = priority, due time, id; at most
   * `limit` of them (the first in claim order), and none that `skip` rejects. Reads directory
   * listings only, never job files, and holds at most 2 × `limit` names however large the spool.
   */
  scan(now: number, flush: boolean, limit = Number.POSITIVE_INFINITY, skip?: (name: string) => boolean): Candidate[] {
    let out: Candidate[] = [];
    const keep = (dir: string, name: string): void => {
      if (!name.endsWith('.json') || name.startsWith('.')) return;
      const due = parseName(name)?.dueMs ?? 0;
      if (!flush && due > now) return;
      if (skip?.(name)) return;
      out.push({ dir, name });
      // Keep the first `limit` in claim order: sort and cut whenever the buffer doubles.
      if (out.length >= 2 * limit) out = out.sort(byName).slice(0, limit);
    };
    const incoming = this.dirs.incoming;
    for (const name of namesIn(incoming)) keep(incoming, name);
    for (const bucket of listDir(this.dirs.deferred).sort()) {
      const start = Number(bucket);
      if (!Number.isFinite(start)) continue;
      if (!flush && start > now) break;
      const dir = join(this.dirs.deferred, bucket);
      let seen = 0;
      for (const name of namesIn(dir)) {
        seen += 1;
        keep(dir, name);
      }
      // Only buckets well in the past are removed: writers target future buckets, and a writer
      // that loses the race re-creates the directory (see moveInto).
      if (seen === 0 && start + 2 * BUCKET_MS < now) this.removeEmpty(dir);
    }
    out.sort(byName);
    return out.length > limit ? out.slice(0, limit) : out;
  }

  private removeEmpty(dir: string): void {
    try {
      rmdirSync(dir);
    } catch {
      // not empty any more, or already gone: either is fine
    }
  }

  /** Claims a job by renaming it into `active/`; undefined when another process was first. */
  claim(candidate: Candidate, claimer: Claimer): Claim | undefined {
    const path = join(this.dirs.active, `${claimTag(claimer)}~${candidate.name}`);
    try {
      renameSync(join(candidate.dir, candidate.name), path);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
    }
    return { path, name: candidate.name, from: candidate.dir };
  }

  /** The claimed job's text, or why it is not a job file; throws ENOENT when it moved on. */
  read(claim: Claim): EntryRead {
    return readEntry(claim.path, this.maxJobSize);
  }

  /** Any entry's text (see {@link readEntry}). */
  readEntry(path: string): EntryRead {
    return readEntry(path, this.maxJobSize);
  }

  /**
   * Whether delivered jobs go through done/ and are deleted in batches (a disk), rather than
   * unlinked at once (a memory file system). @defaultValue decided by the spool's file system
   */
  get deletesInBackground(): boolean {
    return (this.background ??= !onMemoryFileSystem(this.root));
  }

  /** Delivered: the job leaves the spool (unlinked, or renamed into done/ and deleted later). */
  complete(claim: Claim): void {
    try {
      if (!this.deletesInBackground) {
        unlinkSync(claim.path);
        return;
      }
      const dest = join(this.done, claim.path.slice(claim.path.lastIndexOf('/') + 1));
      renameSync(claim.path, dest);
      this.deleteLater(dest);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return;
      throw err;
    }
  }

  /**
   * Background deletion: done/ itself is the queue. Names gather in `pending` until DELETE_BATCH
   * of them wait (or {@link flushDeletes}, or {@link settled}); then that batch is deleted,
   * DELETES_IN_FLIGHT unlinks at once (a disk completes unlinks issued together far faster than
   * one after another: 2,000 took 2.4 s one by one, 0.17 s eight at a time). At most DELETE_QUEUE
   * names are held; a delivered job that finds the queue full simply waits in done/ and is
   * listed again when the queue runs empty. It never unlinks on the event loop.
   */
  private pending: string[] = [];
  /** The batch being deleted. */
  private batch: string[] = [];
  private deleting = 0;
  /** Delete everything, batch or not, until nothing is left (settled() or flushDeletes()). */
  private flushing = false;
  /** Delivered jobs wait in done/ that are not in `pending`. */
  private doneBacklog = false;
  /** Unlinks that succeeded since done/ was last listed: none, and listing it again is futile. */
  private deletedSinceListing = 1;
  private idle: (() => void)[] = [];

  private deleteLater(path: string): void {
    if (this.pending.length + this.batch.length >= DELETE_QUEUE) {
      this.doneBacklog = true;
      return;
    }
    this.pending.push(path);
    if (this.pending.length >= DELETE_BATCH) this.pumpDeletes();
  }

  /** Starts deleting every delivered job waiting in done/ (a drain that goes idle calls it). */
  flushDeletes(): void {
    this.flushing = true;
    this.pumpDeletes();
  }

  private pumpDeletes(): void {
    if (this.deleting === 0 && this.batch.length === 0) {
      if (this.pending.length === 0 && this.doneBacklog && this.deletedSinceListing > 0) this.relistDone();
      if (this.pending.length >= DELETE_BATCH || (this.flushing && this.pending.length > 0)) {
        this.batch = this.pending;
        this.pending = [];
      }
    }
    while (this.deleting < DELETES_IN_FLIGHT && this.batch.length > 0) {
      const path = this.batch.pop()!;
      this.deleting += 1;
      // A name listed again while its unlink is in flight fails with ENOENT: that is fine.
      fsUnlink(path, (err) => {
        if (!err) this.deletedSinceListing += 1;
        this.deleting -= 1;
        this.pumpDeletes();
      });
    }
    if (this.deleting === 0 && this.batch.length === 0 && this.pending.length === 0) {
      this.flushing = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Takes up to DELETE_QUEUE names of done/ into the queue (streamed: done/ may be large). */
  private relistDone(): void {
    this.doneBacklog = false;
    this.deletedSinceListing = 0;
    try {
      for (const name of namesIn(this.done)) {
        if (this.pending.length >= DELETE_QUEUE) {
          this.doneBacklog = true;
          return;
        }
        this.pending.push(join(this.done, name));
      }
    } catch {
      // done/ cannot be listed now: the next drain's recovery lists it again
    }
  }

  /** Deletes every delivered job still waiting in done/; resolves when that has finished. */
  settled(): Promise<void> {
    if (this.deleting === 0 && this.batch.length === 0 && this.pending.length === 0 && !this.doneBacklog)
      return Promise.resolve();
    const done = new Promise<void>((resolve) => this.idle.push(resolve));
    this.flushDeletes();
    return done;
  }

  /**
   * Rewrites a claimed job (attempts, history, next attempt) and moves it to `state`. The new
   * content replaces the claimed file first (temp, fsync, rename), so that a crash at any point
   * leaves exactly one copy: the old one in active/ or the new one, in active/ or in place.
   * When the new content cannot be written (a full disk), this throws and the claimed file is
   * the old copy, whole: see {@link settleAsIs}.
   */
  settle(claim: Claim, job: Job, state: SettleState): string {
    const tmp = this.writeTmpSync(serializeJob(job));
    try {
      renameSync(tmp, claim.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return this.settleAsIs(claim, job, state);
  }

  /**
   * Moves a claimed job, unchanged, to where `job` would go: when its new content could not be
   * written, the job is kept as it was (only the record of this attempt is lost) and the name
   * still carries the new due time, so it is not retried at once.
   */
  settleAsIs(claim: Claim, job: Job, state: SettleState): string {
    const dir = state === 'deferred' ? this.bucketDir(Date.parse(job.nextAttemptAt)) : this.dirs[state];
    const dest = this.moveInto(claim.path, dir, nameOf(job));
    fsyncDirSync(dir);
    return dest;
  }

  /**
   * Not a job (unparsable, not a regular file, unreadable, too big): moved aside as it is, so that
   * an operator can look at it, under a name no other corrupt entry has, with its reason beside
   * it in `corrupt/.reasons/` (best effort: on a full disk the move matters, the note does not).
   */
  quarantine(claim: Claim, reason: string): string {
    return this.quarantinePath(claim.path, claim.name, reason);
  }

  private quarantinePath(path: string, name: string, reason: string): string {
    const dest = this.moveInto(path, this.dirs.corrupt, this.freeName(this.dirs.corrupt, name));
    try {
      mkdirSync(this.reasons, { recursive: true, mode: 0o700 });
      const tmp = this.writeTmpSync(`${reason}\n`);
      try {
        renameSync(tmp, join(this.reasons, basename(dest)));
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    } catch {
      // the entry is safe in corrupt/; `queue list` then says what it finds
    }
    return dest;
  }

  /** Why a corrupt/ entry is there, when quarantine could note it. */
  reasonOf(file: string): string | undefined {
    const r = readEntry(join(this.reasons, file), 4096);
    return r.ok ? r.text.trim() : undefined;
  }

  /** `name`, or a variant of it when something already has that name (never overwrite a corrupt copy). */
  private freeName(dir: string, name: string): string {
    try {
      lstatSync(join(dir, name));
    } catch {
      return name;
    }
    return `${name.replace(/\.json$/, '')}.${randomBytes(4).toString('hex')}.json`;
  }

  /** Puts an unstarted claim back where it came from. */
  release(claim: Claim): void {
    this.moveInto(claim.path, claim.from, claim.name);
  }

  /** Renames into a directory, creating it when a concurrent cleanup removed it. */
  moveInto(src: string, dir: string, name: string): string {
    const dest = join(dir, name);
    for (let tries = 0; ; tries++) {
      try {
        renameSync(src, dest);
        return dest;
      } catch (err) {
        if (!isCode(err, 'ENOENT') || tries >= 5) throw err;
        statSync(src); // throws ENOENT when the source itself is gone: a real error
        mkdirSync(dir, { recursive: true, mode: 0o700 });
      }
    }
  }

  /** A whole, fsynced temp file, or an error and no temp file. */
  writeTmpSync(data: string): string {
    const tmp = join(this.tmp, tmpName());
    writeNewFileSync(tmp, data, this.write);
    return tmp;
  }

  /**
   * Returns claims left in `active/` by processes on this host that are no longer alive, each
   * to `incoming/` or `deferred/` as its content says. Claims of other hosts are left alone
   * (their liveness cannot be checked from here). Stale temp files are removed.
   */
  recover(self: Claimer, isAlive: (pid: number) => boolean, now: number): Recovery {
    const out: Recovery = { recovered: 0, corrupt: 0, quarantined: [], failed: [] };
    const host = claimTag(self).split('@')[1];
    for (const file of listDir(this.dirs.active)) {
      const m = CLAIMED.exec(file);
      if (!m) continue;
      const pid = Number(m[1]);
      if (m[2] !== host || pid === self.pid || isAlive(pid)) continue;
      const path = join(this.dirs.active, file);
      // One bad entry never stops recovery (nor, with it, every later drain): it is quarantined,
      // or when even that fails, reported and left for the next drain; the rest go on.
      try {
        const read = readEntry(path, this.maxJobSize);
        const parsed = read.ok ? parseJob(read.text) : read;
        if (!parsed.ok) {
          const dest = this.quarantinePath(path, m[3]!, parsed.reason);
          out.corrupt += 1;
          out.quarantined.push({ file: dest, reason: parsed.reason });
        } else {
          const due = Date.parse(parsed.job.nextAttemptAt);
          this.moveInto(path, due > now ? this.bucketDir(due) : this.dirs.incoming, nameOf(parsed.job));
          out.recovered += 1;
        }
      } catch (err) {
        if (isCode(err, 'ENOENT')) continue; // another drain recovered it first
        out.failed.push({ file: path, reason: (err as Error).message });
      }
    }
    for (const file of listDir(this.done)) this.deleteLater(join(this.done, file));
    for (const file of listDir(this.tmp)) {
      const path = join(this.tmp, file);
      try {
        if (now - statSync(path).mtimeMs > 3_600_000) unlinkSync(path);
      } catch {
        // gone already
      }
    }
    return out;
  }

  /** The directories of a state: one, or deferred's buckets in due order. */
  dirsOf(state: JobState): string[] {
    if (state !== 'deferred') return [this.dirs[state]];
    return listDir(this.dirs.deferred)
      .sort()
      .map((bucket) => join(this.dirs.deferred, bucket));
  }

  /**
   * Every job file in a state, one at a time as the directories are read: at most STREAM_BLOCK
   * names are held, so listing a million jobs costs no more memory than ten thousand. Sorted by
   * name (claim order) within each block of STREAM_BLOCK names, which is the whole directory up
   * to that size. (Counting reads {@link namesIn} directly: see spoolStatus.)
   */
  *stream(state: JobState): Generator<Entry> {
    for (const dir of this.dirsOf(state)) {
      const names = namesIn(dir);
      for (let more = true; more;) {
        const block: string[] = [];
        for (let next = names.next(); ; next = names.next()) {
          if (next.done) {
            more = false;
            break;
          }
          if (!next.value.startsWith('.')) block.push(next.value);
          if (block.length >= STREAM_BLOCK) break;
        }
        block.sort();
        for (const file of block) {
          const name = state === 'active' ? nameOfClaimed(file) : file;
          // dir is already absolute and normalised: a concatenation, not path.join (a third of
          // `queue status`'s time at a million jobs)
          yield { state, dir, file, name, path: `${dir}/${file}` };
        }
      }
    }
  }

  /** Every job file in a state, as a list (for operations that move what they list). */
  entries(state: JobState): Entry[] {
    return [...this.stream(state)];
  }

  /** Where the job with this id is, if anywhere. */
  find(id: string): Entry | undefined {
    for (const state of STATES) {
      const hit = this.entries(state).find((e) => idOfName(e.name) === id || e.name === id);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Calls `onChange` when something arrives in `incoming/`. Returns the closer. */
  watchIncoming(onChange: () => void): () => void {
    try {
      const watcher = fsWatch(this.dirs.incoming, { persistent: true }, () => onChange());
      watcher.on('error', () => {});
      return () => watcher.close();
    } catch {
      return () => {};
    }
  }

  /** A small JSON state file in the spool root (e.g. the queue monitor's). */
  readStateFile(name: string): unknown {
    try {
      return JSON.parse(readFileSync(join(this.root, name), 'utf8'));
    } catch {
      return undefined;
    }
  }

  writeStateFile(name: string, data: unknown): void {
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
    const tmp = this.writeTmpSync(`${JSON.stringify(data, null, 2)}\n`);
    try {
      renameSync(tmp, join(this.root, name));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }
}
