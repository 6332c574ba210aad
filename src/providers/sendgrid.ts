/**
 * SendGrid v3 mail send through @sendgrid/mail, with a client instance of our own (never the
 * module's shared singleton). `setApiKey()` resets the base URL, so SENDGRID_API_BASE_URL is
 * applied after it; the request timeout is explicit (the library has none by default).
 */
import { MailService } from '@sendgrid/mail';
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { ConfigError } from '../errors.js';
import type { OutgoingMessage } from '../message/types.js';
import { classifyHttpError } from './classify.js';
import { deadlineError, startDeadline } from './deadline.js';
import type { Delivery, Provider, SendOptions } from './types.js';

/**
 * Headers v3 refuses to take from us (tsg_mail_v3.json, `headers`): x-sg-id, x-sg-eid, received,
 * dkim-signature, Content-Type, Content-Transfer-Encoding, To, From, Subject, Reply-To, CC, BCC.
 * Message-ID and our own headers are allowed.
 */
const SENDGRID_FORBIDDEN = new Set([
  'x-sg-id',
  'x-sg-eid',
  'received',
  'dkim-signature',
  'content-type',
  'content-transfer-encoding',
  'to',
  'from',
  'subject',
  'reply-to',
  'cc',
  'bcc',
]);

/** The v3 `/v3/mail/send` request body (snake_case, as it goes on the wire). */
export function sendgridPayload(message: OutgoingMessage): Record<string, unknown> {
  const headers: Record<string, string> = { 'Message-ID': message.messageId };
  for (const [k, v] of Object.entries(message.headers)) if (!SENDGRID_FORBIDDEN.has(k.toLowerCase())) headers[k] = v;
  const mailbox = (m: { name?: string | undefined; address: string }): { email: string; name?: string } =>
    m.name ? { email: m.address, name: m.name } : { email: m.address };
  return {
    personalizations: [
      {
        to: message.to.map(mailbox),
        // Carried with the mail's events (webhooks, activity feed) so they can be matched to our id.
        custom_args: { mailctl_message_id: message.messageId, mailctl_type: message.type },
      },
    ],
    from: mailbox(message.from),
    subject: message.subject,
    // v3 wants text/plain before text/html.
    content: [
      { type: 'text/plain', value: message.text },
      { type: 'text/html', value: message.html },
    ],
    headers,
    categories: [message.type],
  };
}

/** v3 mail send answers 202 Accepted, and nothing else means the message was taken. */
const SENDGRID_ACCEPTED = 202;

interface SendGridResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: unknown;
}

interface SendGridClientLike {
  setDefaultRequest(key: string, value: unknown): unknown;
  request(data: Record<string, unknown>): Promise<[SendGridResponse, unknown]>;
}

/** axios headers as plain strings (a repeated header arrives as an array). */
function stringHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers))
    out[k] = Array.isArray(v) ? v.join(', ') : v == null ? undefined : String(v);
  return out;
}

export function createSendgridProvider(config: Config, deps: { clock: Clock }): Provider {
  const v = config.values;
  const apiKey = v['sendgrid.apiKey'];
  if (!apiKey)
    throw new ConfigError('SENDGRID_API_KEY is required for MAIL_TYPE=sendgrid', {
      hint: 'run `mailctl verify-config`',
    });
  const service = new MailService();
  service.setApiKey(apiKey);
  // `client` is public at runtime but missing from the library's types; setApiKey() just reset its
  // baseUrl, so ours goes in after it (EU residency, tests).
  const client = (service as unknown as { client: SendGridClientLike }).client;
  const baseUrl = v['sendgrid.baseUrl'].replace(/\/+$/, '');
  client.setDefaultRequest('baseUrl', baseUrl);
  const timeout = v['sendgrid.timeout'];
  // axios' timeout is a socket idle timeout; the deadline below bounds the whole request.
  service.setTimeout(timeout);
  // A redirect is never followed (axios would re-POST the message to the Location, or GET it after
  // a 302 and report success), and every status comes back to us: only 202 is SendGrid's acceptance.
  client.setDefaultRequest('maxRedirects', 0);
  client.setDefaultRequest('validateStatus', () => true);

  // request() takes only its own fields from a call and everything else from the client's
  // defaults, copied synchronously before it returns: a signal set as a default around that one
  // call reaches axios for this request alone (Ctrl-C ends a send at once, not after the timeout).
  const request = (data: Record<string, unknown>, signal: AbortSignal | undefined) => {
    if (!signal) return client.request(data);
    client.setDefaultRequest('signal', signal);
    try {
      return client.request(data);
    } finally {
      client.setDefaultRequest('signal', undefined);
    }
  };

  return {
    name: 'sendgrid',
    async send(message: OutgoingMessage, options: SendOptions = {}): Promise<Delivery> {
      const body = sendgridPayload(message);
      let response: SendGridResponse;
      const deadline = startDeadline(timeout, options.signal);
      try {
        response = (await request({ method: 'POST', url: '/v3/mail/send', body }, deadline.signal))[0];
      } catch (err) {
        if (deadline.expired)
          throw deadlineError('sendgrid', `the SendGrid API at ${new URL(baseUrl).host}`, timeout, 'SENDGRID_TIMEOUT');
        const e = err as {
          code?: unknown;
          response?: { body?: unknown; headers?: Record<string, string | undefined> };
        };
        const status = typeof e.code === 'number' ? e.code : undefined;
        throw classifyHttpError('sendgrid', status, e.response?.body, e.response?.headers ?? {}, err, deps.clock.now());
      } finally {
        deadline.end();
      }
      const headers = stringHeaders(response.headers);
      if (response.statusCode !== SENDGRID_ACCEPTED) {
        throw classifyHttpError('sendgrid', response.statusCode, response.body, headers, undefined, deps.clock.now());
      }
      const id = headers['x-message-id'];
      return {
        provider: 'sendgrid',
        messageId: message.messageId,
        providerMessageId: id,
        response: `${response.statusCode} Accepted`,
        accepted: message.to.map((m) => m.address),
        rejected: [],
      };
    },
    async close(): Promise<void> {},
  };
}
