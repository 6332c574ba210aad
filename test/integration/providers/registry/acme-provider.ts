/**
 * A test-only HTTP provider, "Acme Mail", added the way the README's "Add a provider" checklist
 * says: this module (send against its HTTP API) and its registry entry (ACME below),
 * registered by the test with `registerProvider()`. No source file under src/ names it: the key
 * table, validation, describe, classify, the DNS checks and `send` learn it from the entry.
 */
import type { Config } from '../../../../src/config/index.js';
import type { Clock } from '../../../../src/context.js';
import type { OutgoingMessage } from '../../../../src/message/types.js';
import { classifyHttpError } from '../../../../src/providers/classify.js';
import type { ProviderEntry } from '../../../../src/providers/registry.js';
import type { Delivery, Provider } from '../../../../src/providers/types.js';

export const ACME_KEY = 'acme_live_0123456789abcdef-never-printed';

/** Its keys are not in keys.ts: the registry reads them as plain values. */
function settings(config: Config): { apiKey: string; apiUrl: string; timeout: number } {
  const v = config.values as Readonly<Record<string, unknown>>;
  return { apiKey: String(v['acme.apiKey']), apiUrl: String(v['acme.apiUrl']), timeout: Number(v['acme.timeout']) };
}

export function createAcmeProvider(config: Config, deps: { clock: Clock }): Provider {
  const { apiKey, apiUrl, timeout } = settings(config);
  return {
    name: 'acme',
    async send(message: OutgoingMessage, options = {}): Promise<Delivery> {
      let response: Response;
      let body: unknown;
      try {
        response = await fetch(`${apiUrl}/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            from: message.from.address,
            to: message.to.map((m) => m.address),
            subject: message.subject,
          }),
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(timeout), ...(options.signal ? [options.signal] : [])]),
        });
        const text = await response.text();
        body = text ? (JSON.parse(text) as unknown) : undefined;
      } catch (err) {
        throw classifyHttpError('acme', undefined, undefined, {}, err, deps.clock.now());
      }
      const id = (body as { id?: unknown } | undefined)?.id;
      if (!response.ok || typeof id !== 'string')
        throw classifyHttpError(
          'acme',
          response.status,
          body,
          Object.fromEntries(response.headers.entries()),
          undefined,
          deps.clock.now(),
        );
      return {
        provider: 'acme',
        messageId: message.messageId,
        providerMessageId: id,
        response: `${response.status} ${response.statusText}`,
        accepted: message.to.map((m) => m.address),
        rejected: [],
      };
    },
    async close(): Promise<void> {},
  };
}

/** Its registry entry: everything mailctl knows about Acme Mail. */
export const ACME: ProviderEntry = {
  label: 'Acme Mail',
  keys: [
    {
      env: 'ACME_API_KEY',
      path: 'acme.apiKey',
      type: 'string',
      secret: true,
      description: 'Acme Mail API key. Required for acme.',
    },
    {
      env: 'ACME_API_URL',
      path: 'acme.apiUrl',
      type: 'url',
      default: 'https://api.acme-mail.test',
      description: 'Acme Mail API base URL.',
    },
    {
      env: 'ACME_TIMEOUT',
      path: 'acme.timeout',
      type: 'duration',
      default: 15_000,
      description: 'Total deadline of one Acme Mail request.',
    },
  ],
  required: [{ path: 'acme.apiKey', hint: 'create a key in Acme Mail → Settings → API keys' }],
  shapes: [
    {
      path: 'acme.apiKey',
      pattern: /^acme_/,
      message: 'does not start with "acme_"; Acme Mail keys do',
      hint: 'paste the whole key as Acme Mail showed it',
    },
  ],
  http: { apiKey: 'acme.apiKey', baseUrl: 'acme.apiUrl', timeout: 'acme.timeout' },
  spfInclude: 'include:spf.acme-mail.test',
  signsDkim: true,
  messageIdHeader: 'x-acme-id',
  authHint: 'check ACME_API_KEY and that the sender domain is verified in Acme Mail',
  load: async (config, deps) => createAcmeProvider(config, { clock: deps.clock }),
  // Its probe is the shared HTTP one: GET an endpoint that sends nothing, with its key.
  probe: async (config, deps) =>
    (await import('../../../../src/providers/probe/http.js')).probeHttpApi(config, deps, 'acme', '/v1/account'),
};
