#!/usr/bin/env node
// `queue status` on a Redis spool at scale (run through `npm run bench`, after the build): the
// built CLI against a redis-server of its own holding N incoming jobs (default 1,000,000), wall
// time, CPU time and peak RSS (GNU time), beside what reading every job would cost in the same
// run (one pipelined HGET of each job's type: the floor of an exact per-type count).
// The jobs are written the way BullMQ's addPrioritizedJob stores them (job hash + prioritized
// set), pipelined, 10,000 commands per round trip: BullMQ's own add is about 40x slower here.
// Usage: node bench/queue-redis.bench.js [N=1000000]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { newJobId } from '../dist/spool/job.js';

const N = Number(process.argv[2] ?? 1_000_000);
const QUEUE = 'bench';
const bin = fileURLToPath(new URL('../bin/mailctl.js', import.meta.url));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const TIME = ['/usr/bin/time', '/bin/time'].find((p) => existsSync(p));

if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.log('redis-server is not installed (apt-get install redis-server): skipped');
  process.exit(0);
}
const port = await new Promise((resolve) => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1', () => {
    const { port: p } = srv.address();
    srv.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'mailctl-bench-redis-'));
const server = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  { stdio: 'ignore' },
);
const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
try {
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  await redis.connect();
  const t0 = performance.now();
  const now = Date.now();
  const types = ['reset-password', 'email-code-login', 'change-email-completed', 'invite-member'];
  const prefix = `bull:${QUEUE}:`;
  for (let start = 0; start < N; start += 5_000) {
    const p = redis.pipeline();
    for (let i = start; i < Math.min(N, start + 5_000); i++) {
      const at = new Date(now - i).toISOString();
      const id = newJobId(now - i, randomBytes(10));
      const priority = 1 + (i % 3) * 4;
      const type = types[i % 4];
      const data = JSON.stringify({
        version: 1,
        id,
        type,
        to: `user${i}@example.com`,
        lang: 'en-US',
        vars: { email: `user${i}@example.com` },
        priority,
        createdAt: at,
        attempts: 0,
        nextAttemptAt: at,
        history: [],
      });
      const opts = JSON.stringify({ attempts: 1, delay: 0, priority: priority + 1, removeOnComplete: true });
      p.hset(
        `${prefix}${id}`,
        'name',
        type,
        'data',
        data,
        'opts',
        opts,
        'timestamp',
        now - i,
        'delay',
        0,
        'priority',
        priority + 1,
      );
      p.zadd(`${prefix}prioritized`, (priority + 1) * 0x100000000 + i, id);
    }
    await p.exec();
  }
  const mb = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]) / 2 ** 20;
  console.log(
    `(loaded ${fmt(N)} jobs in ${((performance.now() - t0) / 1000).toFixed(0)} s; Redis holds ${fmt(mb)} MB)`,
  );

  /** Reads every job's type, pipelined: what an exact per-type count costs. */
  async function readEveryType() {
    const c0 = process.cpuUsage();
    const t = performance.now();
    const counts = new Map();
    for (let start = 0; start < N; start += 10_000) {
      const ids = await redis.zrange(`${prefix}prioritized`, start, start + 9_999);
      const p = redis.pipeline();
      for (const id of ids) p.hget(`${prefix}${id}`, 'name');
      for (const [, name] of await p.exec()) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t) / 1000, cpu: (c.user + c.system) / 1e6, rssMb: undefined };
  }

  const env = {
    PATH: process.env.PATH ?? '',
    HOME: tmpdir(),
    NO_COLOR: '1',
    MAILCTL_SPOOL_URL: `redis://127.0.0.1:${port}/0?queue=${QUEUE}`,
  };
  function measure(args) {
    const argv = [process.execPath, bin, ...args];
    const r = TIME
      ? spawnSync(TIME, ['-f', '%e %U %S %M', ...argv], {
          encoding: 'utf8',
          env,
          maxBuffer: 1 << 24,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawnSync(argv[0], argv.slice(1), { env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
    if (!TIME) return undefined;
    const [wall, user, sys, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { wall, cpu: user + sys, rssMb: kb / 1024, out: r.stdout };
  }
  const line = (name, m, note = '') =>
    console.log(
      `  ${name.padEnd(52)} ${m ? `${m.wall.toFixed(2).padStart(6)} s wall  ${m.cpu.toFixed(2).padStart(6)} s CPU  ${m.rssMb === undefined ? '    -' : fmt(m.rssMb).padStart(5)} MB peak RSS` : '(no GNU time here: not measured)'}${m?.redisCpu === undefined ? '' : `  ${m.redisCpu.toFixed(2).padStart(5)} s Redis CPU`}${note}`,
    );
  const RUNS = Number(process.env.BENCH_QUEUE_RUNS ?? 3);
  const cases = [
    ['mailctl queue status', ['queue', 'status']],
    ['mailctl queue status --json', ['queue', 'status', '--json']],
    ['mailctl queue status --format prometheus', ['queue', 'status', '--format', 'prometheus']],
  ];
  const results = cases.map(() => []);
  const floor = [];
  /** Redis's own CPU seconds so far (user + sys): what a command costs the server. */
  const redisCpu = async () => {
    const info = await redis.info('cpu');
    return Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
  };
  for (let r = 0; r < RUNS; r++) {
    if (r === 0) floor.push(await readEveryType()); // tens of seconds at a million: once
    for (const [j, [, args]] of cases.entries()) {
      const before = await redisCpu();
      const m = measure(args);
      if (m) m.redisCpu = (await redisCpu()) - before;
      results[j].push(m);
    }
  }
  const median = (ms) => {
    if (ms.some((m) => m === undefined)) return undefined;
    const mid = (k) => [...ms].map((m) => m[k]).sort((a, b) => a - b)[Math.floor(ms.length / 2)];
    return {
      wall: mid('wall'),
      cpu: mid('cpu'),
      rssMb: ms[0].rssMb === undefined ? undefined : mid('rssMb'),
      redisCpu: ms[0].redisCpu === undefined ? undefined : mid('redisCpu'),
    };
  };
  console.log(
    `queue status on a Redis spool of ${fmt(N)} incoming jobs, median of ${RUNS} interleaved runs (target <= 2 s)`,
  );
  line('floor: read every job type (pipelined HGET, in-process, 1 run)', median(floor));
  cases.forEach(([name], j) => line(name, median(results[j])));
  const json = JSON.parse(results[1][0].out);
  console.log(
    `  incoming ${fmt(json.incoming)}; sampled ${fmt(json.sampled?.jobs ?? 0)} of ${fmt(json.sampled?.of ?? 0)} for ${(json.sampled?.estimated ?? []).join(', ') || 'nothing'}`,
  );
} finally {
  redis.disconnect();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
