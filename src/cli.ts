/**
 * The process boundary: the only module that reads argv and env, installs signal handlers and
 * sets the exit code. Everything below gets its world through AppContext.
 */
import { fstatSync, writeSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { Redactor } from './config/redact.js';
import { systemClock, type AppContext } from './context.js';
import { exitCodeOf, ExitCode, fileSystemError, MailctlError } from './errors.js';
import { createFdWriter } from './output/fd-writer.js';
import { formatError } from './output/format-error.js';
import { createTerminalGuard } from './output/terminal.js';
import { runProgram } from './program.js';

export async function runCli(): Promise<void> {
  // A reader that goes away (`mailctl queue list | head -1`) is no error: the rest of the output
  // is dropped quietly, as `git log | head` does, and the command ends with its own exit code.
  // Any other write error (`> /dev/full`, EIO) is a fault of the machine: one sentence at the end.
  const closed = { out: false, err: false };
  let outputFault: NodeJS.ErrnoException | undefined;
  const onWriteError = (which: 'out' | 'err') => (err: NodeJS.ErrnoException) => {
    closed[which] = true;
    if (err.code !== 'EPIPE') outputFault ??= err;
  };
  // write(2) on fds 1 and 2: Node's streams are created only if a descriptor asks for them (EAGAIN).
  const writeOut = createFdWriter({ fd: 1, writeSync, stream: () => process.stdout, onError: onWriteError('out') });
  const writeStderr = createFdWriter({ fd: 2, writeSync, stream: () => process.stderr, onError: onWriteError('err') });

  // The cursor and line wrap a progress bar turned off come back on at every exit.
  const terminal = createTerminalGuard();
  const writeErr = (text: string): void => {
    if (closed.err) return;
    terminal.track(text);
    writeStderr(text);
  };
  const restoreTerminal = (): void => {
    const sequence = terminal.restoreSequence();
    if (sequence) writeErr(sequence);
  };
  process.once('exit', restoreTerminal);

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    // First signal: stop claiming and finish what is in flight. Second: the operator insists.
    if (signals > 1) {
      restoreTerminal();
      process.exit(130);
    }
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A `drain --workers` worker whose parent died (even by kill -9): stop claiming, finish in flight.
  const worker = process.argv.includes('--as-worker') && process.connected === true;
  if (worker) process.once('disconnect', onSignal);

  const argv = process.argv.slice(2);
  const debug = argv.includes('--debug');
  // The output edge: whatever a command, a library or a server's reply puts into stdout or
  // stderr passes this one redaction first. It knows the environment's secrets from the start.
  const redactor = new Redactor().addEnv(process.env);
  const app: AppContext = {
    env: process.env,
    cwd: process.cwd(),
    redactor,
    io: {
      out: (s) => void (closed.out || writeOut(redactor.redact(s))),
      err: (s) => writeErr(redactor.redact(s)),
      // Asked only by the commands that colour or draw: asking creates Node's stream.
      get outIsTTY() {
        return isTerminal(1, () => process.stdout);
      },
      get errIsTTY() {
        return isTerminal(2, () => process.stderr);
      },
    },
    clock: systemClock(),
    random: Math.random,
    pid: process.pid,
    hostname: hostname(),
    // `node -- bin/mailctl.js`: after `--`, Node leaves a later --env-file to mailctl (see bin/).
    self: { execPath: process.execPath, args: ['--', process.argv[1] ?? ''] },
    cpus: availableParallelism(),
    signal: controller.signal,
    isProcessAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        // EPERM: it exists but belongs to someone else
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };

  let code: number;
  try {
    code = await runProgram(argv, app);
  } catch (err) {
    writeErr(`${formatError(err, debug, (text) => redactor.redact(text))}\n`);
    code = exitCodeOf(err);
  } finally {
    restoreTerminal();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (worker) {
      process.off('disconnect', onSignal);
      process.disconnect?.();
    }
  }
  // A failed write reports its error event after the write call: let it arrive.
  await new Promise((resolve) => setImmediate(resolve));
  if (outputFault && code === ExitCode.OK) {
    const cause = fileSystemError(outputFault, 'the output', closed.out ? '(stdout)' : '(stderr)');
    // The command ran to its end; only its report was lost. "Run it again" would send a mail twice.
    const fault = new MailctlError(cause.code, cause.exitCode, cause.message, {
      hint: 'the command itself finished and only its output was lost: check what it did before running it again (a send would go twice)',
      detail: cause.detail,
      cause: outputFault,
    });
    writeErr(`${formatError(fault, debug, (text) => redactor.redact(text))}\n`);
    code = exitCodeOf(fault);
  }
  process.exitCode = code ?? ExitCode.SOFTWARE;
}

/**
 * Whether `fd` is a terminal. Only a character device can be one, and on Linux not one of major
 * number 1 (/dev/null, /dev/zero, /dev/full: output thrown away, as under cron or a benchmark);
 * for any other character device Node's stream answers, which a file, pipe or socket never needs.
 */
function isTerminal(fd: number, stream: () => NodeJS.WriteStream): boolean {
  let device: { isCharacterDevice(): boolean; rdev: number };
  try {
    device = fstatSync(fd);
  } catch {
    return false; // a closed descriptor
  }
  if (!device.isCharacterDevice()) return false;
  if (process.platform === 'linux' && Math.floor(device.rdev / 256) % 4096 === 1) return false;
  return stream().isTTY === true;
}
