/**
 * Whole files or none: the write loop with an injected short write (write(2) may return fewer
 * bytes than asked; before the fix the rest was silently dropped), a write that makes no
 * progress, and /dev/full, the kernel's own always-full device.
 */
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAllSync, writeNewFile, writeNewFileSync, type WriteFn } from '../../src/durable-write.js';
import { fileSystemError, isFileSystemError } from '../../src/errors.js';
import { parseJob, serializeJob, type Job } from '../../src/spool/job.js';
import { FileSpool } from '../../src/spool/file/store.js';

/** A write(2) that never writes more than `max` bytes at once, recording each call's length. */
function shortWrites(max: number, calls: number[] = []): WriteFn {
  return (fd, buffer, offset, length) => {
    calls.push(length);
    return writeSync(fd, buffer, offset, Math.min(max, length));
  };
}

const job: Job = {
  version: 1,
  id: '01JDQ3V4Z5X6Y7W8V9T0S1R2Q3',
  type: 'custom',
  to: 'user@example.com',
  vars: { subject: 'Hello', body: 'é'.repeat(10_000) },
  priority: 5,
  createdAt: '2026-12-01T21:00:00.000Z',
  attempts: 0,
  nextAttemptAt: '2026-12-01T21:00:00.000Z',
  history: [],
};

describe('writeAllSync', () => {
  it('loops over short writes until every byte is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailctl-write-'));
    const path = join(dir, 'f');
    const calls: number[] = [];
    const data = serializeJob(job);
    writeNewFileSync(path, data, shortWrites(4096, calls));
    expect(readFileSync(path, 'utf8')).toBe(data);
    expect(calls.length).toBe(Math.ceil(Buffer.byteLength(data) / 4096));
  });

  it('fails on a write that makes no progress, and leaves no file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailctl-write-'));
    const path = join(dir, 'f');
    let n = 0;
    const stalls: WriteFn = (fd, buffer, offset) => (n++ === 0 ? writeSync(fd, buffer, offset, 100) : 0);
    let thrown: unknown;
    try {
      writeNewFileSync(path, 'x'.repeat(1000), stalls);
    } catch (err) {
      thrown = err;
    }
    expect(isFileSystemError(thrown)).toBe(true);
    expect((thrown as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect((thrown as NodeJS.ErrnoException).path).toBe(path);
    expect(existsSync(path)).toBe(false);
  });

  it('/dev/full: ENOSPC, which the error table makes exit 75 with a hint', () => {
    const fd = openSync('/dev/full', 'w');
    let thrown: unknown;
    try {
      writeAllSync(fd, 'a job', undefined, '/dev/full');
    } catch (err) {
      thrown = err;
    } finally {
      closeSync(fd);
    }
    expect((thrown as NodeJS.ErrnoException).code).toBe('ENOSPC');
    const err = fileSystemError(thrown as NodeJS.ErrnoException, 'the spool');
    expect(err.exitCode).toBe(75);
    expect(err.message).toBe('cannot write the spool /dev/full: the disk is full (ENOSPC)');
    expect(err.hint).toMatch(/free space/);
  });
});

describe('writeNewFile (asynchronous, on node:fs callbacks)', () => {
  it('creates the file 0600 with every byte', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mailctl-write-')), 'f');
    const data = serializeJob(job);
    await writeNewFile(path, data);
    expect(readFileSync(path, 'utf8')).toBe(data);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a name that exists (EEXIST) and leaves that file as it was', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mailctl-write-')), 'f');
    writeFileSync(path, 'the only copy');
    const err = await writeNewFile(path, 'other bytes').catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(readFileSync(path, 'utf8')).toBe('the only copy');
  });
});

describe('FileSpool with short writes', () => {
  it('a rewrite on settle is whole: the deferred job parses with every byte of its body', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'mailctl-spool-')), 'spool');
    const store = new FileSpool(root, { write: shortWrites(1000) });
    store.ensure();
    const tmp = store.writeTmpSync(serializeJob(job));
    const claimed = join(store.dirs.active, `1@h~x.json`);
    writeNewFileSync(claimed, readFileSync(tmp));
    const next = { ...job, attempts: 1, nextAttemptAt: '2026-12-01T21:05:00.000Z' };
    const dest = store.settle({ path: claimed, name: 'x.json', from: store.dirs.incoming }, next, 'deferred');
    const parsed = parseJob(readFileSync(dest, 'utf8'));
    expect(parsed.ok && parsed.job.attempts).toBe(1);
    expect(parsed.ok && parsed.job.vars.body).toBe(job.vars.body);
    expect(readdirSync(store.tmp)).toEqual([tmp.slice(tmp.lastIndexOf('/') + 1)]);
  });

  it('a failed rewrite leaves the previous copy in place and no temp file', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'mailctl-spool-')), 'spool');
    const full: WriteFn = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    };
    const store = new FileSpool(root, { write: full });
    store.ensure();
    const claimed = join(store.dirs.active, `1@h~x.json`);
    writeNewFileSync(claimed, serializeJob(job));
    const claim = { path: claimed, name: 'x.json', from: store.dirs.incoming };
    expect(() => store.settle(claim, { ...job, attempts: 1 }, 'deferred')).toThrow(/ENOSPC/);
    expect(readFileSync(claimed, 'utf8')).toBe(serializeJob(job));
    expect(readdirSync(store.tmp)).toEqual([]);
  });
});
