/**
 * One job's delivery policy, the same for every spool backend (BullMQ's Job.moveToFailed habit:
 * one decision, then one backend call): expiry, lifetime, building the message, the gate (rate
 * limit, provider pause), expiry again after the wait, the send, and the retry decision. Where
 * the job goes is the backend's business, through four ports; this module never touches storage
 * and reads time only from the injected clock.
 */
import type { OutgoingMessage } from '../message/types.js';
import { ExitCode, MailctlError } from '../errors.js';
import { decideAfterFailure, describeError } from './after-failure.js';
import type { BackendDrainOptions, Outcome } from './contract.js';
import type { DeadReason, Job, JobError } from './job.js';
import type { PauseControl } from './pause.js';
import { sendUnlessShutdown } from './shutdown.js';

/** What a backend does with a job once the policy has decided. */
export interface DeliveryPorts {
  /** Delivered: the job leaves the spool. */
  complete(): void | Promise<void>;
  /** Failed for now: store the job (its attempt recorded, nextAttemptAt set), due again at `at`. */
  defer(job: Job, at: number): void | Promise<void>;
  /** Dead: store the job (deadReason, diedAt, lastError set) among the dead. */
  dead(job: Job): void | Promise<void>;
  /** Not delivered (the drain stopped while waiting, or shutdown abandoned the send): put the job back as it was. */
  release(): void | Promise<void>;
}

/**
 * What the policy needs from the drain that runs it: the drain's own options (provider, prepare,
 * retry policy, clock, randomness, shutdown signal, redactor) plus the drain's pause and gate.
 * The shutdown signal gives an in-flight send a grace period, then its job is released.
 */
export interface DeliveryContext extends Pick<
  BackendDrainOptions,
  'provider' | 'prepare' | 'policy' | 'clock' | 'random' | 'signal' | 'redactor'
> {
  pause: PauseControl;
  /** Waits for the rate limit and any provider pause; false when the drain stopped meanwhile. */
  gate: () => Promise<boolean>;
}

export interface DeliveryResult {
  outcome: Exclude<Outcome, 'corrupt'>;
  /** The failed attempt's error for the summary, when the send failed. */
  lastError?: string | undefined;
  /** Deferred because the provider asked to slow down (not counted as an attempt). */
  backpressure: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Delivers one parsed job and settles it through `ports`. A configuration error while building
 * the message (e.g. white-label without APPLICATION_TITLE) is not the job's fault: it is thrown,
 * the job untouched, and the backend puts it back and stops the drain.
 */
export async function deliverOne(job: Job, ctx: DeliveryContext, ports: DeliveryPorts): Promise<DeliveryResult> {
  const { clock, policy } = ctx;
  const dead = async (reason: DeadReason, error: JobError | undefined): Promise<DeliveryResult> => {
    job.deadReason = reason;
    job.diedAt = iso(clock.now());
    if (error) job.lastError = error;
    ctx.redactor?.redactJob(job);
    await ports.dead(job);
    return { outcome: reason === 'expired' ? 'expired' : 'dead', backpressure: false };
  };
  const expired = (): boolean => job.expiresAt !== undefined && clock.now() >= Date.parse(job.expiresAt);
  const expiredError = (): JobError => ({
    at: iso(clock.now()),
    message: `expired at ${job.expiresAt} before it could be delivered`,
    kind: 'permanent',
  });

  if (expired()) return dead('expired', expiredError());
  if (clock.now() - Date.parse(job.createdAt) > policy.maxLifetimeMs) {
    return dead(
      'max-lifetime',
      job.lastError ?? { at: iso(clock.now()), message: 'queued longer than MAILCTL_MAX_LIFETIME', kind: 'permanent' },
    );
  }
  let message: OutgoingMessage;
  try {
    message = await ctx.prepare(job);
  } catch (err) {
    if (err instanceof MailctlError && err.exitCode === ExitCode.CONFIG) throw err;
    return dead('invalid', {
      at: iso(clock.now()),
      message: `cannot build the message: ${(err as Error).message}`,
      kind: 'permanent',
    });
  }
  if (!(await ctx.gate())) {
    await ports.release();
    return { outcome: 'released', backpressure: false };
  }
  // Waiting for the rate limit or a pause may have outlived the code.
  if (expired()) return dead('expired', expiredError());

  try {
    if (!(await sendUnlessShutdown(ctx.provider, message, ctx.signal, clock))) {
      await ports.release();
      return { outcome: 'released', backpressure: false };
    }
  } catch (err) {
    const now = clock.now();
    const { decision, backpressure } = decideAfterFailure(job, err, policy, now, ctx.random);
    const lastError = describeError(job.lastError);
    if (backpressure) ctx.pause.backpressure(backpressure.until, backpressure.retryAfterMs);
    else ctx.pause.failure(err, now);
    if (decision.action === 'dead') return { ...(await dead(decision.reason, decision.error)), lastError };
    ctx.redactor?.redactJob(job);
    await ports.defer(job, decision.at);
    return { outcome: 'deferred', lastError, backpressure: backpressure !== undefined };
  }
  ctx.pause.success();
  await ports.complete();
  return { outcome: 'delivered', backpressure: false };
}
