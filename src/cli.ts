/**
 * The process boundary: the only module that reads argv and env, installs signal handlers and
 * sets the exit code. Everything below gets its world through AppContext.
 */
import { hostname } from 'node:os';
import { Redactor } from './config/redact.js';
import { systemClock, type AppContext } from './context.js';
import { exitCodeOf, ExitCode } from './errors.js';
import { formatError } from './output/format-error.js';
import { runProgram } from './program.js';

export async function runCli(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    // First signal: stop claiming and finish what is in flight. Second: the operator insists.
    if (signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

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
      out: (s) => void process.stdout.write(redactor.redact(s)),
      err: (s) => void process.stderr.write(redactor.redact(s)),
      outIsTTY: process.stdout.isTTY === true,
      errIsTTY: process.stderr.isTTY === true,
    },
    clock: systemClock(),
    random: Math.random,
    pid: process.pid,
    hostname: hostname(),
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
    process.stderr.write(`${formatError(err, debug, (text) => redactor.redact(text))}\n`);
    code = exitCodeOf(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.exitCode = code ?? ExitCode.SOFTWARE;
}
