/**
 * Background deletion of delivered jobs (FileSpool.complete on a disk): a delivered job is renamed
 * into done/ at once (never left where a drain could claim it) and deleted later, in batches;
 * done/ is the queue, so more delivered jobs than the in-memory queue holds are all deleted, and
 * settled() leaves done/ empty. On a memory file system a delivered job is unlinked at once.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DELETE_BATCH, onMemoryFileSystem, type FileSpool } from '../../../src/spool/file/store.js';
import { countFiles, tempSpool } from '../../helpers/spool.js';

/** Delivers `n` fake claimed jobs through store.complete(), in one turn of the event loop. */
function completeMany(store: FileSpool, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    const path = join(store.dirs.active, `4242@test-host~job-${i}.json`);
    writeFileSync(path, '{"to":"someone@example.com"}');
    store.complete({ path, name: `job-${i}.json`, from: store.dirs.incoming });
  }
}

/** Waits (generously: a loaded machine) until `done()` holds; false when it never did. */
async function eventually(done: () => boolean, ms = 20_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20)))
    if (done()) return true;
  return done();
}

/** The file system type of the mount that holds `path`, from /proc/mounts (undefined off Linux). */
function mountTypeOf(path: string): string | undefined {
  if (!existsSync('/proc/mounts')) return undefined;
  const real = realpathSync(path);
  let best: { at: string; type: string } | undefined;
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, at, type] = line.split(' ');
    if (!at || !type) continue;
    const inside = real === at || real.startsWith(at.endsWith('/') ? at : `${at}/`);
    if (inside && (!best || at.length >= best.at.length)) best = { at, type };
  }
  return best?.type;
}

describe('background deletion through done/', () => {
  it('deletes more delivered jobs than its queue holds, all of them, and none goes back to a claimable state', async () => {
    const store = tempSpool({ deleteInBackground: true });
    const total = 1_500;
    // all in one turn of the event loop: the queue (1,000) fills and the rest wait in done/
    completeMany(store, total);
    expect(store.deletesInBackground).toBe(true);
    expect(countFiles(store.dirs.active)).toBe(0);
    await store.settled();
    expect(readdirSync(store.done)).toEqual([]);
    for (const dir of Object.values(store.dirs)) expect(countFiles(dir)).toBe(0);
  });

  it('keeps fewer than a batch in done/ until settled(), which deletes them all', async () => {
    const store = tempSpool({ deleteInBackground: true });
    completeMany(store, DELETE_BATCH - 1);
    // a few turns of the event loop: nothing is deleted one by one
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(countFiles(store.done)).toBe(DELETE_BATCH - 1);
    expect(countFiles(store.dirs.active)).toBe(0);
    await store.settled();
    expect(countFiles(store.done)).toBe(0);
  });

  it('deletes a full batch without being asked, while later jobs wait for the next', async () => {
    const store = tempSpool({ deleteInBackground: true });
    completeMany(store, DELETE_BATCH);
    completeMany(store, 3, DELETE_BATCH);
    expect(await eventually(() => countFiles(store.done) === 3)).toBe(true);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(countFiles(store.done)).toBe(3);
    store.flushDeletes();
    expect(await eventually(() => countFiles(store.done) === 0)).toBe(true);
    await store.settled();
  });

  it('ends when something in done/ cannot be deleted, and leaves it for the next drain', async () => {
    const store = tempSpool({ deleteInBackground: true });
    // a directory in done/ cannot be unlinked: listing done/ again must not go on for ever
    const stuck = join(store.done, 'stuck.json');
    mkdirSync(stuck);
    completeMany(store, 1_200);
    await store.settled();
    expect(readdirSync(store.done)).toEqual(['stuck.json']);
  });

  it('on a memory file system unlinks a delivered job at once, and goes through done/ on any other', async () => {
    const memory = existsSync('/dev/shm') && mountTypeOf('/dev/shm') === 'tmpfs' ? '/dev/shm' : undefined;
    if (!memory) console.log('skipped the memory half: /dev/shm is not a tmpfs here');
    else {
      const store = tempSpool({ base: memory });
      expect(onMemoryFileSystem(store.root)).toBe(true);
      expect(store.deletesInBackground).toBe(false);
      try {
        completeMany(store, 3);
        expect(countFiles(store.done)).toBe(0);
        expect(countFiles(store.dirs.active)).toBe(0);
      } finally {
        rmSync(dirname(store.root), { recursive: true, force: true }); // memory, not a temp dir
      }
    }
    const type = mountTypeOf(tmpdir());
    if (type === undefined || type === 'tmpfs' || type === 'ramfs')
      return console.log(`skipped the disk half: the temp dir is on ${type ?? 'an unknown file system'}`);
    const store = tempSpool();
    expect(onMemoryFileSystem(store.root)).toBe(false);
    expect(store.deletesInBackground).toBe(true);
    completeMany(store, 3);
    expect(countFiles(store.done)).toBe(3);
    await store.settled();
    expect(countFiles(store.done)).toBe(0);
  });
});
