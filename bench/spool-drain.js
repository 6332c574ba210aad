// What the benches that drain a real spool into the sink share (peers, spool-disk): the CLI's
// environment for the sink, a spool of N fsynced reset-password zh-CN jobs written by enqueue,
// and a command run under GNU time.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../dist/config/index.js';
import { systemClock } from '../dist/context.js';
import { enqueueJob } from '../dist/spool/enqueue.js';
import { which } from './sink.js';

export const bin = fileURLToPath(new URL('../bin/mailctl.js', import.meta.url));
export const FROM = 'App <app@example.com>';
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TIME = which('time');

/** The built CLI's environment for sending to the sink on `port`. */
export function sinkEnv(port) {
  return {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    NO_COLOR: '1',
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    MAIL_DEFAULT_SEND_FROM: FROM,
  };
}

/** Writes `n` jobs into `spoolDir` as `mailctl enqueue` does (each one fsynced). */
export async function fillSpool(spoolDir, n, env) {
  const { config } = await loadConfig({ cwd: tmpdir(), env });
  const clock = systemClock();
  for (let i = 0; i < n; i++) {
    const request = {
      type: 'reset-password',
      to: `user${i}@example.com`,
      lang: 'zh-CN',
      vars: { code: String(100000 + i) },
    };
    await enqueueJob(request, { config, spoolDir, defaultFrom: FROM, clock });
  }
}

/** Runs argv under GNU time; { seconds, cpuSeconds, stdout } (cpuSeconds NaN without GNU time). */
export function timed(argv, env = process.env) {
  const t0 = performance.now();
  const r = spawnSync(TIME ?? argv[0], TIME ? ['-f', '%U %S', ...argv] : argv.slice(1), {
    env,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const [u, s] = TIME ? r.stderr.trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN];
  return { seconds, cpuSeconds: u + s, stdout: r.stdout };
}
