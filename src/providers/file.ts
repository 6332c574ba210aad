/**
 * The `file` provider, the default when MAIL_TYPE is unset: each message becomes one .eml file in
 * the outbox (MAILCTL_OUTBOX_DIR, relative to the working directory), written atomically: a
 * temporary name, fsync, rename, fsync of the directory. A reader never sees half a message.
 *
 * The same steps run either on Node's thread pool (the default: a drain or an application keeps
 * its event loop) or, for a process that sends one mail and nothing else (`mailctl send`), as
 * blocking calls: the first asynchronous file call starts the pool's four threads, ~3 ms of
 * CPU of a ~50 ms `send` here, for a wait nobody else would use.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeNewFile, writeNewFileSync } from '../durable-write.js';
import { chmodAsync, closeAsync, fsyncAsync, mkdirAsync, openAsync, renameAsync, unlinkQuietly } from '../fs-async.js';
import { randomHex } from '../random-hex.js';
import { DeliveryError, ExitCode, fileSystemError, isFileSystemError } from '../errors.js';
import type { OutgoingMessage } from '../message/types.js';
import { buildMime, type DkimOptions } from './mime.js';
import type { Delivery, Provider, SendOptions } from './types.js';

export interface FileProviderOptions {
  /** The outbox directory, already resolved or relative to `cwd`. */
  dir: string;
  cwd: string;
  dkim?: DkimOptions | undefined;
  /**
   * Write with blocking calls (one mail, then the process ends: `mailctl send`).
   * @defaultValue false
   */
  blocking?: boolean | undefined;
}

/** The file calls the outbox makes, as promises either way. */
export interface OutboxFs {
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<string | undefined>;
  chmod(path: string, mode: number): Promise<void>;
  /** Exclusive create, every byte, fsync, close; no file left on failure (durable-write.ts). */
  writeNew(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlinkQuietly(path: string): Promise<void>;
  open(path: string, flags: string): Promise<number>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
}

/** On Node's thread pool (node:fs callbacks, without loading node:fs/promises). */
export const threadPoolFs: OutboxFs = {
  mkdir: mkdirAsync,
  chmod: chmodAsync,
  writeNew: writeNewFile,
  rename: renameAsync,
  unlinkQuietly,
  open: openAsync,
  fsync: fsyncAsync,
  close: closeAsync,
};

/** Blocking, on the calling thread (async functions only so that a throw becomes a rejection). */
export const blockingFs: OutboxFs = {
  mkdir: async (path, options) => mkdirSync(path, options),
  chmod: async (path, mode) => chmodSync(path, mode),
  writeNew: async (path, data) => writeNewFileSync(path, data),
  rename: async (from, to) => renameSync(from, to),
  unlinkQuietly: async (path) => {
    try {
      unlinkSync(path);
    } catch {
      // cleanup after a failure already reported
    }
  },
  open: async (path, flags) => openSync(path, flags),
  fsync: async (fd) => fsyncSync(fd),
  close: async (fd) => closeSync(fd),
};

/** `20261201T210500Z-reset-password-<id>.eml`: sortable by time, one name per Message-ID. */
export function emlFileName(message: OutgoingMessage): string {
  const stamp = message.date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const local = message.messageId.replace(/^<|>$/g, '').split('@')[0] ?? 'message';
  const id = local.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 48);
  const type = message.type.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 40);
  return `${stamp}-${type}-${id}.eml`;
}

/** Writes `data` to `path` durably: temp file in the same directory, fsync, rename, fsync dir. */
export async function writeFileAtomic(
  path: string,
  data: Buffer,
  dir: string,
  fs: OutboxFs = threadPoolFs,
): Promise<void> {
  const tmp = join(dir, `.${randomHex(6)}.tmp`);
  await fs.writeNew(tmp, data);
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.unlinkQuietly(tmp);
    throw err;
  }
  // The rename is durable only once the directory entry is on disk.
  const dirFd = await fs.open(dir, 'r');
  try {
    await fs.fsync(dirFd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await fs.close(dirFd);
  }
}

/**
 * Creates `dir` and any missing parents with mode 0700 whatever the umask (messages carry
 * one-time codes): mkdir's mode is filtered by the umask, chmod's is not.
 */
export async function mkdirPrivate(dir: string, fs: OutboxFs = threadPoolFs): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await fs.chmod(d, 0o700);
    if (d === first || dirname(d) === d) break;
  }
}

/** A failed outbox write as the operator reads it: the contract's code (75 disk full, 77, 73, 74). */
function outboxError(err: unknown, dir: string): DeliveryError {
  const errno = (err as { code?: unknown }).code;
  const fault = isFileSystemError(err)
    ? fileSystemError(err, 'the outbox', ['ENOSPC', 'EDQUOT', 'EFBIG'].includes(err.code!) ? dir : (err.path ?? dir))
    : undefined;
  return new DeliveryError(
    fault?.message ?? `cannot write the message into the outbox ${dir}: ${(err as Error).message}`,
    {
      exitCode: fault?.exitCode ?? ExitCode.UNAVAILABLE,
      kind: 'transient',
      reply: { provider: 'file', errno: typeof errno === 'string' ? errno : undefined },
      hint: fault?.hint ?? 'check MAILCTL_OUTBOX_DIR and its permissions',
      cause: err,
    },
    'delivery.transient',
  );
}

export function createFileProvider(options: FileProviderOptions): Provider {
  const dir = resolve(options.cwd, options.dir);
  const fs = options.blocking ? blockingFs : threadPoolFs;
  return {
    name: 'file',
    async send(message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<Delivery> {
      const raw = sendOptions.raw ?? (await buildMime(message, { dkim: options.dkim }));
      const path = join(dir, emlFileName(message));
      try {
        await mkdirPrivate(dir, fs);
        await writeFileAtomic(path, raw, dir, fs);
      } catch (err) {
        throw outboxError(err, dir);
      }
      return {
        provider: 'file',
        messageId: message.messageId,
        path,
        accepted: message.to.map((m) => m.address),
        rejected: [],
      };
    },
    async close(): Promise<void> {},
  };
}
