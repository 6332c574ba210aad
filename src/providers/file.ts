/**
 * The `file` provider, the default when MAIL_TYPE is unset: each message becomes one .eml file in
 * the outbox (MAILCTL_OUTBOX_DIR, relative to the working directory), written atomically: a
 * temporary name, fsync, rename, fsync of the directory. A reader never sees half a message.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeNewFile } from '../durable-write.js';
import { DeliveryError, ExitCode, fileSystemError, isFileSystemError } from '../errors.js';
import type { OutgoingMessage } from '../message/types.js';
import { buildMime, type DkimOptions } from './mime.js';
import type { Delivery, Provider, SendOptions } from './types.js';

export interface FileProviderOptions {
  /** The outbox directory, already resolved or relative to `cwd`. */
  dir: string;
  cwd: string;
  dkim?: DkimOptions | undefined;
}

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
export async function writeFileAtomic(path: string, data: Buffer, dir: string): Promise<void> {
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  await writeNewFile(tmp, data);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // The rename is durable only once the directory entry is on disk.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await dirHandle.close();
  }
}

/**
 * Creates `dir` and any missing parents with mode 0700 whatever the umask (messages carry
 * one-time codes): mkdir's mode is filtered by the umask, chmod's is not.
 */
export async function mkdirPrivate(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await chmod(d, 0o700);
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
  return {
    name: 'file',
    async send(message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<Delivery> {
      const raw = sendOptions.raw ?? (await buildMime(message, { dkim: options.dkim }));
      const path = join(dir, emlFileName(message));
      try {
        await mkdirPrivate(dir);
        await writeFileAtomic(path, raw, dir);
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
