/**
 * DKIM: a key generated here signs through buildMime (and through the smtp provider end to end);
 * mailauth verifies the signature against a resolver that serves the test key, and h= covers
 * List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 §3).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate } from 'mailauth';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { composeMessage } from '../../../src/message/compose.js';
import { createProvider, dkimOptionsFrom } from '../../../src/providers/index.js';
import { buildMime, type DkimOptions } from '../../../src/providers/mime.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const DOMAIN = 'example.com';
const SELECTOR = 'mailctl2026';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_B64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dkim: DkimOptions = { domainName: DOMAIN, keySelector: SELECTOR, privateKey: PRIVATE_PEM };

/** DNS for the verifier: only our selector's TXT record exists. */
async function resolver(name: string, rrtype: string): Promise<string[][]> {
  if (rrtype === 'TXT' && name.toLowerCase() === `${SELECTOR}._domainkey.${DOMAIN}`)
    return [[`v=DKIM1; k=rsa; p=${PUBLIC_B64}`]];
  throw Object.assign(new Error(`no ${rrtype} record for ${name}`), { code: 'ENOTFOUND' });
}

function verify(raw: Buffer) {
  return authenticate(raw, {
    resolver,
    sender: `no-reply@${DOMAIN}`,
    ip: '127.0.0.1',
    helo: 'mail.client.test',
    mta: 'mx.test',
    disableArc: true,
    disableDmarc: true,
    disableBimi: true,
  });
}

function signedHeaders(raw: Buffer): string[] {
  const header = /^DKIM-Signature:((?:.*\r\n[ \t].*)*.*)/im.exec(raw.toString('latin1'))?.[1] ?? '';
  const h = /\bh=([^;]+)/.exec(header.replace(/\r\n[ \t]+/g, ''))?.[1] ?? '';
  return h.split(':').map((s) => s.trim().toLowerCase());
}

const notification = () =>
  composeMessage({
    rendered: {
      type: 'owner-transfer-new-notify',
      lang: 'en-US',
      subject: 'You are now the owner',
      html: '<p>Hi</p>',
      text: 'Hi\n',
      category: 'notification',
    },
    to: 'ops@example.com',
    from: `Acme <no-reply@${DOMAIN}>`,
    unsubscribeUrl: 'https://example.com/unsubscribe?u=42',
  });

describe('DKIM signing', () => {
  it('signs so that a verifier passes it, with both List-Unsubscribe headers in h=', async () => {
    const raw = await buildMime(notification(), { dkim });
    const result = await verify(raw);
    expect(result.dkim.results).toHaveLength(1);
    expect(result.dkim.results[0]).toMatchObject({ signingDomain: DOMAIN, selector: SELECTOR });
    expect(result.dkim.results[0]!.status.result).toBe('pass');
    const h = signedHeaders(raw);
    expect(h).toEqual(
      expect.arrayContaining([
        'from',
        'to',
        'subject',
        'date',
        'message-id',
        'list-unsubscribe',
        'list-unsubscribe-post',
      ]),
    );
  });

  it('fails verification once a signed header is changed (the check above can fail)', async () => {
    const raw = await buildMime(notification(), { dkim });
    const tampered = Buffer.from(
      raw
        .toString('latin1')
        .replace(
          'List-Unsubscribe: <https://example.com/unsubscribe?u=42>',
          'List-Unsubscribe: <https://evil.example/u>',
        ),
      'latin1',
    );
    const result = await verify(tampered);
    expect(result.dkim.results[0]!.status.result).toBe('fail');
  });

  it('leaves a message unsigned without DKIM settings', async () => {
    const raw = await buildMime(notification());
    expect(raw.toString()).not.toMatch(/^DKIM-Signature:/im);
  });

  it('reads the key from DKIM_PRIVATE_KEY_PATH or DKIM_PRIVATE_KEY (with \\n escapes) and needs all three settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailctl-dkim-'));
    writeFileSync(join(dir, 'dkim.pem'), PRIVATE_PEM);
    const fromPath = resolveConfig({
      env: { DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: SELECTOR, DKIM_PRIVATE_KEY_PATH: 'dkim.pem' },
    }).config;
    expect(await dkimOptionsFrom(fromPath, dir)).toEqual(dkim);
    const inline = resolveConfig({
      env: { DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: SELECTOR, DKIM_PRIVATE_KEY: PRIVATE_PEM.replace(/\n/g, '\\n') },
    }).config;
    expect(await dkimOptionsFrom(inline, dir)).toEqual(dkim);
    rmSync(dir, { recursive: true, force: true });
    const partial = resolveConfig({ env: { DKIM_DOMAIN: DOMAIN, DKIM_PRIVATE_KEY: PRIVATE_PEM } }).config;
    expect(await dkimOptionsFrom(partial, dir)).toBeUndefined();
    const missing = resolveConfig({
      env: { DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: SELECTOR, DKIM_PRIVATE_KEY_PATH: 'nope.pem' },
    }).config;
    await expect(dkimOptionsFrom(missing, dir)).rejects.toMatchObject({ exitCode: 78 });
  });

  describe('end to end over SMTP', () => {
    let server: TestSmtpServer;
    afterAll(async () => server?.close());
    it('the message the server receives verifies', async () => {
      server = await startSmtpServer({});
      const config = resolveConfig({
        env: {
          MAIL_TYPE: 'smtp',
          MAIL_DEFAULT_SEND_FROM: `no-reply@${DOMAIN}`,
          SMTP_SERVER: '127.0.0.1',
          SMTP_PORT: String(server.port),
          DKIM_DOMAIN: DOMAIN,
          DKIM_SELECTOR: SELECTOR,
          DKIM_PRIVATE_KEY: PRIVATE_PEM,
        },
      }).config;
      const provider = await createProvider(config, {
        cwd: tmpdir(),
        clock: { now: () => Date.now(), sleep: async () => {} },
      });
      await provider.send(notification());
      await provider.close();
      const result = await verify(server.messages[0]!.raw);
      expect(result.dkim.results[0]!.status.result).toBe('pass');
      expect(signedHeaders(server.messages[0]!.raw)).toEqual(
        expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']),
      );
    });
  });
});
