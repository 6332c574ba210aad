/**
 * Real file-system faults for tests: a small tmpfs (root only), filled to the last page; a
 * read-only remount; the non-root user that chmod stops. When a fault cannot be made here the
 * caller skips with the printed reason, never passes silently.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, fstatSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.js';

/** The unprivileged user tests run the binary as (nobody). */
export const NOBODY = 65534;

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export interface Tmpfs {
  dir: string;
  /** Remounts it read-only (or back). */
  remount(mode: 'ro' | 'rw'): void;
  unmount(): void;
}

/** Mounts a tmpfs of `size` (e.g. `2m`); returns the reason instead when this machine cannot. */
export function mountTmpfs(size: string): Tmpfs | string {
  if (!isRoot) return 'not root: cannot mount a tmpfs';
  const dir = join(tempDir('mailctl-tmpfs-'), 'mnt');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`;
  }
  let mounted = true;
  return {
    dir,
    remount(mode) {
      execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Fills the file system holding `dir` with one file until write(2) fails with ENOSPC, then gives
 * back `leaveBytes` (rounded to pages by the kernel). Returns the filler's path.
 */
export function fillDisk(dir: string, leaveBytes = 0): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      for (;;) {
        try {
          if (writeSync(fd, chunk) < size) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
    if (leaveBytes > 0) ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leaveBytes));
  } finally {
    closeSync(fd);
  }
  return path;
}
