#!/usr/bin/env node
// `queue status` and `queue list` at scale (run through `npm run bench`, after the build): the
// built CLI on a file spool of a million jobs in incoming/, wall time, CPU time and peak RSS of
// each (GNU time), beside two floors measured in the same run: a bare streaming directory read
// that only counts names (opendir), and readdirSync of the same directory (the listing held in
// memory at once, as `queue status` did before it streamed).
// The spool is one real job file hard-linked under a million canonical names (link(2) is one
// system call, writing a million files is minutes here); status reads names only, list opens,
// reads and parses every file as it would distinct ones.
// Usage: node bench/queue.bench.js [N=1000000]   BENCH_QUEUE_DIR=DIR reuses (or keeps) a spool.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { nameOf, newJobId, serializeJob } from '../dist/spool/job.js';
import { FileSpool } from '../dist/spool/file/store.js';

const N = Number(process.argv[2] ?? 1_000_000);
const bin = fileURLToPath(new URL('../bin/mailctl.js', import.meta.url));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const TIME = ['/usr/bin/time', '/bin/time'].find((p) => existsSync(p));

const keep = process.env.BENCH_QUEUE_DIR;
const root = keep ?? join(mkdtempSync(join(tmpdir(), 'mailctl-bench-')), 'spool');
const store = new FileSpool(root);
store.ensure();
const have = readdirSync(store.dirs.incoming).length;
if (have !== N) {
  if (have > 0) throw new Error(`${root} holds ${have} jobs, not ${N}: remove it or unset BENCH_QUEUE_DIR`);
  const t0 = performance.now();
  const now = Date.now();
  const types = ['reset-password', 'email-code-login', 'change-email-completed', 'invite-member'];
  const model = {
    version: 1,
    type: types[0],
    to: 'user@example.com',
    lang: 'en-US',
    vars: { email: 'user@example.com' },
  };
  // ext4 allows 65,000 links to one file: a new model file every 60,000 names
  let source;
  for (let i = 0; i < N; i++) {
    if (i % 60_000 === 0) {
      source = join(store.tmp, `model-${i}.json`);
      const at = new Date(now).toISOString();
      const id = newJobId(now, randomBytes(10));
      writeFileSync(
        source,
        serializeJob({ ...model, id, priority: 5, createdAt: at, attempts: 0, nextAttemptAt: at, history: [] }),
      );
    }
    const at = new Date(now - i).toISOString();
    const job = {
      id: newJobId(now - i, randomBytes(10)),
      type: types[i % 4],
      priority: 1 + (i % 3) * 4,
      nextAttemptAt: at,
    };
    linkSync(source, join(store.dirs.incoming, nameOf(job)));
  }
  for (const f of readdirSync(store.tmp)) rmSync(join(store.tmp, f));
  console.log(`(made ${fmt(N)} jobs in ${((performance.now() - t0) / 1000).toFixed(0)} s at ${root})`);
}

/** Runs a command under GNU time: wall s, user+sys CPU s, peak RSS MB. */
function measure(args, { node = false } = {}) {
  const argv = node ? [process.execPath, ...args] : [process.execPath, bin, ...args];
  const r = TIME
    ? spawnSync(TIME, ['-f', '%e %U %S %M', ...argv], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  if (!TIME) return undefined;
  const [wall, user, sys, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: kb / 1024 };
}
const line = (name, m, note = '') =>
  console.log(
    `  ${name.padEnd(44)} ${m ? `${m.wall.toFixed(2).padStart(6)} s wall  ${m.cpu.toFixed(2).padStart(6)} s CPU  ${fmt(m.rssMb).padStart(5)} MB peak RSS` : '(no GNU time here: not measured)'}${note}`,
  );

const floor = (how) => [
  '-e',
  how === 'opendir'
    ? `const d=require('fs').opendirSync(${JSON.stringify(store.dirs.incoming)});let n=0;while(d.readSync())n++;d.closeSync()`
    : `require('fs').readdirSync(${JSON.stringify(store.dirs.incoming)}).length`,
];
const RUNS = Number(process.env.BENCH_QUEUE_RUNS ?? 3);
const median = (ms) => {
  if (ms.some((m) => m === undefined)) return undefined;
  const mid = (k) => [...ms].map((m) => m[k]).sort((a, b) => a - b)[Math.floor(ms.length / 2)];
  return { wall: mid('wall'), cpu: mid('cpu'), rssMb: mid('rssMb') };
};
const cases = [
  ['floor: count names, opendir (node -e)', floor('opendir'), { node: true }],
  ['floor: readdirSync, names held (node -e)', floor('readdir'), { node: true }],
  ['mailctl queue status', ['queue', 'status', '--spool', root]],
  ['mailctl queue status --json', ['queue', 'status', '--json', '--spool', root]],
  ['mailctl queue status --format prometheus', ['queue', 'status', '--format', 'prometheus', '--spool', root]],
];
const results = cases.map(() => []);
for (let r = 0; r < RUNS; r++) cases.forEach(([, args, o], j) => results[j].push(measure(args, o)));
console.log(
  `queue status on ${fmt(N)} jobs in incoming/, median of ${RUNS} interleaved runs (target <= 2 s, <= 150 MB RSS)`,
);
cases.forEach(([name], j) => line(name, median(results[j])));
// queue list reads, parses and prints every job: its floor reads and parses every file, in order.
line(
  'floor: read + JSON.parse every job (node -e, 1 run)',
  measure(
    [
      '-e',
      `const fs=require('fs');const d=fs.opendirSync(${JSON.stringify(store.dirs.incoming)});let n=0;for(let e;(e=d.readSync());)n+=JSON.parse(fs.readFileSync(${JSON.stringify(store.dirs.incoming)}+'/'+e.name,'utf8')).attempts+1;d.closeSync()`,
    ],
    { node: true },
  ),
);
line(
  'mailctl queue list --json > /dev/null (1 run)',
  measure(['queue', 'list', '--json', '--spool', root]),
  ' (reads every job)',
);
if (!keep) rmSync(join(root, '..'), { recursive: true, force: true });
