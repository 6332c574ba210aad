import type { Redactor } from './config/redact.js';

/**
 * The world a command runs in. `cli.ts` builds it from the process; tests build their own.
 * Nothing below `cli.ts` reads process globals: everything comes through here.
 */

/** Where a command writes. `out` carries results only; `err` everything else. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout / stderr are terminals (colours, progress bars). */
  outIsTTY: boolean;
  errIsTTY: boolean;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface AppContext {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  io: Io;
  clock: Clock;
  /** A uniform random number in [0, 1): backoff jitter. */
  random: () => number;
  pid: number;
  hostname: string;
  /** Aborted on SIGINT/SIGTERM: stop claiming, finish what is in flight. */
  signal: AbortSignal;
  /** Opens a path or URL in the user's browser (`preview --open`). */
  openInBrowser?: ((target: string) => Promise<void>) | undefined;
  /** Whether a process id is alive (`process.kill(pid, 0)`): drain recovers claims of dead ones. */
  isProcessAlive?: ((pid: number) => boolean) | undefined;
  /** How to start this program again (`drain --workers`): the node binary and its arguments up to the command. */
  self?: { execPath: string; args: string[] } | undefined;
  /** CPUs this process may use (`drain --workers` defaults to one per CPU). */
  cpus?: number | undefined;
  /**
   * Masks every known secret in what `io` writes (cli.ts wraps the writers with it). Commands add
   * the configuration's secrets once loaded; providers add runtime ones (an access token).
   */
  redactor?: Redactor | undefined;
}

/** Options every command accepts (set on the root program). */
export interface GlobalOptions {
  config?: string | undefined;
  debug?: boolean | undefined;
  /** `--env-file PATH` */
  envFile?: string | undefined;
}

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
}
