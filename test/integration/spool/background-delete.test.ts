/**
 * Background deletion of delivered jobs (FileSpool.complete on a disk whose unlinks are slow):
 * done/ is the queue, so more delivered jobs than the in-memory queue holds are all deleted, none
 * is ever put back where a drain could claim it, and the event loop is never blocked by an unlink.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countFiles, tempSpool } from '../../helpers/spool.js';

describe('background deletion through done/', () => {
  it('deletes more delivered jobs than its queue holds, all of them, and none goes back to a claimable state', async () => {
    // every unlink counts as slow: the store switches to done/ after eight
    const store = tempSpool({ slowUnlinkMs: -1 });
    const total = 1_500;
    for (let i = 0; i < total; i++) {
      const path = join(store.dirs.active, `4242@test-host~job-${i}.json`);
      writeFileSync(path, '{}');
      // all in one turn of the event loop: the queue (1,000) fills and the rest wait in done/
      store.complete({ path, name: `job-${i}.json`, from: store.dirs.incoming });
    }
    expect(store.deletesInBackground).toBe(true);
    expect(countFiles(store.dirs.active)).toBe(0);
    await store.settled();
    expect(readdirSync(store.done)).toEqual([]);
    for (const dir of Object.values(store.dirs)) expect(countFiles(dir)).toBe(0);
  });

  it('ends when something in done/ cannot be deleted, and leaves it for the next drain', async () => {
    const store = tempSpool({ slowUnlinkMs: -1 });
    // a directory in done/ cannot be unlinked: listing done/ again must not go on for ever
    const stuck = join(store.done, 'stuck.json');
    mkdirSync(stuck);
    for (let i = 0; i < 1_200; i++) {
      const path = join(store.dirs.active, `4242@test-host~job-${i}.json`);
      writeFileSync(path, '{}');
      store.complete({ path, name: `job-${i}.json`, from: store.dirs.incoming });
    }
    await store.settled();
    expect(readdirSync(store.done)).toEqual(['stuck.json']);
  });
});
