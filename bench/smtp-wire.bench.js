#!/usr/bin/env node
// The drain's SMTP wire alone, in this process: N prebuilt messages (a ~5 KB zh-CN reset-password)
// sent 5 at a time through the smtp provider as drain builds it (the pipelined client,
// src/providers/smtp-client/) and through nodemailer's pool with the same options (what drain
// used before), to Postfix's smtp-sink (bench/smtp-sink.cjs when Postfix is missing, said so).
// No spool, no render: what the wire costs per message. Medians of ROUNDS interleaved rounds.
// Usage: node bench/smtp-wire.bench.js [N=4000] [ROUNDS=3]
import { createTransport } from 'nodemailer';
import { resolveConfig } from '../dist/config/resolve.js';
import { composeMessage } from '../dist/message/compose.js';
import { buildMime } from '../dist/providers/mime.js';
import { createSmtpProvider, smtpTransportOptions } from '../dist/providers/smtp.js';
import { startSink } from './sink.js';

const N = Number(process.argv[2] ?? 4000);
const ROUNDS = Number(process.argv[3] ?? 3);
const IN_FLIGHT = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { port, stop: stopSink } = await startSink();

const config = resolveConfig({
  env: {
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    MAIL_DEFAULT_SEND_FROM: 'app@example.com',
  },
}).config;
const message = composeMessage({
  rendered: {
    type: 'reset-password',
    lang: 'zh-CN',
    subject: '重置您的密码',
    html: `<p>${'您的验证码是 123456，5 分钟内有效。'.repeat(40)}</p>`,
    text: '您的验证码是 123456，5 分钟内有效。\n'.repeat(20),
    category: 'code',
  },
  to: 'ops@example.com',
  from: 'app@example.com',
  messageId: '<bench@example.com>',
  date: new Date(),
});
const raw = await buildMime(message, {});

async function measure(send, close) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < N) await send();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await close();
  return { rate: N / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / N };
}

const cases = [
  [
    'pipelined client (drain today)',
    () => {
      const provider = createSmtpProvider(config, { pool: true });
      return measure(
        () => provider.send(message, { raw }),
        () => provider.close(),
      );
    },
  ],
  [
    'nodemailer pool, same options (drain before)',
    () => {
      const transport = createTransport(smtpTransportOptions(config, true));
      const envelope = { from: 'app@example.com', to: ['ops@example.com'] };
      return measure(
        () => transport.sendMail({ envelope, raw }),
        () => transport.close(),
      );
    },
  ],
];
const runs = cases.map(() => []);
for (let r = 0; r < ROUNDS; r++)
  for (let j = 0; j < cases.length; j++) runs[(j + r) % cases.length].push(await cases[(j + r) % cases.length][1]());
console.log(
  `${N} prebuilt messages (${raw.length} bytes), ${IN_FLIGHT} in flight, median of ${ROUNDS} interleaved rounds`,
);
cases.forEach(([name], j) => {
  const rate = median(runs[j].map((m) => m.rate));
  const cpuMs = median(runs[j].map((m) => m.cpuMs));
  console.log(
    `  ${name.padEnd(46)} ${Math.round(rate).toLocaleString('en-US').padStart(6)} msg/s  ${cpuMs.toFixed(3)} ms CPU/msg`,
  );
});
stopSink();
