/**
 * The few file operations the outbox and durable writes need, as promises made from node:fs's
 * callbacks (util.promisify: same errors, errno, syscall and path, as node:fs/promises).
 *
 * Why not node:fs/promises: requiring it loads its FileHandle streams and readline, ~1.4 ms of
 * CPU per start, and a `send` through the file provider needs nothing else of it (see also
 * read-file.ts, for the files every command reads at start).
 */
import { chmod, close, fsync, mkdir, open, rename, unlink, write } from 'node:fs';
import { promisify } from 'node:util';

export const chmodAsync = promisify(chmod);
export const closeAsync = promisify(close);
export const fsyncAsync = promisify(fsync);
export const mkdirAsync = promisify(mkdir);
export const openAsync = promisify(open);
export const renameAsync = promisify(rename);
export const unlinkAsync = promisify(unlink);
export const writeAsync = promisify(write);

/** Removes `path` if it is there; any error is left unsaid (cleanup after a failure already reported). */
export const unlinkQuietly = (path: string): Promise<void> => unlinkAsync(path).catch(() => {});
