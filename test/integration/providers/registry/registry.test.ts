// Providers as data: a test-only HTTP provider (echo-provider.ts) added with one registry entry is
// built by the factory, probed by verify-config --connect's probeProvider, and its SPF include and
// DKIM habit reach the DNS checks' knowledge — with no other source file touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../../src/config/resolve.js';
import type { Config } from '../../../../src/config/index.js';
import { systemClock } from '../../../../src/context.js';
import { createProvider } from '../../../../src/providers/index.js';
import { probeProvider } from '../../../../src/providers/probe/index.js';
import { PROVIDERS, providerEntry } from '../../../../src/providers/registry.js';
import type { OutgoingMessage } from '../../../../src/message/types.js';
import { startHttpServer, type TestHttpServer } from '../../../helpers/http.js';
import { createEchoProvider, probeEcho } from './echo-provider.js';

let api: TestHttpServer;
beforeAll(async () => {
  api = await startHttpServer((req) =>
    req.path === '/health' ? { status: 200, body: {} } : { status: 200, body: { id: 'echo-42' } },
  );
  PROVIDERS.echo = {
    label: 'Echo',
    spfInclude: 'include:spf.echo.test',
    signsDkim: true,
    messageIdHeader: 'x-echo-id',
    load: async () => createEchoProvider(api.url),
    probe: async (config) => probeEcho(api.url, config),
  };
});
afterAll(async () => {
  delete PROVIDERS.echo;
  await api.close();
});

// MAIL_TYPE's parser accepts the built-in names; a registered test provider is selected directly.
const echoConfig = (): Config => {
  const { config } = resolveConfig({ env: {} });
  return { ...config, values: { ...config.values, mailType: 'echo' as never } };
};

const message: OutgoingMessage = {
  from: { name: '', address: 'noreply@example.com' },
  to: [{ name: '', address: 'user@example.com' }],
  subject: 'hello',
  html: '<p>hi</p>',
  text: 'hi',
  messageId: '<1@example.com>',
  date: new Date(0),
  headers: {},
  type: 'reset-password',
  category: 'code',
  lang: 'en-US',
} as OutgoingMessage;

describe('a provider registered as data', () => {
  it('is built by the factory and delivers through its module', async () => {
    const provider = await createProvider(echoConfig(), { cwd: '/tmp', clock: systemClock() });
    const d = await provider.send(message);
    expect([d.provider, d.providerMessageId, d.accepted]).toEqual(['echo', 'echo-42', ['user@example.com']]);
    expect(api.requests.at(-1)?.json).toEqual({ to: ['user@example.com'], subject: 'hello' });
  });

  it("is probed by verify-config --connect's probeProvider", async () => {
    const report = await probeProvider(echoConfig(), {
      clock: systemClock(),
      signal: new AbortController().signal,
      cwd: '/tmp',
    } as never);
    expect([report.ok, report.stages.map((s) => s.name)]).toEqual([true, ['api']]);
  });

  it('carries what the DNS checks and send read about it', () => {
    expect(providerEntry('echo')).toMatchObject({
      spfInclude: 'include:spf.echo.test',
      signsDkim: true,
      messageIdHeader: 'x-echo-id',
    });
    expect(providerEntry('no-such-provider')).toBeUndefined();
  });

  it('an unknown MAIL_TYPE is a configuration error naming the registered ones', async () => {
    const { config } = resolveConfig({ env: {} });
    await expect(
      createProvider(
        { ...config, values: { ...config.values, mailType: 'nope' as never } },
        {
          cwd: '/tmp',
          clock: systemClock(),
        },
      ),
    ).rejects.toMatchObject({ exitCode: 78, message: 'unknown MAIL_TYPE nope' });
  });
});
