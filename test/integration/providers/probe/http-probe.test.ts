/**
 * `verify-config --connect` for sendgrid and resend against a local HTTP server standing in for
 * the API (GET /v3/scopes, GET /domains), and for the file provider's outbox directory.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/index.js';
import { systemClock } from '../../../../src/context.js';
import { probeProvider } from '../../../../src/providers/probe/index.js';
import type { ProbeReport } from '../../../../src/providers/types.js';
import { tempDir } from '../../../helpers/cli.js';
import {
  fakeApis,
  RE_GOOD,
  RE_SEND_ONLY,
  SG_GOOD,
  SG_NO_SEND,
  startHttp,
  startSilent,
  type HttpHandle,
} from '../../../helpers/probe-servers.js';
import { refusedPort } from '../../../helpers/ports.js';

let api: HttpHandle;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  api = await startHttp(fakeApis);
  servers.push(api);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function probe(env: Record<string, string>, cwd = tempDir('mailctl-probe-')): Promise<ProbeReport> {
  const { config, problems } = await loadConfig({ cwd, env });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return probeProvider(config, { clock: systemClock(), signal: new AbortController().signal, cwd });
}

const sendgrid = (key: string, extra: Record<string, string> = {}): Record<string, string> => ({
  MAIL_TYPE: 'sendgrid',
  SENDGRID_API_KEY: key,
  SENDGRID_API_BASE_URL: api.url,
  MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
  ...extra,
});

describe('sendgrid probe: GET /v3/scopes', () => {
  it('passes for a key with mail.send, sending the key as a Bearer token and showing it masked', async () => {
    const r = await probe(sendgrid(SG_GOOD));
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(r.stages.map((s) => s.name)).toEqual(['api', 'scopes']);
    expect(r.stages[0]).toMatchObject({
      sent: `GET ${api.url}/v3/scopes (Authorization: Bearer ********)`,
      reply: '200 OK',
    });
    expect(r.stages[1]?.reply).toBe('3 scopes; mail.send present');
    expect(api.requests.at(-1)).toEqual({ method: 'GET', path: '/v3/scopes', authorization: `Bearer ${SG_GOOD}` });
    expect(JSON.stringify(r)).not.toContain(SG_GOOD);
  });

  it('a key without mail.send is 77 with a hint', async () => {
    const r = await probe(sendgrid(SG_NO_SEND));
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(r.stages[1]).toMatchObject({ name: 'scopes', ok: false, reply: '2 scopes; mail.send MISSING' });
    expect(r.error).toMatch(/lacks the mail\.send scope/);
    expect(r.hint).toMatch(/Mail Send access/);
  });

  it("a refused key (401) is 77 with SendGrid's own words", async () => {
    const r = await probe(sendgrid('SG.revoked-key-0123456789'));
    expect(r).toMatchObject({ ok: false, exitCode: 77, error: 'SendGrid refused the API key (401)' });
    expect(r.stages[0]?.reply).toBe('401 Unauthorized: authorization required');
    expect(r.hint).toMatch(/SENDGRID_API_KEY/);
  });

  it.each<[string, string, number, RegExp]>([
    ['429 is 75 with the reset time', 'SG.rate-limited', 75, /rate-limiting.*/],
    ['5xx is 75', 'SG.server-error', 75, /server error \(503\)/],
  ])('%s', async (_n, key, code, error) => {
    const r = await probe(sendgrid(key));
    expect(r.exitCode).toBe(code);
    expect(r.error).toMatch(error);
  });

  it('a wrong base URL (404) is 69 with a hint about SENDGRID_API_BASE_URL', async () => {
    const r = await probe(sendgrid(SG_GOOD, { SENDGRID_API_BASE_URL: `${api.url}/v3` }));
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(r.hint).toMatch(/SENDGRID_API_BASE_URL/);
  });

  it('an unreachable API is 69', async () => {
    const port = await refusedPort();
    const r = await probe(sendgrid(SG_GOOD, { SENDGRID_API_BASE_URL: `http://127.0.0.1:${port}` }));
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(r.error).toMatch(/cannot reach SendGrid at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('an API that never answers is 75 after SENDGRID_TIMEOUT', async () => {
    const silent = await startSilent();
    servers.push(silent);
    const r = await probe(
      sendgrid(SG_GOOD, { SENDGRID_API_BASE_URL: `http://127.0.0.1:${silent.port}`, SENDGRID_TIMEOUT: '300ms' }),
    );
    expect(r).toMatchObject({ ok: false, exitCode: 75, error: 'SendGrid did not answer within 300 ms' });
    expect(r.hint).toMatch(/SENDGRID_TIMEOUT/);
  });
});

describe('resend probe: GET /domains', () => {
  const resend = (key: string, from = 'App <no-reply@example.com>'): Record<string, string> => ({
    MAIL_TYPE: 'resend',
    RESEND_API_KEY: key,
    RESEND_API_URL: api.url,
    MAIL_DEFAULT_SEND_FROM: from,
  });

  it("passes when the key works and the sender's domain is verified", async () => {
    const r = await probe(resend(RE_GOOD));
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(r.stages.map((s) => [s.name, s.reply])).toEqual([
      ['api', '200 OK'],
      ['domain', 'example.com: verified'],
    ]);
    expect(JSON.stringify(r)).not.toContain(RE_GOOD);
  });

  it('an unverified sender domain is 69 (Resend would refuse every message)', async () => {
    const r = await probe(resend(RE_GOOD, 'no-reply@dify.ai'));
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(r.error).toMatch(/dify\.ai is not in this Resend account/);
    const pending = await probe(resend(RE_GOOD, 'a@pending.example'));
    expect(pending.error).toMatch(/is pending in Resend, not verified/);
  });

  it('a send-only key passes with a warning', async () => {
    const r = await probe(resend(RE_SEND_ONLY));
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(r.stages[0]?.warning).toMatch(/may only send/);
  });

  it('a refused key (403) is 77', async () => {
    const r = await probe(resend('re_bad_key_0123456789'));
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(r.stages[0]?.reply).toBe('403 Forbidden: API key is invalid');
  });
});

describe('file probe: the outbox directory', () => {
  it('creates a missing outbox and leaves no probe file behind', async () => {
    const cwd = tempDir('mailctl-probe-');
    const r = await probe({}, cwd);
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(r.stages[0]).toMatchObject({
      name: 'outbox',
      sent: join(cwd, '.mailctl/outbox'),
      reply: 'created, writable',
    });
    expect(readdirSync(join(cwd, '.mailctl/outbox'))).toEqual([]);
  });

  it('an existing outbox is "writable"', async () => {
    const cwd = tempDir('mailctl-probe-');
    mkdirSync(join(cwd, 'out'));
    const r = await probe({ MAILCTL_OUTBOX_DIR: 'out' }, cwd);
    expect(r.stages[0]?.reply).toBe('writable');
  });

  it('a file in the way is 69 with a clear message', async () => {
    const cwd = tempDir('mailctl-probe-');
    writeFileSync(join(cwd, 'blocker'), 'not a directory');
    const r = await probe({ MAILCTL_OUTBOX_DIR: 'blocker/outbox' }, cwd);
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(r.error).toBe(`the outbox directory ${join(cwd, 'blocker/outbox')} is not writable (ENOTDIR)`);
    expect(r.hint).toMatch(/MAILCTL_OUTBOX_DIR/);
    expect(existsSync(join(cwd, 'blocker'))).toBe(true);
  });
});
