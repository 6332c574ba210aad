// One SMTP sink for the benches that send over the wire: Postfix's smtp-sink on a free loopback
// port (started here, killed by PID at exit; no Postfix daemon is ever involved), or, where
// Postfix is not installed, bench/smtp-sink.cjs — and the bench says so, its figures are then
// not comparable with Postfix's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The first of the usual system folders that holds `cmd`, or undefined. */
export const which = (cmd) =>
  ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => join(d, cmd)).find((p) => existsSync(p));

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Starts the sink; `{ port, stop }`. The sink is also stopped when this process exits. */
export async function startSink() {
  const SINK = which('smtp-sink');
  let sink;
  let port;
  if (SINK) {
    port = await freePort();
    // -u nobody: required as root; -m 1000 connections; backlog 1000
    sink = spawn(SINK, ['-u', 'nobody', '-m', '1000', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
    await waitForPort(port);
    console.log(`sink: Postfix smtp-sink (${SINK}, pid ${sink.pid}) on 127.0.0.1:${port}`);
  } else {
    const script = fileURLToPath(new URL('./smtp-sink.cjs', import.meta.url));
    sink = spawn(process.execPath, [script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    port = await new Promise((resolve) => sink.once('message', resolve));
    console.log(
      'sink: smtp-sink NOT FOUND (apt-get install postfix): using bench/smtp-sink.cjs, figures not comparable',
    );
  }
  const stop = () => sink.kill('SIGTERM');
  process.on('exit', stop);
  return { port, stop };
}
