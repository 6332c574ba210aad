/**
 * Resend (the reference system's third provider) over its HTTP API: POST {RESEND_API_URL}/emails
 * with a timeout, and an Idempotency-Key derived from the Message-ID so that a retried spool job
 * is not sent twice.
 */
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { ConfigError } from '../errors.js';
import { formatMailbox } from '../message/address.js';
import type { OutgoingMessage } from '../message/types.js';
import { classifyHttpError } from './classify.js';
import { deadlineError, startDeadline } from './deadline.js';
import type { Delivery, Provider, SendOptions } from './types.js';

/** The `POST /emails` body. */
export function resendPayload(message: OutgoingMessage): Record<string, unknown> {
  return {
    from: formatMailbox(message.from),
    to: message.to.map((m) => m.address),
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: { 'Message-ID': message.messageId, ...message.headers },
    // Tag values allow only ASCII letters, digits, _ and -.
    tags: [
      { name: 'mailctl_type', value: message.type.replace(/[^A-Za-z0-9_-]/g, '_') },
      { name: 'mailctl_message_id', value: message.messageId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) },
    ],
  };
}

/** Resend keeps an Idempotency-Key for 24 hours; at most 256 characters. */
export function idempotencyKey(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').slice(0, 256);
}

export function createResendProvider(config: Config, deps: { clock: Clock }): Provider {
  const v = config.values;
  const apiKey = v['resend.apiKey'];
  if (!apiKey)
    throw new ConfigError('RESEND_API_KEY is required for MAIL_TYPE=resend', { hint: 'run `mailctl verify-config`' });
  const url = `${v['resend.apiUrl'].replace(/\/+$/, '')}/emails`;
  const timeout = v['resend.timeout'];

  return {
    name: 'resend',
    async send(message: OutgoingMessage, options: SendOptions = {}): Promise<Delivery> {
      // A total deadline: it covers the answer's body too, however slowly it trickles.
      const deadline = startDeadline(timeout, options.signal);
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${apiKey}`,
            'Content-Type': 'application/json',
            'Idempotency-Key': idempotencyKey(message.messageId),
            'User-Agent': 'mailctl',
          },
          body: JSON.stringify(resendPayload(message)),
          // A redirect would re-POST the message to the Location, or GET it after a 302 and look
          // like success: never followed, it is a protocol error (classify.ts).
          redirect: 'manual',
          signal: deadline.signal,
        });
        text = await response.text();
      } catch (err) {
        if (deadline.expired)
          throw deadlineError('resend', `the Resend API at ${new URL(url).host}`, timeout, 'RESEND_TIMEOUT');
        throw classifyHttpError('resend', undefined, undefined, {}, err, deps.clock.now());
      } finally {
        deadline.end();
      }
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text as the provider's words
      }
      const id = body !== null && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
      // Resend's acceptance is a 2xx whose JSON names the email's id; a 200 captive-portal page is not.
      if (!response.ok || typeof id !== 'string' || id === '') {
        throw classifyHttpError(
          'resend',
          response.status,
          body,
          Object.fromEntries(response.headers.entries()),
          undefined,
          deps.clock.now(),
        );
      }
      return {
        provider: 'resend',
        messageId: message.messageId,
        providerMessageId: id,
        response: `${response.status} ${response.statusText || 'OK'}`,
        accepted: message.to.map((m) => m.address),
        rejected: [],
      };
    },
    async close(): Promise<void> {},
  };
}
