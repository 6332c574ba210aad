/**
 * Durable writes of whole files, shared by the spool and the `file` provider's outbox: a new
 * file gets every byte or the call fails, and a failed write leaves no file behind.
 *
 * write(2) may write fewer bytes than asked (a nearly full disk, a signal): writeSync returns the
 * count and does not retry, so the loop here does. Renaming a short file over the only copy of a
 * job would destroy it, so nothing is renamed until every byte is written and fsynced.
 */
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { closeAsync, fsyncAsync, openAsync, unlinkQuietly, writeAsync } from './fs-async.js';

/** The shape of `fs.writeSync(fd, buffer, offset, length)`: returns the bytes written. */
export type WriteFn = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

const nodeWrite: WriteFn = (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length);

/** A write that made no progress: the kernel would say ENOSPC on the next call, so say it now. */
function noProgress(path: string | undefined): NodeJS.ErrnoException {
  const err = new Error(`ENOSPC: no space left on device, write${path ? ` '${path}'` : ''}`) as NodeJS.ErrnoException;
  err.code = 'ENOSPC';
  err.errno = -28;
  err.syscall = 'write';
  if (path !== undefined) err.path = path;
  return err;
}

/** Writes every byte of `data` to `fd`, looping over short writes; throws when the disk refuses. */
export function writeAllSync(fd: number, data: string | Uint8Array, write: WriteFn = nodeWrite, path?: string): void {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < buffer.length) {
    let n: number;
    try {
      n = write(fd, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (path !== undefined && err instanceof Error && !('path' in err)) (err as NodeJS.ErrnoException).path = path;
      throw err;
    }
    if (n <= 0) throw noProgress(path);
    offset += n;
  }
}

/**
 * Creates `path` (exclusively, mode 0600), writes all of `data`, fsyncs and closes it. On any
 * failure the partial file is removed and the error (ENOSPC, EDQUOT, EIO, …) is thrown.
 */
export function writeNewFileSync(path: string, data: string | Uint8Array, write: WriteFn = nodeWrite): void {
  const fd = openSync(path, 'wx', 0o600);
  let open = true;
  try {
    writeAllSync(fd, data, write, path);
    fsyncSync(fd);
    open = false;
    closeSync(fd); // a network file system may report a failed write only here
  } catch (err) {
    if (open) {
      try {
        closeSync(fd);
      } catch {
        // the write error is the one to report
      }
    }
    try {
      unlinkSync(path);
    } catch {
      // nothing to remove
    }
    throw err;
  }
}

/**
 * The same, asynchronously (enqueue from a Node application must not block its event loop), on
 * node:fs's callbacks (fs-async.ts): the same loop over short writes, fsync, close, and removal of
 * the partial file on failure.
 */
export async function writeNewFile(path: string, data: string | Uint8Array): Promise<void> {
  const fd = await openAsync(path, 'wx', 0o600);
  let open = true;
  try {
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let offset = 0; offset < buffer.length;) {
      const { bytesWritten } = await writeAsync(fd, buffer, offset, buffer.length - offset);
      if (bytesWritten <= 0) throw noProgress(path);
      offset += bytesWritten;
    }
    await fsyncAsync(fd);
    open = false;
    await closeAsync(fd); // a network file system may report a failed write only here
  } catch (err) {
    if (open) await closeAsync(fd).catch(() => {}); // the write error is the one to report
    await unlinkQuietly(path);
    throw err;
  }
}
