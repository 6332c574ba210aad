/**
 * `checkMessage()` (mailctl check, send --dry-run --check) on real messages built by the send
 * engineer's buildMime and DKIM signer, with DKIM keys served by a dns2 server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/context.js';
import {
  checkMessage,
  type MessageCheckDeps,
  type MessageFinding,
  type MessageReport,
} from '../../../src/deliverability/check-message.js';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { buildMime } from '../../../src/providers/mime.js';
import { startDns, type DnsHandle } from '../../helpers/dns-server.js';
import { KEY, OTHER_KEY, ZONE } from '../../fixtures/dns/zone.js';

let dns: DnsHandle;
beforeAll(async () => {
  dns = await startDns(ZONE);
});
afterAll(async () => {
  await dns.close();
});

function message(domain: string, over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { name: 'Example App', address: `no-reply@${domain}` },
    to: [{ address: 'ops@example.net' }],
    subject: 'Your weekly digest — 你好',
    html: '<html><body><p>Hello Ana,</p><p><a href="https://app.example.com/digest">Open</a></p></body></html>',
    text: 'Hello Ana,\n\nOpen: https://app.example.com/digest\n',
    messageId: `<digest-1@${domain}>`,
    date: new Date('2026-12-01T21:00:00Z'),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'List-Unsubscribe': '<https://app.example.com/unsub?u=1>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    type: 'digest',
    category: 'notification',
    lang: 'en-US',
    ...over,
  };
}

const sign = (domain: string, privateKey = KEY.privatePem) => ({
  dkim: { domainName: domain, keySelector: 'mail', privateKey },
});
const deps = (extra: Partial<MessageCheckDeps> = {}): MessageCheckDeps => ({
  clock: systemClock(),
  dnsServers: [dns.server],
  ...extra,
});
const of = (r: MessageReport, check: MessageFinding['check'], severity?: MessageFinding['severity']) =>
  r.findings.filter((f) => f.check === check && (severity === undefined || f.severity === severity));
const errors = (r: MessageReport) => r.findings.filter((f) => f.severity === 'error');

describe('checkMessage: a good message', () => {
  it('signed notification: structure, headers, subject, DKIM (DNS and offline), unsubscribe, markers, links all pass', async () => {
    const raw = await buildMime(message('good.example'), sign('good.example'));
    const r = await checkMessage(raw, deps({ dkim: sign('good.example').dkim, category: 'notification' }));
    expect(errors(r)).toEqual([]);
    expect(r).toMatchObject({ ok: true, exitCode: 0, size: raw.length, subject: 'Your weekly digest — 你好' });
    expect(of(r, 'structure', 'ok')[0]?.message).toBe('multipart/alternative with text/plain and text/html');
    expect(of(r, 'subject', 'ok')[0]?.message).toMatch(/RFC 2047 encoded/);
    expect(of(r, 'dkim', 'ok').map((f) => f.message)).toEqual([
      'DKIM signature d=good.example s=mail verifies against DNS',
      'DKIM signature d=good.example s=mail verifies against the configured key (offline)',
    ]);
    expect(of(r, 'unsubscribe', 'ok')[0]?.message).toBe('one-click List-Unsubscribe (RFC 8058), signed');
    expect(of(r, 'links', 'ok')[0]?.message).toBe('1 link, all https');
    expect(r.findings.filter((f) => f.severity === 'warning')).toEqual([]);
    expect(r.queries.map((q) => `${q.type} ${q.name}`)).toContain('TXT mail._domainkey.good.example');
  });

  it('an unsigned code mail without DKIM configured: warnings only, exit 0', async () => {
    const raw = await buildMime(message('good.example', { headers: {}, category: 'code' }));
    const r = await checkMessage(raw, deps({ category: 'code' }));
    expect(r.exitCode).toBe(0);
    expect(of(r, 'dkim', 'warning')[0]?.message).toMatch(/^not DKIM-signed/);
    expect(of(r, 'unsubscribe', 'info')[0]?.message).toBe('no List-Unsubscribe (right for code mail)');
  });
});

describe('checkMessage: problems', () => {
  it('DKIM key in DNS differs from the signing key: the DNS check fails, the offline check passes', async () => {
    const raw = await buildMime(message('badkey.example'), sign('badkey.example'));
    const r = await checkMessage(raw, deps({ dkim: sign('badkey.example').dkim }));
    expect(r.exitCode).toBe(65);
    expect(of(r, 'dkim', 'error')[0]?.message).toMatch(
      /^DKIM signature d=badkey\.example s=mail does not verify against DNS: fail/,
    );
    expect(of(r, 'dkim', 'ok')[0]?.message).toMatch(/verifies against the configured key \(offline\)/);
  });

  it('a body changed after signing fails both checks', async () => {
    const raw = (await buildMime(message('good.example'), sign('good.example')))
      .toString('latin1')
      .replace('Hello Ana', 'Hello Bob');
    const r = await checkMessage(Buffer.from(raw, 'latin1'), deps({ dkim: sign('good.example').dkim }));
    expect(of(r, 'dkim', 'error').map((f) => f.message)).toEqual([
      expect.stringMatching(/does not verify against DNS: (fail|neutral) \(body hash did not verify\)/),
      expect.stringMatching(
        /does not verify against the configured key \(offline\): (fail|neutral) \(body hash did not verify\)/,
      ),
    ]);
  });

  it('signed with another key than the configured one: the offline check fails', async () => {
    const raw = await buildMime(message('good.example'), sign('good.example', OTHER_KEY.privatePem));
    const r = await checkMessage(raw, deps({ dkim: sign('good.example').dkim, offline: true }));
    expect(of(r, 'dkim', 'error')[0]?.message).toMatch(/does not verify against the configured key \(offline\)/);
    expect(r.queries).toEqual([]);
  });

  it('a configured DKIM key that is not a key: an error finding, and no key material in it', async () => {
    const bogus = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----\n';
    const raw = await buildMime(message('good.example'), sign('good.example'));
    const r = await checkMessage(
      raw,
      deps({ dkim: { domainName: 'good.example', keySelector: 'mail', privateKey: bogus } }),
    );
    expect(of(r, 'dkim', 'error')[0]?.message).toMatch(/^the configured DKIM key cannot be used to verify offline/);
    expect(JSON.stringify(r)).not.toContain('c2VjcmV0LWJ1dC1ub3QtYS1rZXk');
  });

  it('DKIM configured but the message is not signed: error', async () => {
    const raw = await buildMime(message('good.example'));
    const r = await checkMessage(raw, deps({ dkim: sign('good.example').dkim }));
    expect(of(r, 'dkim', 'error')[0]?.message).toBe(
      'not DKIM-signed, though DKIM is configured (d=good.example, s=mail)',
    );
    expect(of(r, 'unsubscribe', 'error')[0]?.message).toMatch(/not covered by a DKIM signature; RFC 8058/);
  });

  it('a notification without List-Unsubscribe is a warning', async () => {
    const raw = await buildMime(message('good.example', { headers: {} }), sign('good.example'));
    const r = await checkMessage(raw, deps({ category: 'notification' }));
    expect(of(r, 'unsubscribe', 'warning')[0]?.message).toMatch(/a notification without List-Unsubscribe/);
  });

  it('List-Unsubscribe without an https URL or without -Post is an error', async () => {
    const raw = await buildMime(
      message('good.example', { headers: { 'List-Unsubscribe': '<mailto:unsub@good.example>' } }),
      sign('good.example'),
    );
    const r = await checkMessage(raw, deps());
    expect(of(r, 'unsubscribe', 'error').map((f) => f.message)).toEqual([
      expect.stringMatching(/no <https:\/\/…> URL/),
      'List-Unsubscribe without List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058)',
      expect.stringMatching(/not covered by a DKIM signature/),
    ]);
  });

  it('unrendered template markers in subject, text and HTML, and an i18n key as subject', async () => {
    const r = await checkMessage(
      await buildMime(
        message('good.example', {
          subject: 'Welcome to {ApplicationTitle}',
          text: 'Hi {{ name }}',
          html: '<p>Code: ${code}</p><style>.a{color:red}</style>',
        }),
      ),
      deps(),
    );
    expect(of(r, 'template', 'error').map((f) => f.message)).toEqual([
      'the subject has an unrendered template marker "{ApplicationTitle}"',
      'the text part has an unrendered template marker "{{ name }}"',
      'the HTML part has an unrendered template marker "${code}"',
    ]);
    const key = await checkMessage(
      await buildMime(message('good.example', { subject: 'email.reset_password.subject' })),
      deps(),
    );
    expect(of(key, 'template', 'error')[0]?.message).toMatch(/looks like an untranslated i18n key/);
  });

  it('http and localhost links are warnings; javascript: links are errors', async () => {
    const html =
      '<a href="http://app.example.com/x">a</a> <a href="https://localhost:3000/reset">b</a> <a href="javascript:alert(1)">c</a> <a href="mailto:help@example.com">d</a>';
    const r = await checkMessage(
      await buildMime(message('good.example', { html, text: 'see http://app.example.com/x' })),
      deps(),
    );
    expect(of(r, 'links').map((f) => [f.severity, f.message])).toEqual([
      ['warning', 'link is not https: http://app.example.com/x'],
      ['warning', 'link points at localhost, which the recipient cannot reach: https://localhost:3000/reset'],
      ['error', 'a javascript: link (javascript:alert(1))'],
    ]);
  });

  it('a hand-written HTML-only message without Message-ID, Date and with a raw 8-bit subject', async () => {
    const raw = Buffer.from(
      [
        'From: App <a@good.example>',
        'To: b@example.net',
        'Subject: Réinitialiser',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>hi</p>',
        '',
      ].join('\r\n'),
      'utf8',
    );
    const r = await checkMessage(raw, deps());
    expect(r.exitCode).toBe(65);
    expect(errors(r).map((f) => f.message)).toEqual([
      expect.stringMatching(/^HTML only \(text\/html\): no text\/plain alternative/),
      expect.stringMatching(/^no Message-ID header/),
      'no Date header (required by RFC 5322 §3.6)',
      expect.stringMatching(/raw 8-bit characters instead of RFC 2047 encoded words/),
    ]);
  });

  it('a multipart/mixed message with the alternative inside is fine', async () => {
    const b1 = 'outer-b';
    const b2 = 'inner-b';
    const raw = Buffer.from(
      [
        'From: a@good.example',
        'To: b@example.net',
        'Subject: hi',
        'Date: Tue, 01 Dec 2026 21:00:00 +0000',
        'Message-ID: <x@good.example>',
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed; boundary="${b1}"`,
        '',
        `--${b1}`,
        `Content-Type: multipart/alternative; boundary=${b2}`,
        '',
        `--${b2}`,
        'Content-Type: text/plain',
        '',
        'hi',
        `--${b2}`,
        'Content-Type: text/html',
        '',
        '<p>hi</p>',
        `--${b2}--`,
        `--${b1}`,
        'Content-Type: application/pdf',
        '',
        'JVBER',
        `--${b1}--`,
        '',
      ].join('\r\n'),
    );
    const r = await checkMessage(raw, deps());
    expect(of(r, 'structure', 'ok')[0]?.message).toBe(
      'multipart/alternative with text/plain and text/html (inside multipart/mixed)',
    );
  });
});
