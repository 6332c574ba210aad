#!/usr/bin/env node
// Template rendering speed (run through `npm run bench`, after the build).
// 1. warm renders per second of renderEmail (precompiled HTML + cached i18next instances), and
//    the CPU time of the drain's own job;
// 2. what a fresh i18next instance per render would cost (why instances are cached per language);
// 3. wall time of `node bin/mailctl.js preview reset-password` beside bare `node -e 0`, measured
//    interleaved in the same run. Several runs each; medians.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next from 'i18next';
import { renderEmail } from '../dist/templates/render.js';
import { defaultStore } from '../dist/templates/store.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// 1. Warm renders per second, over a mix of types, languages and brands.
const cases = [
  { type: 'reset-password', lang: 'en-US', vars: { code: '123456' }, branding: { whiteLabel: false } },
  {
    type: 'invite-member',
    lang: 'zh-CN',
    vars: { inviter_name: 'Ana', workspace_name: 'Acme', url: 'https://console.example.com/activate?token=x' },
    branding: { whiteLabel: true, applicationTitle: 'Acme Cloud' },
  },
  {
    type: 'document-clean-notify',
    lang: 'en-US',
    vars: {
      userName: 'a@example.com',
      knowledge_details: ['KB a: 1 documents', 'KB b: 2 documents'],
      url: 'https://console.example.com/datasets',
    },
    branding: { whiteLabel: false },
  },
];
for (const c of cases) renderEmail(c); // warm: files read, instances built
const rates = [];
for (let run = 0; run < 7; run += 1) {
  const n = 3000;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) renderEmail(cases[i % cases.length]);
  rates.push(n / ((performance.now() - t0) / 1000));
}
const rate = median(rates);
console.log(
  `renderEmail, warm:                      ${fmt(rate)} renders/s (${(1000 / rate).toFixed(3)} ms each; median of ${rates.length} runs of 3,000)`,
);

// 1b. The drain's job (reset-password, zh-CN, var code): CPU time per render, which load disturbs
// less than wall time.
const job = (i) => ({
  type: 'reset-password',
  lang: 'zh-CN',
  vars: { code: String(100000 + i) },
  branding: { whiteLabel: false },
});
const cpu = [];
for (let run = 0; run < 7; run += 1) {
  const n = 10000;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i += 1) renderEmail(job(i));
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000 / n);
}
console.log(
  `renderEmail, reset-password zh-CN:      ${median(cpu).toFixed(4)} ms CPU each (median of ${cpu.length} runs of 10,000)`,
);

// 2. A fresh i18next instance per render (the alternative to the per-language cache).
const resources = defaultStore().resources('en-US', ['common', 'reset-password']);
const fresh = [];
for (let run = 0; run < 5; run += 1) {
  const n = 500;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) {
    const inst = i18next.createInstance();
    inst.init({
      lng: 'en-US',
      resources: { 'en-US': resources },
      ns: ['common', 'reset-password'],
      defaultNS: false,
      initAsync: false,
    });
    inst.t('subject', { ns: 'reset-password', replace: { application_title: 'Dify' } });
  }
  fresh.push((performance.now() - t0) / n);
}
console.log(
  `fresh i18next instance + init + one t(): ${median(fresh).toFixed(3)} ms each (cached instances avoid this per render)`,
);

// 3. Process wall time, interleaved: bare node, then the preview command.
const bin = join(root, 'bin', 'mailctl.js');
const env = { PATH: process.env.PATH ?? '', HOME: root, NO_COLOR: '1' };
const wall = (args) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
};
wall(['-e', '0']);
wall([bin, 'preview', 'reset-password']);
const bare = [];
const preview = [];
for (let run = 0; run < 11; run += 1) {
  bare.push(wall(['-e', '0']));
  preview.push(wall([bin, 'preview', 'reset-password']));
}
const b = median(bare);
const p = median(preview);
console.log(`node -e 0:                              ${b.toFixed(0)} ms (median of ${bare.length})`);
console.log(
  `mailctl preview reset-password:         ${p.toFixed(0)} ms (median of ${preview.length}; ${(p / b).toFixed(2)}x bare node; mjml is not loaded)`,
);
