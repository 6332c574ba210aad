/**
 * A job → the message to send: render (precompiled templates, interpolation only: mjml is never
 * loaded on this path) and compose (addresses, header safety). The same function validates a job
 * at enqueue time, so a job that enqueued cleanly renders the same way when it is drained.
 */
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { domainOf, parseMailbox } from '../message/address.js';
import { composeMessage } from '../message/compose.js';
import type { OutgoingMessage } from '../message/types.js';
import { brandingFromConfig, renderWith } from '../templates/render.js';
import { defaultStore, type TemplateStore } from '../templates/store.js';
import { messageIdOf, type Job } from './job.js';

export interface PrepareDeps {
  config: Config;
  /** The sender when a job names none (providers/index.ts `senderFor`). */
  defaultFrom: string;
  clock: Clock;
  /** The templates (an operator's directory laid over the built-in ones). @defaultValue the built-in ones */
  templates?: TemplateStore | undefined;
}

export type Prepare = (job: Job) => OutgoingMessage;

/** The Message-ID domain of a job: its sender's. */
export function messageDomain(from: string): string {
  const address = parseMailbox(from)?.address;
  const domain = address ? domainOf(address) : '';
  return /^[a-z0-9.-]+$/.test(domain) ? domain : 'mailctl.invalid';
}

export function createPrepare(deps: PrepareDeps): Prepare {
  const branding = brandingFromConfig(deps.config);
  const unsubscribeUrl = deps.config.values.unsubscribeUrl;
  const templates = deps.templates ?? defaultStore();
  return (job) => {
    // The validity the mail states is the job's own expiry (MAILCTL_CODE_TTL when it was queued).
    const codeTtlMs = job.expiresAt !== undefined ? Date.parse(job.expiresAt) - Date.parse(job.createdAt) : undefined;
    const rendered = renderWith(templates, {
      type: job.type,
      lang: job.lang,
      vars: job.vars,
      branding,
      codeTtlMs: codeTtlMs !== undefined && codeTtlMs > 0 ? codeTtlMs : undefined,
    });
    const from = job.from ?? deps.defaultFrom;
    return composeMessage({
      rendered,
      to: job.to,
      from,
      messageId: messageIdOf(job, messageDomain(from)),
      date: new Date(deps.clock.now()),
      unsubscribeUrl,
    });
  };
}
