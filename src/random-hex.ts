/**
 * Random hex for names that must not repeat (Message-IDs, MIME boundaries, temporary file names),
 * read from the kernel's generator, /dev/urandom, the source OpenSSL itself seeds from.
 *
 * Why not node:crypto's randomBytes: requiring node:crypto and its first randomBytes cost ~4 ms of
 * CPU per start here (it loads ~15 internal modules and seeds OpenSSL's generator), a tenth of a
 * `send`, for the ~30 bytes one mail needs. The bytes are read 4,096 at a time: once per
 * process for a `send`, once per ~170 mails for a drain. Where /dev/urandom cannot be read
 * (Windows, a chroot without /dev), they come from node:crypto.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

const BLOCK = 4096;
let pool: Buffer = Buffer.alloc(0);
let used = 0;

/** `bytes` random bytes as they came from `device`, or undefined when it cannot be read. */
export function readDevice(device: string, bytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(device, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(bytes);
    // A read of /dev/urandom returns what was asked up to 32 MB at a time; the loop is for a short one.
    for (let got = 0; got < bytes;) {
      const n = readSync(fd, buffer, got, bytes - got, null);
      if (n <= 0) return undefined;
      got += n;
    }
    return buffer;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const fromCrypto = (bytes: number): Buffer =>
  (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomBytes(bytes);

/** `bytes` random bytes as 2 × `bytes` lowercase hex digits; each byte is handed out once. */
export function randomHex(bytes: number, device = '/dev/urandom'): string {
  if (used + bytes > pool.length) {
    const size = Math.max(BLOCK, bytes);
    pool = readDevice(device, size) ?? fromCrypto(size);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  // Not kept around once handed out: a later name cannot be derived from an earlier one's bytes.
  pool.fill(0, used, used + bytes);
  used += bytes;
  return hex;
}
