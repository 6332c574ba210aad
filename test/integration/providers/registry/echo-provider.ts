/**
 * A test-only HTTP provider, to show what adding a provider takes: this module (send + probe
 * against an HTTP API), one registry entry (in the test) and the test. No other source file.
 */
import type { Config } from '../../../../src/config/index.js';
import type { OutgoingMessage } from '../../../../src/message/types.js';
import type { Delivery, ProbeReport, Provider } from '../../../../src/providers/types.js';

export function createEchoProvider(baseUrl: string): Provider {
  return {
    name: 'echo',
    async send(message: OutgoingMessage): Promise<Delivery> {
      const res = await fetch(`${baseUrl}/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: message.to.map((m) => m.address), subject: message.subject }),
      });
      const body = (await res.json()) as { id: string };
      return {
        provider: 'echo',
        messageId: message.messageId,
        providerMessageId: body.id,
        accepted: message.to.map((m) => m.address),
        rejected: [],
      };
    },
    async close(): Promise<void> {},
  };
}

export async function probeEcho(baseUrl: string, _config: Config): Promise<ProbeReport> {
  const res = await fetch(`${baseUrl}/health`);
  const ok = res.status === 200;
  return {
    ok,
    exitCode: ok ? 0 : 69,
    stages: [{ name: 'api', ok, ms: 0, sent: 'GET /health', reply: String(res.status) }],
  };
}
