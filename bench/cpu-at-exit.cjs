// Preloaded by bench/startup.bench.js (node -r): the process's CPU time (user + system, all
// threads) at exit, written to fd 3. On a shared machine CPU time scatters far less than wall
// time, which includes every wait for a core.
'use strict';
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  try {
    require('node:fs').writeSync(3, `${(user + system) / 1000}\n`);
  } catch {
    // not started by the bench: nothing to report to
  }
});
