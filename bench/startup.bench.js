// Start-up cost of the CLI beside bare node, measured in the same run (medians of interleaved runs):
// wall time, and CPU time (user + system) from a second run of each with bench/cpu-at-exit.cjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/mailctl.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'mailctl-bench-'));
const env = { PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1' };
const cases = [
  ['node -e 0 (baseline)', ['-e', '0']],
  ['mailctl --version', [bin, '--version']],
  ['mailctl verify-config', [bin, 'verify-config']],
  [
    'mailctl verify-config --json (smtp)',
    [bin, 'verify-config', '--json'],
    {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: 'smtp.example.com',
      SMTP_PORT: '587',
      SMTP_USE_TLS: '1',
      SMTP_OPPORTUNISTIC_TLS: '1',
      MAIL_DEFAULT_SEND_FROM: 'a@example.com',
    },
  ],
  ['mailctl preview reset-password --lang zh-CN', [bin, 'preview', 'reset-password', '--lang', 'zh-CN']],
  [
    'mailctl send (file provider)',
    [bin, 'send', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456'],
    { MAIL_TYPE: 'file', MAILCTL_OUTBOX_DIR: join(cwd, 'out'), MAIL_DEFAULT_SEND_FROM: 'a@example.com' },
  ],
];
const runs = Number(process.env.BENCH_RUNS ?? 15);
// targets (issue 13): --version <= 1.5x bare node, the others <= 2x
const target = (name) =>
  name.includes('baseline') ? '' : name.includes('--version') ? '(target <= 1.5x)' : '(target <= 2x)';
const times = cases.map(() => []);
const cpu = cases.map(() => []);
const cpuProbe = fileURLToPath(new URL('./cpu-at-exit.cjs', import.meta.url));
for (let i = 0; i < runs; i++) {
  cases.forEach(([, args, extra], j) => {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, args, { cwd, env: { ...env, ...extra }, stdio: 'ignore' });
    times[j].push(Number(process.hrtime.bigint() - t0) / 1e6);
    const probed = spawnSync(process.execPath, ['-r', cpuProbe, ...args], {
      cwd,
      env: { ...env, ...extra },
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    cpu[j].push(Number(probed.output[3]));
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times[0]);
const baseCpu = median(cpu[0]);
console.log(`start-up, median of ${runs} interleaved runs: wall, and CPU (user + system)`);
cases.forEach(([name], j) => {
  const m = median(times[j]);
  const c = median(cpu[j]);
  console.log(
    `  ${name.padEnd(44)} ${m.toFixed(1).padStart(7)} ms ${(m / base).toFixed(2)}x   cpu ${c.toFixed(1).padStart(6)} ms ${(c / baseCpu).toFixed(2)}x ${target(name)}`,
  );
});
