/**
 * Enqueue: build a job, validate it by rendering and composing it once (unknown type or language
 * 64, bad address, missing variable or header injection 65: nothing is written), then write it
 * durably into `incoming/`. Shared by `mailctl enqueue`, `send --queue` and the library export.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { DataError, UsageError } from '../errors.js';
import { carriesCode, requireMailType } from '../templates/catalog.js';
import { renderWith, brandingFromConfig } from '../templates/render.js';
import { defaultStore, type TemplateStore } from '../templates/store.js';
import { JOB_VERSION, newJobId, serializeJob, type Job } from './job.js';
import { createPrepare, messageDomain } from './prepare.js';
import type { SpoolBackend } from './contract.js';
import { asSpoolError, DEFAULT_MAX_JOB_SIZE, FileSpool } from './file/store.js';

export interface EnqueueRequest {
  /** Mail type, e.g. `reset-password` (see `mailctl templates list`). */
  type: string;
  /** Recipient, `addr` or `Name <addr>`. */
  to: string;
  /** BCP 47 tag, e.g. `zh-CN`. @defaultValue en-US */
  lang?: string | undefined;
  vars?: Record<string, unknown> | undefined;
  /** @defaultValue MAIL_DEFAULT_SEND_FROM */
  from?: string | undefined;
  /** 0–99, lower is sooner. @defaultValue the type's: codes 1, notifications 5, alerts 9 */
  priority?: number | undefined;
  /** Time-to-live in ms. @defaultValue MAILCTL_CODE_TTL for types with a one-time code, else the type's own */
  ttlMs?: number | undefined;
}

export interface EnqueueDeps {
  config: Config;
  /** Absolute spool directory (the file spool, when no `backend` is given). */
  spoolDir: string;
  /** Where the job goes. @defaultValue the file spool at `spoolDir` */
  backend?: SpoolBackend | undefined;
  /** The sender when the request names none. */
  defaultFrom: string;
  clock: Clock;
  /** The templates (an operator's directory laid over the built-in ones). @defaultValue the built-in ones */
  templates?: TemplateStore | undefined;
}

export interface EnqueueResult {
  id: string;
  path: string;
  messageId: string;
  priority: number;
  expiresAt: string | undefined;
  job: Job;
}

/** 65 for a job over MAILCTL_MAX_JOB_SIZE: `drain` would move it to corrupt/ unread. */
function assertJobSize(text: string, maxJobSize: number): void {
  const size = Buffer.byteLength(text);
  if (size <= maxJobSize) return;
  throw new DataError(
    `the job is ${size} bytes, more than MAILCTL_MAX_JOB_SIZE (${maxJobSize} bytes); nothing was queued`,
    { hint: 'send large content as a link, or raise MAILCTL_MAX_JOB_SIZE' },
    'data.size',
  );
}

export async function enqueueJob(req: EnqueueRequest, deps: EnqueueDeps): Promise<EnqueueResult> {
  const templates = deps.templates ?? defaultStore();
  const def = templates.mailType(req.type) ?? requireMailType(req.type, 'mail type', templates.mailTypes());
  if (req.priority !== undefined && (!Number.isInteger(req.priority) || req.priority < 0 || req.priority > 99)) {
    throw new UsageError(`priority ${req.priority} is out of range`, {
      hint: 'use a whole number 0–99; lower is sooner',
    });
  }
  const vars = req.vars ?? {};
  // A job bigger than a drain will read would only ever be quarantined: refuse it here, before
  // a 100 MB body is rendered (and again below, on the whole job).
  const maxJobSize = deps.config.values['spool.maxJobSize'] ?? DEFAULT_MAX_JOB_SIZE;
  assertJobSize(JSON.stringify(vars), maxJobSize);
  // Resolve the language once, so the job records what it will be rendered in.
  const rendered = renderWith(templates, {
    type: def.id,
    lang: req.lang,
    vars,
    branding: brandingFromConfig(deps.config),
  });

  const now = deps.clock.now();
  const id = newJobId(now, randomBytes(10));
  const from = req.from ?? deps.defaultFrom;
  const codeTtl = carriesCode(def) ? deps.config.values['retry.codeTtl'] : undefined;
  const ttlMs = req.ttlMs ?? codeTtl ?? def.ttlMs;
  const job: Job = {
    version: JOB_VERSION,
    id,
    type: def.id,
    to: req.to,
    lang: rendered.lang,
    vars,
    priority: req.priority ?? def.priority,
    createdAt: new Date(now).toISOString(),
    attempts: 0,
    nextAttemptAt: new Date(now).toISOString(),
    history: [],
    messageId: `<${id.toLowerCase()}@${messageDomain(from)}>`,
  };
  if (req.from !== undefined) job.from = req.from;
  if (ttlMs !== undefined) job.expiresAt = new Date(now + ttlMs).toISOString();

  assertJobSize(serializeJob(job), maxJobSize);

  // Compose once: addresses and every header value are checked here, before anything is written.
  createPrepare({ config: deps.config, defaultFrom: deps.defaultFrom, clock: deps.clock, templates })(job);

  let path: string;
  if (deps.backend) path = await deps.backend.add(job);
  else {
    const store = new FileSpool(deps.spoolDir, { maxJobSize });
    try {
      store.ensure();
      path = await store.add(job);
    } catch (err) {
      throw asSpoolError(err, store.root);
    }
  }
  return { id, path, messageId: job.messageId!, priority: job.priority, expiresAt: job.expiresAt, job };
}
