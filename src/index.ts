/**
 * The library API for Node applications: queue a mail from application code, the same job
 * `mailctl enqueue` writes (validated by rendering and composing it once, written atomically).
 *
 *   import { enqueue } from 'mailctl';
 *   await enqueue({ type: 'reset-password', to: 'user@example.com', vars: { code: '123456' } });
 *
 * This is the library's entry point, so like `cli.ts` it reads the process: `env` defaults to
 * `process.env` (MAILCTL_SPOOL_URL, MAILCTL_SPOOL_DIR and the rest apply as for the CLI) and `cwd`
 * to `process.cwd()`, both read when `enqueue()` is called. Pass either to override it (`env: {}`
 * for the config file and the defaults only). Nothing below this module reads process globals.
 */
import { resolve } from 'node:path';
import { assertUsable, loadConfig } from './config/index.js';
import { systemClock, type Clock } from './context.js';
import { parseDuration } from './config/parse.js';
import { UsageError } from './errors.js';
import { senderFor } from './providers/index.js';
import { openSpool } from './spool/backend.js';
import { enqueueJob, type EnqueueRequest } from './spool/enqueue.js';
import { operatorDirOf } from './templates/layers.js';
import { openTemplates } from './templates/operator.js';

/** A job to queue (the fields of {@link EnqueueRequest}), and where its configuration comes from. */
export interface EnqueueOptions extends Omit<EnqueueRequest, 'ttlMs'> {
  /** Time-to-live: milliseconds or a duration such as `10m`. @defaultValue the type's own for codes */
  ttl?: number | string | undefined;
  /** Spool directory. @defaultValue MAILCTL_SPOOL_DIR, else `.mailctl/spool` under `cwd` */
  spoolDir?: string | undefined;
  /** Environment to read configuration from. @defaultValue `process.env` at the call */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where relative paths and the config file are resolved. @defaultValue `process.cwd()` at the call */
  cwd?: string | undefined;
  /** `--config PATH` equivalent. */
  configPath?: string | undefined;
  clock?: Clock | undefined;
  /**
   * Receives mailctl's notices, such as the one line saying that MAILCTL_TEMPLATES_DIR was compiled
   * on first use. @defaultValue none: the library prints nothing
   */
  log?: ((line: string) => void) | undefined;
}

export interface EnqueuedJob {
  /** The job's ULID. */
  id: string;
  /** Where the job is now: its file in `incoming/`, or `redis://…#QUEUE/ID` on the Redis spool. */
  path: string;
  /** The Message-ID every attempt will carry. */
  messageId: string;
  priority: number;
  expiresAt: string | undefined;
}

/**
 * Writes one job into the spool for `mailctl drain`. Throws a MailctlError with `exitCode`
 * 64 (unknown type or language), 65 (bad address, missing variable, header injection) or 78
 * (unusable configuration); nothing is written then.
 */
export async function enqueue(options: EnqueueOptions): Promise<EnqueuedJob> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const flags =
    options.spoolDir !== undefined ? { 'spool.dir': { value: options.spoolDir, flag: 'spoolDir' } } : undefined;
  const config = assertUsable(
    await loadConfig({ cwd, env: options.env ?? process.env, configPath: options.configPath, flags }),
  );
  let ttlMs: number | undefined;
  if (typeof options.ttl === 'number') ttlMs = options.ttl;
  else if (options.ttl !== undefined) {
    const r = parseDuration(options.ttl);
    if (!r.ok || typeof r.value !== 'number')
      throw new UsageError(`ttl ${JSON.stringify(options.ttl)} is not a duration`);
    ttlMs = r.value;
  }
  // MAILCTL_TEMPLATES_DIR: the same merged catalog as the CLI's (compiled on first use).
  const templates = await openTemplates(
    operatorDirOf(config.values['templates.dir'], cwd),
    cwd,
    options.log ?? (() => {}),
  );
  // MAILCTL_SPOOL_URL (in `env` or the config file) picks the backend, as for the CLI.
  const backend = await openSpool(config, cwd);
  let r;
  try {
    r = await enqueueJob(
      {
        type: options.type,
        to: options.to,
        lang: options.lang,
        vars: options.vars,
        from: options.from,
        priority: options.priority,
        ttlMs,
      },
      {
        config,
        spoolDir: resolve(cwd, config.values['spool.dir']),
        backend,
        defaultFrom: senderFor(config, options.from),
        clock: options.clock ?? systemClock(),
        templates: templates.store,
      },
    );
  } finally {
    await backend.close();
  }
  return { id: r.id, path: r.path, messageId: r.messageId, priority: r.priority, expiresAt: r.expiresAt };
}

export { MailctlError, DeliveryError, UsageError, DataError, ConfigError, ExitCode } from './errors.js';
export type { Job, JobState, AttemptRecord, JobError, DeadReason } from './spool/job.js';
export type { DrainSummary, SpoolStatus } from './spool/contract.js';
