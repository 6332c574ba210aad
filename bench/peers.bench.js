#!/usr/bin/env node
// mailctl drain against real peers, in one run on one sink (run through `npm run bench`):
//   - the Dify-style Python sender (bench/dify-sender.py: stdlib smtplib, a new connection per
//     message, an HTML-only MIMEMultipart of ~5 KB, a Chinese subject), the system mailctl replaces;
//   - Postfix's smtp-source (5 sessions, a new connection per message, and 5 reused connections:
//     the wire's ceiling here);
//   - `mailctl drain` as an operator runs it: the built CLI, on N fsynced jobs written by enqueue
//     (reset-password, zh-CN), process start-up included; one process, two, and the default (one
//     worker per CPU but one, as the due jobs pay for: src/spool/workers.ts).
// All of them send to Postfix's smtp-sink (started here, killed here by PID; no Postfix daemon is
// ever involved). Where smtp-sink is missing the bench says so and uses bench/smtp-sink.cjs.
// Figures: msg/s (wall), CPU ms per message (user + sys of the sender, from GNU time or
// getrusage), ratios; medians of ROUNDS interleaved rounds.
// Usage: node bench/peers.bench.js [N=2000] [ROUNDS=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSink, which } from './sink.js';
import { bin, fillSpool, median, sinkEnv, timed } from './spool-drain.js';

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);
// Without arguments, a second, larger backlog too: how much of the gap is per-process warm-up.
const LARGER = process.argv[2] === undefined ? { n: 4 * N, rounds: 2 } : undefined;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// --- the sink ---------------------------------------------------------------------------------
const { port, stop: stopSink } = await startSink();

// --- the senders ------------------------------------------------------------------------------
function python(N) {
  const r = timed(['python3', here('./dify-sender.py'), '127.0.0.1', String(port), String(N)]);
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  return { rate: j.sent / j.seconds, cpuMs: (j.cpu_seconds * 1000) / j.sent };
}

function smtpSource(N, reuse) {
  const SOURCE = which('smtp-source');
  if (!SOURCE) return undefined;
  const args = ['-s', '5', '-l', '5120', '-m', String(N), '-f', 'app@example.com', '-t', 'user@example.com'];
  if (reuse) args.unshift('-d');
  const r = timed([SOURCE, ...args, `127.0.0.1:${port}`]);
  return { rate: N / r.seconds, cpuMs: (r.cpuSeconds * 1000) / N };
}

const env = sinkEnv(port);

async function fill(N) {
  const dir = mkdtempSync(join(tmpdir(), 'mailctl-bench-'));
  const spoolDir = join(dir, 'spool');
  await fillSpool(spoolDir, N, env);
  return { dir, spoolDir };
}

async function mailctlDrain(N, extra = []) {
  const { dir, spoolDir } = await fill(N);
  const r = timed([process.execPath, bin, 'drain', '--json', '--spool', spoolDir, ...extra], env);
  rmSync(dir, { recursive: true, force: true });
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  if (summary.delivered !== N) throw new Error(`drain delivered ${summary.delivered} of ${N}: ${r.stdout}`);
  return { rate: N / r.seconds, cpuMs: (r.cpuSeconds * 1000) / N };
}

const cases = [
  ['Dify-style Python sender (smtplib, new connection each)', python],
  ['Postfix smtp-source, 5 sessions, new connection each', (n) => smtpSource(n, false)],
  ['Postfix smtp-source, 5 reused connections (-d)', (n) => smtpSource(n, true)],
  ['mailctl drain --workers 1', (n) => mailctlDrain(n, ['--workers', '1'])],
  ['mailctl drain --workers 2', (n) => mailctlDrain(n, ['--workers', '2'])],
  ['mailctl drain (defaults)', (n) => mailctlDrain(n)],
];

/** One table: every case `rounds` times at `n` messages, interleaved; the first case is the baseline, the last the headline. */
async function table(n, rounds, cases) {
  const runs = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    // rotate the order so that no sender always runs first
    for (let k = 0; k < cases.length; k++) {
      const j = (k + r) % cases.length;
      const m = await cases[j][1](n);
      if (m) runs[j].push(m);
    }
  }
  const med = runs.map((xs) =>
    xs.length ? { rate: median(xs.map((x) => x.rate)), cpuMs: median(xs.map((x) => x.cpuMs)), all: xs } : undefined,
  );
  const py = med[0];
  console.log(
    `${fmt(n)} messages per sender, median of ${rounds} interleaved rounds, ${cpus().length} CPUs (msg/s by wall time; CPU = user + sys of the sender)`,
  );
  cases.forEach(([name], j) => {
    const m = med[j];
    if (!m) return console.log(`  ${name.padEnd(58)} not installed`);
    console.log(
      `  ${name.padEnd(58)} ${fmt(m.rate).padStart(6)} msg/s  ${m.cpuMs.toFixed(3).padStart(6)} ms CPU/msg  ${(m.rate / py.rate).toFixed(2).padStart(5)}x Python  (runs: ${m.all.map((x) => fmt(x.rate)).join(', ')})`,
    );
  });
  const d = med[cases.length - 1];
  console.log(
    `  drain / Python at ${fmt(n)}: ${(d.rate / py.rate).toFixed(2)}x by msg/s (target >= 3x, aim 5x), ${(py.cpuMs / d.cpuMs).toFixed(2)}x by CPU per message`,
  );
}

await table(N, ROUNDS, cases);
if (LARGER) await table(LARGER.n, LARGER.rounds, [cases[0], cases[3], cases[5]]);
stopSink();
