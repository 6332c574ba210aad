/**
 * What the operator's terminal and pipes see: a reader that goes away early ends the command
 * quietly (no EPIPE stack), and a drain's progress bar gives the cursor and line wrap back at
 * every exit, a double Ctrl-C included (through a real pseudo-terminal: util-linux `script`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../helpers/cli.js';

/** Runs the binary with stdout a pipe that is closed before the first byte is read. */
function runWithClosedStdout(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('a closed pipe on stdout', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = tempDir();
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['enqueue', 'reset-password', '--to', `u${i}@example.com`, '--var', 'code=123456'], {
        cwd,
      });
      expect(r.exitCode, r.stderr).toBe(0);
    }
  });

  it.each([
    [['queue', 'list']],
    [['queue', 'list', '--json']],
    [['help', 'send']],
    [['preview', 'reset-password']],
    [['preview', 'reset-password', '--format', 'text']],
  ])('mailctl %j | (reader gone) ends quietly with exit 0', async (args) => {
    const r = await runWithClosedStdout(args, cwd);
    expect(r.stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
    expect(r.code, r.stderr).toBe(0);
  });
});

/**
 * A pipe whose write end is non-blocking (shared with a process that made it so), of 4 KB, and a
 * reader that starts reading only once it is full: the binary's write(2) meets EAGAIN and must
 * hand the rest to Node's stream, which waits for the reader (src/output/fd-writer.ts).
 */
const NON_BLOCKING_PIPE = `
import fcntl, json, os, subprocess, sys, termios, time, array
r, w = os.pipe()
size = fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
os.set_blocking(w, False)
child = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
def queued():
    n = array.array('i', [0])
    fcntl.ioctl(r, termios.FIONREAD, n)
    return n[0]
deadline = time.time() + 20
while queued() < size and child.poll() is None and time.time() < deadline:
    time.sleep(0.01)
full = queued() >= size
out = b''
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    out += chunk
err = child.stderr.read()
print(json.dumps({'full': full, 'code': child.wait(), 'stdout': out.decode(), 'stderr': err.decode()}))
`;
const hasPython = spawnSync('python3', ['-c', 'import fcntl; fcntl.F_SETPIPE_SZ'], { encoding: 'utf8' }).status === 0;
if (!hasPython)
  console.warn('terminal.test.ts: python3 (3.10+, for F_SETPIPE_SZ) is missing: the non-blocking pipe test is skipped');

describe.skipIf(!hasPython)('a non-blocking pipe on stdout that fills up', () => {
  it('preview: every byte arrives, in order, exit 0 (write(2) meets EAGAIN, the stream takes over)', async () => {
    const cwd = tempDir();
    const expected = await runCli(['preview', 'reset-password'], { cwd });
    expect(expected.exitCode, expected.stderr).toBe(0);
    expect(expected.stdout.length).toBeGreaterThan(2 * 4096);
    const r = spawnSync('python3', ['-c', NON_BLOCKING_PIPE, process.execPath, BIN, 'preview', 'reset-password'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { full: boolean; code: number; stdout: string; stderr: string };
    expect(got.full, 'the pipe filled up before the reader read').toBe(true);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(got.stdout).toBe(expected.stdout);
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript)
  console.warn('terminal.test.ts: util-linux `script` is not installed: the pseudo-terminal test is skipped');

describe.skipIf(!hasScript)('drain with a progress bar on a terminal', () => {
  // A server that greets and then never answers: the delivery hangs until the operator gives up.
  let server: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.write('220 slow.example ESMTP\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('Ctrl-C twice (exit 130) still turns the cursor and line wrap back on', async () => {
    const cwd = tempDir();
    const port = (server.address() as { port: number }).port;
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: cwd,
      TERM: 'xterm',
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(port),
      MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
    };
    const enq = await runCli(['enqueue', 'reset-password', '--to', 'u@example.com', '--var', 'code=123456'], {
      cwd,
      env,
    });
    expect(enq.exitCode, enq.stderr).toBe(0);
    // `script` runs the drain on a pseudo-terminal; what we write to its stdin is typed there.
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} drain`, '/dev/null'], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => (screen += d));
    const closed = new Promise<number | null>((r) => child.on('close', r));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    for (let waited = 0; !screen.includes('\x1b[?25l') && waited < 15_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    expect(screen, 'the progress bar hid the cursor').toContain('\x1b[?25l');
    child.stdin.write('\x03'); // Ctrl-C: stop claiming, finish what is in flight (it hangs)
    await new Promise((r) => setTimeout(r, 200));
    child.stdin.write('\x03'); // Ctrl-C again: the operator insists
    const code = await closed;
    clearTimeout(killer);
    expect(code).toBe(130);
    const after = screen.slice(screen.lastIndexOf('\x1b[?25l'));
    expect(after, 'cursor shown again').toContain('\x1b[?25h');
    expect(after.slice(after.lastIndexOf('\x1b[?7l')), 'line wrap on again').toContain('\x1b[?7h');
  });
});
