/**
 * readEntry on real files: a job file is read whole whatever its size (the read loop stops at the
 * size fstat saw instead of asking the kernel for an end-of-file it already knows), and the size
 * limit holds at its boundary.
 */
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEntry } from '../../../src/spool/file/store.js';

const dir = mkdtempSync(join(tmpdir(), 'mailctl-read-entry-'));

describe('readEntry', () => {
  it.each([0, 1, 2, 4095, 4096, 4097, 65_536, 1_000_003])('reads a %i-byte file whole, byte for byte', (size) => {
    const path = join(dir, `job-${size}.json`);
    // multi-byte UTF-8 (the zh-CN jobs) on a non-round size: a cut anywhere would show
    const text = '{"subject":"重置密码"}'.repeat(Math.ceil(size / 20) + 1);
    const bytes = Buffer.from(text, 'utf8').subarray(0, size);
    writeFileSync(path, bytes);
    const r = readEntry(path, 10 * 1024 * 1024);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.text).toBe(bytes.toString('utf8'));
  });

  it('reads a file of exactly the limit, and sets aside one byte over it', () => {
    const path = join(dir, 'limit.json');
    writeFileSync(path, '');
    truncateSync(path, 1000);
    expect(readEntry(path, 1000)).toMatchObject({ ok: true });
    truncateSync(path, 1001);
    expect(readEntry(path, 1000)).toEqual({ ok: false, reason: '1001 bytes, larger than MAILCTL_MAX_JOB_SIZE (1000)' });
  });
});
