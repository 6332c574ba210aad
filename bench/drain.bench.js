#!/usr/bin/env node
// Drain speed and memory (run through `npm run bench`, after the build).
// 1. msg/s of drain() (claim, read, parse, render, compose, build MIME, send over a pooled SMTP
//    provider, mark delivered) beside a raw pooled nodemailer loop that sends the same
//    pre-rendered messages (the same OutgoingMessage fields, MIME built by nodemailer) with the
//    same concurrency and pool size to the same sink, interleaved in one run; medians.
// 2. peak RSS (sampled every 50 ms) and peak heap (after gc, with --expose-gc) while draining
//    spools of 10k and 100k jobs, to show memory flat in N.
// The sink is a minimal SMTP responder in a child process (smtp-server tops out near 10k msg/s
// and would share our CPU); it accepts everything and keeps nothing.
// Usage: node --expose-gc bench/drain.bench.js [N=2000] [BIG=100000]
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { loadConfig } from '../dist/config/index.js';
import { systemClock } from '../dist/context.js';
import { createProvider } from '../dist/providers/index.js';
import { smtpTransportOptions } from '../dist/providers/smtp.js';
import { buildMime } from '../dist/providers/mime.js';
import { drain } from '../dist/spool/file/drain.js';
import { enqueueJob } from '../dist/spool/enqueue.js';
import { nameOf, newJobId, serializeJob } from '../dist/spool/job.js';
import { createPrepare } from '../dist/spool/prepare.js';
import { FileSpool } from '../dist/spool/file/store.js';
import { randomBytes } from 'node:crypto';

const N = Number(process.argv[2] ?? 2000);
const BIG = Number(process.argv[3] ?? 100_000);
const CONCURRENCY = 5;
const FROM = 'App <app@example.com>';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;

// --- the sink --------------------------------------------------------------------------------
const SINK = fileURLToPath(new URL('./smtp-sink.cjs', import.meta.url));
const sink = spawn(process.execPath, [SINK], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise((resolve) => sink.once('message', resolve));

const { config } = await loadConfig({
  cwd: tmpdir(),
  env: {
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    MAIL_DEFAULT_SEND_FROM: FROM,
    SMTP_POOL_SIZE: String(CONCURRENCY),
  },
});
const clock = systemClock();
const prepare = createPrepare({ config, defaultFrom: FROM, clock });
const policy = { maxAttempts: 8, minBackoffMs: 30_000, maxBackoffMs: 3_600_000, maxLifetimeMs: 5 * 86_400_000 };
const request = (i) => ({
  type: 'change-email-completed',
  to: `user${i}@example.com`,
  vars: { email: `user${i}@example.com` },
});

/** A spool of n jobs written by the real enqueue (validated, fsynced). */
async function durableSpool(n) {
  const root = join(mkdtempSync(join(tmpdir(), 'mailctl-bench-')), 'spool');
  const jobs = [];
  for (let i = 0; i < n; i++)
    jobs.push((await enqueueJob(request(i), { config, spoolDir: root, defaultFrom: FROM, clock })).job);
  return { store: new FileSpool(root), jobs };
}

/** A big spool written quickly: the same job files, without fsync (we measure drain, not enqueue). */
function quickSpool(n) {
  const root = join(mkdtempSync(join(tmpdir(), 'mailctl-bench-')), 'spool');
  const store = new FileSpool(root);
  store.ensure();
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const id = newJobId(now, randomBytes(10));
    const job = {
      version: 1,
      id,
      type: 'change-email-completed',
      to: `user${i}@example.com`,
      lang: 'en-US',
      vars: { email: `user${i}@example.com` },
      priority: 5,
      createdAt: new Date(now).toISOString(),
      attempts: 0,
      nextAttemptAt: new Date(now).toISOString(),
      history: [],
      messageId: `<${id.toLowerCase()}@example.com>`,
    };
    writeFileSync(join(store.dirs.incoming, nameOf(job)), serializeJob(job), { mode: 0o600 });
  }
  return store;
}

async function runDrain(store) {
  const provider = await createProvider(config, { cwd: tmpdir(), clock, pool: true });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await drain({
    store,
    provider,
    prepare,
    policy,
    clock,
    random: Math.random,
    signal: new AbortController().signal,
    claimer: { pid: process.pid, host: 'bench' },
    concurrency: CONCURRENCY,
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await provider.close();
  if (summary.delivered === 0) throw new Error(`drain delivered nothing: ${JSON.stringify(summary)}`);
  return { rate: summary.delivered / (ms / 1000), cpuUs: (cpu.user + cpu.system) / summary.delivered, summary };
}

/**
 * `fields`: nodemailer builds the MIME from the message fields (the baseline).
 * `mime`: the MIME is built by providers/mime.ts buildMime, then sent raw, as mailctl's smtp
 * provider does: the difference to `fields` is what mailctl's MIME builder saves; drain() minus
 * this loop is the spool's own cost.
 */
async function runRaw(jobs, mode = 'fields') {
  const messages = jobs.map((j) => prepare(j)); // pre-rendered: the same messages drain builds
  const transport = nodemailer.createTransport({ ...smtpTransportOptions(config, true), pool: true });
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < messages.length) {
        const m = messages[next++];
        if (mode === 'mime') {
          await transport.sendMail({
            envelope: { from: m.from.address, to: m.to.map((t) => t.address) },
            raw: await buildMime(m),
          });
          continue;
        }
        await transport.sendMail({
          from: m.from.name ? { name: m.from.name, address: m.from.address } : m.from.address,
          to: m.to.map((t) => t.address),
          subject: m.subject,
          text: m.text,
          html: m.html,
          messageId: m.messageId,
          date: m.date,
          headers: m.headers,
        });
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  transport.close();
  return { rate: messages.length / (ms / 1000), cpuUs: (cpu.user + cpu.system) / messages.length };
}

// --- 1. throughput, interleaved ---------------------------------------------------------------
const ROUNDS = 5;
const drainRuns = [];
const rawRuns = [];
const mimeRuns = [];
await runRaw((await durableSpool(50)).jobs); // warm both paths
await runDrain((await durableSpool(50)).store);
for (let r = 0; r < ROUNDS; r++) {
  const { store, jobs } = await durableSpool(N);
  // alternate which goes first, so that neither always runs on a disk still busy with the fill
  if (r % 2 === 0) {
    rawRuns.push(await runRaw(jobs));
    mimeRuns.push(await runRaw(jobs, 'mime'));
    drainRuns.push(await runDrain(store));
  } else {
    drainRuns.push(await runDrain(store));
    mimeRuns.push(await runRaw(jobs, 'mime'));
    rawRuns.push(await runRaw(jobs));
  }
  rmSync(join(store.root, '..'), { recursive: true, force: true });
}
const d = median(drainRuns.map((x) => x.rate));
const raw = median(rawRuns.map((x) => x.rate));
const dCpu = median(drainRuns.map((x) => x.cpuUs));
const rawCpu = median(rawRuns.map((x) => x.cpuUs));
console.log(
  `raw pooled nodemailer loop:  ${fmt(raw)} msg/s, ${fmt(rawCpu)} µs CPU/msg (${N} messages, concurrency ${CONCURRENCY}, pool ${CONCURRENCY}; runs: ${rawRuns.map((x) => fmt(x.rate)).join(', ')})`,
);
const mime = median(mimeRuns.map((x) => x.rate));
const mimeCpu = median(mimeRuns.map((x) => x.cpuUs));
console.log(
  `same loop, buildMime + raw:  ${fmt(mime)} msg/s, ${fmt(mimeCpu)} µs CPU/msg (MIME built as mailctl's smtp provider builds it; runs: ${mimeRuns.map((x) => fmt(x.rate)).join(', ')})`,
);
console.log(
  `mailctl drain():             ${fmt(d)} msg/s, ${fmt(dCpu)} µs CPU/msg (${N} fsynced jobs, same sink and pool; runs: ${drainRuns.map((x) => fmt(x.rate)).join(', ')})`,
);
console.log(
  `drain / raw:                 ${(d / raw).toFixed(2)}x by wall time, ${(rawCpu / dCpu).toFixed(2)}x by CPU per message (target >= 0.90x)`,
);
console.log(
  `drain / buildMime loop:      ${(d / mime).toFixed(2)}x by wall time, ${(mimeCpu / dCpu).toFixed(2)}x by CPU per message (the spool's own cost)`,
);

// --- 2. memory, flat in N ---------------------------------------------------------------------
/** Accepts every message at once: the memory runs measure the spool and the drain loop, not SMTP. */
const nullProvider = {
  name: 'null',
  send: async (m) => ({ provider: 'null', messageId: m.messageId, accepted: m.to.map((t) => t.address), rejected: [] }),
  close: async () => {},
};

async function memory(n, kind) {
  const store = quickSpool(n);
  globalThis.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let peakLive = base.heapUsed;
  let ticks = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    // every second: the live heap, after a full collection (what the drain really holds)
    if (globalThis.gc && ++ticks % 20 === 0) {
      globalThis.gc();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
    }
  }, 50);
  const provider = kind === 'smtp' ? await createProvider(config, { cwd: tmpdir(), clock, pool: true }) : nullProvider;
  const t0 = performance.now();
  const summary = await drain({
    store,
    provider,
    prepare,
    policy,
    clock,
    random: Math.random,
    signal: new AbortController().signal,
    claimer: { pid: process.pid, host: 'bench' },
    concurrency: CONCURRENCY,
  });
  const s = (performance.now() - t0) / 1000;
  clearInterval(timer);
  await provider.close();
  rmSync(join(store.root, '..'), { recursive: true, force: true });
  console.log(
    `memory, ${fmt(n).padStart(7)} jobs, ${kind.padEnd(4)}: peak RSS ${mb(peakRss)} (+${mb(peakRss - base.rss)}), peak heap ${mb(peakHeap)} (+${mb(peakHeap - base.heapUsed)}), live heap after gc ${mb(peakLive)} (+${mb(peakLive - base.heapUsed)}); ${fmt(summary.delivered)} in ${s.toFixed(1)} s (${fmt(summary.delivered / s)} msg/s)`,
  );
}
console.log(
  '(memory runs: job files written without fsync; "null" = a provider that accepts at once, every other step real: claim, read, parse, render, compose, mark delivered, delete)',
);
await memory(Math.min(10_000, BIG), 'smtp');
await memory(Math.min(10_000, BIG), 'null');
if (BIG > 10_000) await memory(BIG, 'null');

sink.kill();
