/**
 * buildMime writes the bytes itself (providers/mime.ts); nodemailer's MailComposer is the
 * reference. For every template in every shipped language, branded and white-label, and for awkward
 * names, subjects and bodies, both messages must parse to the same headers and the same bodies,
 * and ours must keep the wire rules (CRLF only, 7-bit, body lines of at most 76 characters).
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../../src/message/compose.js';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { buildMime, HEADER_MEMO, headerMemoSize, quotedPrintable } from '../../../src/providers/mime.js';
import { isCrlfClean } from '../../../src/providers/smtp-client/dot-stuff.js';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { CHECK_BRANDS } from '../../../src/templates/check.js';
import { renderEmail } from '../../../src/templates/render.js';
import { mulberry32 } from '../../helpers/random.js';
import { LANGUAGES } from '../../helpers/catalog.js';

/** The message as MailComposer builds it from the same fields. */
function reference(m: OutgoingMessage): Promise<Buffer> {
  const composer = new MailComposer({
    from: m.from.name ? { name: m.from.name, address: m.from.address } : m.from.address,
    to: m.to.map((t) => (t.name ? { name: t.name, address: t.address } : t.address)),
    subject: m.subject,
    messageId: m.messageId,
    date: m.date,
    text: { content: m.text, contentType: 'text/plain; charset=utf-8' },
    html: { content: m.html, contentType: 'text/html; charset=utf-8' },
    newline: 'windows',
  });
  const root = composer.compile();
  for (const [name, value] of Object.entries(m.headers)) root.addHeader(name, value);
  return root.build();
}

const view = (p: ParsedMail) => ({
  subject: p.subject,
  from: p.from?.value,
  to: (Array.isArray(p.to) ? p.to : [p.to]).flatMap((a) => a?.value ?? []),
  messageId: p.messageId,
  date: p.date?.toISOString(),
  text: p.text,
  html: p.html,
  headers: p.headerLines
    .filter((h) => !['content-type', 'date'].includes(h.key))
    .map(
      (h) =>
        `${h.key}: ${p.headers.get(h.key) instanceof Object ? JSON.stringify(p.headers.get(h.key)) : String(p.headers.get(h.key))}`,
    ),
  contentType: (p.headers.get('content-type') as { value: string }).value,
  parts: p.attachments.length,
});

function wireRules(raw: Buffer): void {
  const s = raw.toString('latin1');
  expect(/[\x80-\xff]/.test(s)).toBe(false);
  expect(s.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  // RFC 5322 §2.1.1: 998 is the limit (an unbreakable URL in a header may pass 78); bodies 76.
  const split = s.indexOf('\r\n\r\n');
  const longest = (text: string): number => Math.max(...text.split('\r\n').map((l) => l.length));
  expect(longest(s.slice(0, split))).toBeLessThanOrEqual(998);
  expect(longest(s.slice(split + 4))).toBeLessThanOrEqual(76);
}

async function same(m: OutgoingMessage): Promise<void> {
  const ours = await buildMime(m);
  wireRules(ours);
  const [a, b] = await Promise.all([simpleParser(ours), simpleParser(await reference(m))]);
  expect(view(a)).toEqual(view(b));
}

const compose = (over: {
  subject?: string;
  html?: string;
  text?: string;
  from?: string;
  to?: string[];
  headers?: Record<string, string>;
}) =>
  composeMessage({
    rendered: {
      type: 'owner-transfer-new-notify',
      lang: 'en-US',
      subject: over.subject ?? 'Hello',
      html: over.html ?? '<p>Hi</p>',
      text: over.text ?? 'Hi\n',
      category: 'notification',
    },
    to: over.to ?? ['ops@example.com'],
    from: over.from ?? 'Acme <no-reply@example.com>',
    messageId: '<fixed.1@example.com>',
    date: new Date('2026-12-01T10:00:00Z'),
    unsubscribeUrl:
      'https://example.com/unsubscribe?u=1&list=owner-transfer-new-notify&token=abcdefghijklmnopqrstuvwxyz0123456789',
    headers: over.headers,
  });

describe('buildMime matches MailComposer', () => {
  const cases = MAIL_TYPE_DEFS.flatMap((d) =>
    LANGUAGES.flatMap((lang) => CHECK_BRANDS.map((b) => [d.id, lang, b.name, b.branding] as const)),
  );
  it.each(cases)('%s %s %s', async (type, lang, _brand, branding) => {
    const rendered = renderEmail({ type, lang, vars: {}, branding, useSamples: true });
    await same(
      composeMessage({
        rendered,
        to: 'Zhang San <zhang@example.com>',
        from: 'Dify 团队 <no-reply@example.com>',
        messageId: '<a.b@example.com>',
        date: new Date('2026-12-01T10:00:00Z'),
        unsubscribeUrl: 'https://example.com/u?x=1',
      }),
    );
  });

  it.each([
    [
      'a long ASCII subject (folded)',
      {
        subject: 'Your workspace ownership has been transferred to you by the previous owner, please sign in to review',
      },
    ],
    [
      'a long zh-CN subject (encoded words)',
      { subject: '您的工作区“研究与开发部门（上海）”的所有权已经转移给您，请登录后查看详细信息并确认后续安排' },
    ],
    ['a subject with a tab and an =?', { subject: 'Code\tis =?x?= here' }],
    [
      'names needing quotes, words and none',
      {
        from: '"O\'Brien, J." <a@example.com>',
        to: ['张三 <zhang@example.com>', 'Plain Name <p@example.com>', 'x@example.com'],
      },
    ],
    [
      'a mostly non-Latin body (base64)',
      {
        text: '验证码已发送，请在五分钟内输入。\n'.repeat(20),
        html: '<p>验证码已发送，请在五分钟内输入。</p>'.repeat(20),
      },
    ],
    [
      'long ASCII lines, trailing spaces, = and tabs (quoted-printable)',
      { text: `${'a'.repeat(200)} \nx = y\t\n  end  `, html: `<p style="${'m:0;'.repeat(60)}">a = b </p>\n` },
    ],
    ['a bare CR and control characters', { text: 'one\rtwo\u0001three\n', html: '<p>\u007f</p>' }],
    ['a custom non-ASCII header', { headers: { 'X-Campaign': 'Frühling 春' } }],
  ])('%s', async (_name, over) => {
    await same(compose(over));
  });
});

/** A decoder written from RFC 2045 §6.7: soft breaks vanish, =XX is the byte XX. */
function decodeQp(qp: string): Buffer {
  const bytes: number[] = [];
  const s = qp.replace(/=\r\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i));
  }
  return Buffer.from(bytes);
}

describe('quotedPrintable', () => {
  const pieces = [
    'a',
    'Z',
    '9',
    ' ',
    '\t',
    '=',
    '.',
    '\n',
    '\r\n',
    '\r',
    '验',
    'é',
    '😀',
    '\u0001',
    '\u007f',
    '<p class="x">',
    'x'.repeat(80),
  ];
  const random = mulberry32(2026);
  const samples = Array.from({ length: 300 }, () =>
    Array.from({ length: Math.floor(random() * 120) }, () => pieces[Math.floor(random() * pieces.length)]).join(''),
  );
  samples.push(
    '',
    ' ',
    '=',
    'a'.repeat(75),
    'a'.repeat(76),
    'a'.repeat(77),
    `${'a'.repeat(74)}验`,
    `${'a'.repeat(75)} \n`,
    '验'.repeat(40),
  );

  it('decodes back to the UTF-8 bytes, with CRLF line ends', () => {
    for (const s of samples)
      expect(decodeQp(quotedPrintable(s)).toString('hex')).toBe(
        Buffer.from(s.replace(/\r?\n/g, '\r\n')).toString('hex'),
      );
  });

  it('keeps the wire rules: printable ASCII, lines of at most 76, no trailing whitespace, whole characters per line', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    for (const s of samples) {
      const qp = quotedPrintable(s);
      expect(qp).toMatch(/^[\x21-\x7e \t\r\n]*$/);
      expect(qp.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      for (const line of qp.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).not.toMatch(/[ \t]$/);
        // a soft-broken line still holds whole UTF-8 characters (readable in any viewer)
        expect(() => fatal.decode(decodeQp(line.replace(/=$/, '')))).not.toThrow();
      }
    }
  });

  it('encodes = and 8-bit bytes, and leaves ordinary ASCII as it is', () => {
    expect(quotedPrintable('a=b é')).toBe('a=3Db =C3=A9');
    expect(quotedPrintable('end \n')).toBe('end=20\r\n');
  });
});

describe('buildMime from a render’s pieces', () => {
  const withoutBoundary = (raw: Buffer): string => raw.toString('utf8').replace(/=_mailctl_[0-9a-f]+/g, '=_B');
  const message = (type: string, lang: string, branding: (typeof CHECK_BRANDS)[number]['branding'], code: string) =>
    composeMessage({
      rendered: renderEmail({ type, lang, vars: { code }, branding, useSamples: true }),
      to: 'Zhang San <zhang@example.com>',
      from: 'Dify 团队 <no-reply@example.com>',
      messageId: '<a.b@example.com>',
      date: new Date('2026-12-01T10:00:00Z'),
      unsubscribeUrl: 'https://example.com/u?x=1',
    });
  const cases = MAIL_TYPE_DEFS.flatMap((d) =>
    LANGUAGES.flatMap((lang) => CHECK_BRANDS.map((b) => [d.id, lang, b.name, b.branding] as const)),
  );
  it.each(cases)('%s %s %s: the same bytes as from the joined HTML', async (type, lang, _brand, branding) => {
    for (const code of ['123456', '<b>&"\n', '654321']) {
      const m = message(type, lang, branding, code);
      expect(m.htmlPieces?.join('')).toBe(m.html);
      expect(isCrlfClean(await buildMime(m))).toBe(true);
      expect(withoutBoundary(await buildMime(m))).toBe(
        withoutBoundary(await buildMime({ ...m, htmlPieces: undefined })),
      );
    }
  });

  it.each([
    ['a bare CR', 'one\rtwo\n'],
    ['bare LFs', 'a\nb\n\n'],
    ['CRLF and CR CR LF', 'a\r\nb\r\r\nc'],
    ['a line of dots', '.\n..\n'],
    ['short plain ASCII (7bit)', 'ok\n'],
  ])('the bytes it marks CRLF-clean are: %s', async (_name, body) => {
    const raw = await buildMime(compose({ text: body, html: body }));
    expect(isCrlfClean(raw)).toBe(true);
  });

  it('pieces that no longer make up the HTML (edited after composing) are not used', async () => {
    const m = message('reset-password', 'en-US', { whiteLabel: false }, '123456');
    const edited = { ...m, html: m.html.replace('123456', '999999') };
    const raw = (await buildMime(edited)).toString('utf8');
    const fresh = (await buildMime({ ...edited, htmlPieces: undefined })).toString('utf8');
    expect(withoutBoundary(Buffer.from(raw))).toBe(withoutBoundary(Buffer.from(fresh)));
    expect(raw).toContain('999999');
  });
});

describe('buildMime: encoded header values are remembered, within a bound', () => {
  it('the same bytes for a subject seen before, and never more than HEADER_MEMO values kept', async () => {
    const first = await buildMime(compose({ subject: '重置您的密码 Reset' }));
    const again = await buildMime(compose({ subject: '重置您的密码 Reset' }));
    const subjectOf = (raw: Buffer): string => /\r\nSubject: ([^]*?)\r\n(?! )/.exec(raw.toString('utf8'))?.[1] ?? '';
    expect(subjectOf(again)).toBe(subjectOf(first));
    expect(subjectOf(first)).toMatch(/^=\?UTF-8\?/);
    for (let i = 0; i < 2 * HEADER_MEMO; i++) await buildMime(compose({ subject: `代码 ${i}` }));
    expect(headerMemoSize()).toBeLessThanOrEqual(HEADER_MEMO);
    expect(subjectOf(await buildMime(compose({ subject: '代码 1' })))).toMatch(/^=\?UTF-8\?/);
  });
});
