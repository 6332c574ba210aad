#!/usr/bin/env node
// The file spool's own cost on a disk beside a memory file system, in one run on one sink:
// `mailctl drain --workers 1` (the built CLI, start-up included) of N fsynced jobs written by
// enqueue (reset-password, zh-CN) into Postfix's smtp-sink, with the spool in each directory
// given (default: the temp dir, usually a disk, and /dev/shm, a tmpfs). The difference between
// the two is what the spool's file work costs on the disk: claim and done/ renames, unlinks, the
// journal. Interleaved rounds; medians of wall time and CPU (user + sys, GNU time).
// Usage: node bench/spool-disk.bench.js [N=2000] [ROUNDS=3] [DIR,DIR...]
import { existsSync, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSink } from './sink.js';
import { bin, fillSpool, median, sinkEnv, timed } from './spool-drain.js';

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);
const DIRS = (process.argv[4]?.split(',') ?? [tmpdir(), '/dev/shm']).filter((d) => {
  if (existsSync(d)) return true;
  console.log(`${d}: not here, skipped`);
  return false;
});
const kind = (dir) => ({ 0x01021994: 'tmpfs', 0x858458f6: 'ramfs', 0xef53: 'ext4' })[statfsSync(dir).type] ?? 'disk';

const { port, stop } = await startSink();
const env = sinkEnv(port);

async function drainIn(base) {
  const dir = mkdtempSync(join(base, 'mailctl-bench-'));
  const spoolDir = join(dir, 'spool');
  try {
    await fillSpool(spoolDir, N, env);
    const r = timed([process.execPath, bin, 'drain', '--json', '--workers', '1', '--spool', spoolDir], env);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop());
    if (summary.delivered !== N) throw new Error(`drain delivered ${summary.delivered} of ${N}`);
    // a one-shot drain deletes what it delivered before it exits
    const left = readdirSync(join(spoolDir, 'done')).length;
    if (left !== 0) throw new Error(`drain left ${left} delivered jobs in done/`);
    return { seconds: r.seconds, cpu: r.cpuSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = DIRS.map(() => []);
for (let r = 0; r < ROUNDS; r++)
  for (let k = 0; k < DIRS.length; k++) {
    const j = (k + r) % DIRS.length; // no directory always runs first
    runs[j].push(await drainIn(DIRS[j]));
  }
console.log(`mailctl drain --workers 1 of ${N} fsynced jobs, median of ${ROUNDS} interleaved rounds`);
DIRS.forEach((dir, j) => {
  const wall = median(runs[j].map((x) => x.seconds));
  const cpu = median(runs[j].map((x) => x.cpu));
  console.log(
    `  ${`${dir} (${kind(dir)})`.padEnd(24)} wall ${wall.toFixed(2)} s  CPU ${cpu.toFixed(2)} s  ${((1000 * wall) / N).toFixed(3)} ms/job wall`,
  );
});
stop();
