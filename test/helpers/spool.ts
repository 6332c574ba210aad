/** Shared pieces of the spool tests: a spool in a temp dir, SMTP config, a drain harness. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Clock } from '../../src/context.js';
import { createProvider } from '../../src/providers/index.js';
import type { Provider } from '../../src/providers/types.js';
import { drain, type DrainOptions, type DrainSummary } from '../../src/spool/file/drain.js';
import { enqueueJob, type EnqueueRequest } from '../../src/spool/enqueue.js';
import { parseJob, type Job, type JobState } from '../../src/spool/job.js';
import { createPrepare } from '../../src/spool/prepare.js';
import { FileSpool } from '../../src/spool/file/store.js';
import { fakeClock, type FakeClock } from './clock.js';

export const FROM = 'App <app@example.com>';

/** A spool in a fresh temp dir; `base` puts it elsewhere (a memory file system, say). */
export function tempSpool(options: { deleteInBackground?: boolean; base?: string } = {}): FileSpool {
  const { base = tmpdir(), ...rest } = options;
  const store = new FileSpool(join(mkdtempSync(join(base, 'mailctl-spool-')), 'spool'), rest);
  store.ensure();
  return store;
}

export async function smtpConfig(port: number, extra: Record<string, string> = {}): Promise<Config> {
  const loaded = await loadConfig({
    cwd: tmpdir(),
    env: {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(port),
      MAIL_DEFAULT_SEND_FROM: FROM,
      SMTP_SOCKET_TIMEOUT: '5s',
      ...extra,
    },
  });
  return loaded.config;
}

export async function enqueue(
  store: FileSpool,
  config: Config,
  clock: Clock,
  req: Partial<EnqueueRequest> = {},
): Promise<Job> {
  const r = await enqueueJob(
    { type: 'reset-password', to: 'user@example.com', vars: { code: '123456' }, ...req },
    { config, spoolDir: store.root, defaultFrom: FROM, clock },
  );
  return r.job;
}

export interface Harness {
  store: FileSpool;
  config: Config;
  clock: FakeClock;
  provider: Provider;
  run(options?: Partial<DrainOptions>): Promise<DrainSummary>;
  close(): Promise<void>;
}

export async function harness(
  port: number,
  opts: { clock?: FakeClock; env?: Record<string, string>; deleteInBackground?: boolean } = {},
): Promise<Harness> {
  const store = tempSpool(opts.deleteInBackground === undefined ? {} : { deleteInBackground: opts.deleteInBackground });
  const config = await smtpConfig(port, opts.env);
  const clock = opts.clock ?? fakeClock();
  const provider = await createProvider(config, { cwd: tmpdir(), clock, pool: true });
  return {
    store,
    config,
    clock,
    provider,
    run: (options = {}) =>
      drain({
        store,
        provider,
        prepare: createPrepare({ config, defaultFrom: FROM, clock }),
        policy: { maxAttempts: 3, minBackoffMs: 30_000, maxBackoffMs: 3_600_000, maxLifetimeMs: 5 * 86_400_000 },
        clock,
        random: () => 0.5,
        signal: new AbortController().signal,
        claimer: { pid: 4242, host: 'test-host' },
        concurrency: 3,
        ...options,
      }),
    close: () => provider.close(),
  };
}

/** The jobs in a state, parsed. */
export function jobsIn(store: FileSpool, state: JobState): Job[] {
  return store.entries(state).map((e) => {
    const r = parseJob(readFileSync(e.path, 'utf8'));
    if (!r.ok) throw new Error(`${e.path}: ${r.reason}`);
    return r.job;
  });
}

export function countFiles(dir: string): number {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.')).length; // corrupt/.reasons is not a job
  } catch {
    return 0;
  }
}

export function messageIdOfRaw(raw: Buffer): string | undefined {
  return /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.toString('latin1'))?.[1];
}
