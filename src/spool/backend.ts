/**
 * The spool behind one interface, so that `enqueue`, `send --queue`, `drain`, `queue …`, `spool
 * migrate` and the library `enqueue()` work the same on every backend: the file spool (one host;
 * src/spool/file/) or Redis through BullMQ (several hosts; src/spool/redis/). The one
 * switch is MAILCTL_SPOOL_URL (`openSpool` below); the Redis module, and with it BullMQ, is loaded
 * only when the URL names Redis.
 */
import { renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { ConfigError, DataError, UsageError } from '../errors.js';
import type {
  BackendDrainOptions,
  Claimer,
  DrainSummary,
  ExportedJob,
  ListedJob,
  SpoolBackend,
  ReleaseResult,
  ShownJob,
  SpoolStatus,
} from './contract.js';
import { drain } from './file/drain.js';
import { idOfName, parseJob, type Job, type JobState } from './job.js';
import {
  backlogOf,
  holdJob,
  listJobs,
  purgeJobs,
  releaseJob,
  removeJob,
  retryAll,
  retryById,
  showJob,
  spoolStatus,
} from './file/manage.js';
import { parseSpoolUrl, type RedisTarget, type SpoolTarget } from '../config/spool-url.js';
import type { ProbeReport } from '../providers/types.js';
import { asSpoolError, FileSpool } from './file/store.js';

/** The file spool as a backend: the functions of store.ts, drain.ts and manage.ts, unchanged. */
export class FileBackend implements SpoolBackend {
  readonly kind = 'file' as const;
  readonly store: FileSpool;
  constructor(root: string, options: { maxJobSize?: number | undefined } = {}) {
    this.store = new FileSpool(root, options.maxJobSize !== undefined ? { maxJobSize: options.maxJobSize } : {});
  }
  get location(): string {
    return this.store.root;
  }
  /** Runs `fn`; a file-system fault becomes one sentence naming the spool (73/74/75/77), never 70. */
  private async guard<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asSpoolError(err, this.store.root);
    }
  }
  add(job: Job): Promise<string> {
    return this.guard(() => {
      this.store.ensure();
      return this.store.add(job);
    });
  }
  drain(options: BackendDrainOptions): Promise<DrainSummary> {
    return this.guard(() => {
      this.store.ensure();
      return drain({ ...options, store: this.store });
    });
  }
  status(now: number): Promise<SpoolStatus> {
    return this.guard(() => spoolStatus(this.store, now));
  }
  backlog(): Promise<number> {
    return this.guard(() => backlogOf(this.store));
  }
  async *list(states: readonly JobState[]): AsyncIterable<ListedJob> {
    try {
      yield* listJobs(this.store, states);
    } catch (err) {
      throw asSpoolError(err, this.store.root);
    }
  }
  retry(id: string, claimer: Claimer, now: number): Promise<void> {
    return this.guard(() => retryById(this.store, id, claimer, now));
  }
  retryAll(claimer: Claimer, now: number): Promise<number> {
    return this.guard(() => retryAll(this.store, claimer, now));
  }
  hold(id: string): Promise<{ id: string; from: JobState; changed: boolean }> {
    return this.guard(() => holdJob(this.store, id));
  }
  release(id: string, now: number): Promise<ReleaseResult> {
    return this.guard(() => releaseJob(this.store, id, now));
  }
  show(id: string): Promise<ShownJob> {
    return this.guard(() => showJob(this.store, id));
  }
  remove(id: string): Promise<{ id: string; from: JobState }> {
    return this.guard(() => removeJob(this.store, id));
  }
  purge(state: JobState, olderThanMs: number, now: number, dryRun = false): Promise<number> {
    return this.guard(() => purgeJobs(this.store, state, olderThanMs, now, dryRun));
  }
  readState(name: string): Promise<unknown> {
    return this.guard(() => this.store.readStateFile(name));
  }
  writeState(name: string, data: unknown): Promise<void> {
    return this.guard(() => {
      this.store.ensure();
      this.store.writeStateFile(name, data);
    });
  }
  async *exportJobs(): AsyncIterable<ExportedJob> {
    for (const state of ['incoming', 'deferred', 'hold', 'dead', 'corrupt'] as const) {
      for (const entry of this.store.entries(state)) {
        let text: string;
        try {
          const read = this.store.readEntry(entry.path);
          if (!read.ok) continue; // not a job file (a link, a FIFO, …): left where it is
          text = read.text;
        } catch {
          continue; // claimed or moved meanwhile
        }
        const parsed = parseJob(text);
        const id = parsed.ok ? parsed.job.id : (idOfName(entry.name) ?? entry.name);
        const out: ExportedJob = parsed.ok
          ? { id, state, job: parsed.job }
          : { id, state: 'corrupt', raw: text, problem: parsed.reason };
        (out as ExportedJob & { path?: string }).path = entry.path;
        yield out;
      }
    }
  }
  async importJob(entry: ExportedJob, _now: number): Promise<boolean> {
    this.store.ensure();
    if (this.store.find(entry.id)) return false;
    if (!entry.job) {
      // As found, so that an operator can still look at it: temp file, fsync, rename.
      const tmp = this.store.writeTmpSync(entry.raw ?? '');
      try {
        renameSync(tmp, join(this.store.dirs.corrupt, `${entry.id}.json`));
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
      return true;
    }
    const path = await this.store.add(entry.job);
    if (entry.state !== 'incoming') {
      const dir =
        entry.state === 'deferred'
          ? this.store.bucketDir(Date.parse(entry.job.nextAttemptAt))
          : this.store.dirs[entry.state];
      this.store.moveInto(path, dir, path.slice(path.lastIndexOf('/') + 1));
    }
    return true;
  }
  async removeExported(entry: ExportedJob): Promise<boolean> {
    const path = (entry as ExportedJob & { path?: string }).path;
    if (!path) return false;
    try {
      statSync(path);
      unlinkSync(path);
      return true;
    } catch {
      return false;
    }
  }
  async close(): Promise<void> {
    await this.store.settled();
  }
}

export interface OpenSpoolOptions {
  /** A spool URL that overrides the configuration (`spool migrate --to`). */
  url?: string | undefined;
}

/** The configured target: MAILCTL_SPOOL_URL, else the file spool at MAILCTL_SPOOL_DIR. */
export function spoolTarget(config: Config, url?: string): SpoolTarget {
  const text = url ?? config.values['spool.url'];
  const r = parseSpoolUrl(text);
  if (!r.ok && url !== undefined)
    throw new UsageError(`--to ${r.reason}`, {
      hint: 'write it as redis://host:6379/0, rediss://host:6380/0 or file:DIR',
    });
  if (!r.ok)
    throw new ConfigError(
      `MAILCTL_SPOOL_URL ${r.reason}`,
      { hint: 'write it as redis://host:6379/0, rediss://host:6380/0 or file:DIR' },
      'config.invalid',
    );
  return r.target;
}

/**
 * What differs between spool kinds, as data: how to open one and, where there is a server to reach,
 * how `verify-config --connect` checks it. A kind's module (with its libraries) is loaded only
 * when the configuration names it. A new backend is a module plus one entry here.
 */
interface SpoolKind<T extends SpoolTarget> {
  open(target: T, config: Config, cwd: string): Promise<SpoolBackend>;
  /** Reach the backend and check what its guarantees assume; absent where there is nothing to reach. */
  checkConnection?(target: T, config: Config): Promise<ProbeReport>;
}

const withPassword = (target: RedisTarget, config: Config): RedisTarget => {
  const password = config.values['redis.password'];
  return password !== undefined ? { ...target, password } : target;
};

const SPOOL_KINDS: { [K in SpoolTarget['kind']]: SpoolKind<Extract<SpoolTarget, { kind: K }>> } = {
  file: {
    open: async (target, config, cwd) => {
      const dir = target.dir !== undefined && target.dir !== '' ? target.dir : config.values['spool.dir'];
      return new FileBackend(resolve(cwd, dir), { maxJobSize: config.values['spool.maxJobSize'] });
    },
  },
  redis: {
    open: async (target, config) =>
      (await import('./redis/backend.js')).RedisBackend.connect(withPassword(target, config)),
    checkConnection: async (target, config) =>
      (await import('./redis/backend.js')).probeRedisSpool(withPassword(target, config)),
  },
};

function kindOf<T extends SpoolTarget>(target: T): SpoolKind<T> {
  return SPOOL_KINDS[target.kind] as unknown as SpoolKind<T>;
}

/** Opens the configured spool (or the one `options.url` names). */
export async function openSpool(config: Config, cwd: string, options: OpenSpoolOptions = {}): Promise<SpoolBackend> {
  const target = spoolTarget(config, options.url);
  return kindOf(target).open(target, config, cwd);
}

/** `verify-config --connect`: the configured spool's connection check; undefined when it has none (a directory). */
export async function checkSpoolConnection(config: Config): Promise<ProbeReport | undefined> {
  const target = spoolTarget(config);
  return kindOf(target).checkConnection?.(target, config);
}

/** For messages: a job id that is nowhere in this spool. */
export function noSuchJob(backend: SpoolBackend, id: string): DataError {
  return new DataError(
    `no job ${JSON.stringify(id)} in the spool at ${backend.location}`,
    { hint: 'run `mailctl queue list` to see the job ids' },
    'data.job',
  );
}
