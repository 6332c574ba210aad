#!/usr/bin/env node
// The Redis spool's speed (run through `npm run bench`, after the build), in one run on one sink:
// 1. enqueue rate (jobs/s) of the library path (validate, render, compose, write) into the file
//    spool (fsync per job) and into Redis (one BullMQ add per job; AOF with appendfsync everysec);
// 2. drain throughput (msg/s, wall time from spawn to exit) of `mailctl drain` with 1, 2 and 4
//    drainer processes on one Redis, beside 1 drain process on the file spool.
// Starts its own redis-server (127.0.0.1, free port, temp dir) and a minimal SMTP sink in a child
// process, and stops both. Usage: node bench/redis.bench.js [N=2000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../dist/config/index.js';
import { systemClock } from '../dist/context.js';
import { openSpool } from '../dist/spool/backend.js';
import { enqueueJob } from '../dist/spool/enqueue.js';

const N = Number(process.argv[2] ?? 2000);
const FROM = 'App <app@example.com>';
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mailctl.js');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.log('redis-server is not installed (apt-get install redis-server): skipped');
  process.exit(0);
}

const SINK = fileURLToPath(new URL('./smtp-sink.cjs', import.meta.url));

async function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

const sink = spawn(process.execPath, [SINK], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const smtpPort = await new Promise((resolve) => sink.once('message', resolve));
const redisPort = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), 'mailctl-bench-redis-'));
const redis = spawn(
  'redis-server',
  [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--dir',
    redisDir,
  ],
  { stdio: 'ignore' },
);
await waitForPort(redisPort);

const env = (url, dir) => ({
  PATH: process.env.PATH ?? '',
  HOME: tmpdir(),
  NO_COLOR: '1',
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: String(smtpPort),
  MAIL_DEFAULT_SEND_FROM: FROM,
  ...(url ? { MAILCTL_SPOOL_URL: url } : { MAILCTL_SPOOL_DIR: dir }),
});
const clock = systemClock();
const request = (i) => ({
  type: 'change-email-completed',
  to: `user${i}@example.com`,
  vars: { email: `user${i}@example.com` },
});

/** Fills a spool through the library path; returns jobs/s. */
async function fill(url, dir) {
  const { config } = await loadConfig({ cwd: tmpdir(), env: env(url, dir) });
  const backend = await openSpool(config, tmpdir());
  const t0 = performance.now();
  for (let i = 0; i < N; i++)
    await enqueueJob(request(i), { config, spoolDir: dir ?? '', backend, defaultFrom: FROM, clock });
  const ms = performance.now() - t0;
  await backend.close();
  return (N * 1000) / ms;
}

/** k `mailctl drain` processes at once; returns msg/s over the wall time. */
async function drainWith(k, url, dir) {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from(
      { length: k },
      () =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, [BIN, 'drain', '--json', '--concurrency', '5'], {
            env: env(url, dir),
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
          child.on('close', (code) => resolve({ code, summary: code === 0 ? JSON.parse(out) : undefined }));
        }),
    ),
  );
  const ms = performance.now() - t0;
  const delivered = results.reduce((n, r) => n + (r.summary?.delivered ?? 0), 0);
  if (delivered !== N || results.some((r) => r.code !== 0))
    throw new Error(`drain with ${k}: delivered ${delivered} of ${N}`);
  return (N * 1000) / ms;
}

const rows = [];
try {
  const fileDir = join(mkdtempSync(join(tmpdir(), 'mailctl-bench-')), 'spool');
  const fileEnqueue = await fill(undefined, fileDir);
  const fileDrain = await drainWith(1, undefined, fileDir);
  rmSync(dirname(fileDir), { recursive: true, force: true });
  rows.push(['file spool', 1, fileEnqueue, fileDrain]);
  for (const k of [1, 2, 4]) {
    const url = `redis://127.0.0.1:${redisPort}/0?queue=bench${k}`;
    const enq = await fill(url);
    rows.push([`redis`, k, enq, await drainWith(k, url)]);
  }
  console.log(
    `${N} jobs per run; drain = wall time from spawning the drainer processes to their exit (startup included); 2 cores`,
  );
  console.log('backend      drainers   enqueue jobs/s   drain msg/s');
  for (const [name, k, enq, dr] of rows)
    console.log(`${name.padEnd(12)} ${String(k).padStart(8)}   ${fmt(enq).padStart(14)}   ${fmt(dr).padStart(11)}`);
} finally {
  redis.kill('SIGTERM');
  sink.kill('SIGTERM');
  rmSync(redisDir, { recursive: true, force: true });
}
