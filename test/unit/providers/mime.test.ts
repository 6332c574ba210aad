/** buildMime: the RFC 5322 bytes every SMTP and file message is made of. */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../../src/message/compose.js';
import { buildMime } from '../../../src/providers/mime.js';

const longSubject = '您的工作区“研究与开发部门（上海）”的所有权已经转移给您，请登录后查看详细信息并确认后续安排';

const build = (over: { subject?: string; category?: 'code' | 'notification' } = {}) =>
  buildMime(
    composeMessage({
      rendered: {
        type: 'owner-transfer-new-notify',
        lang: 'zh-CN',
        subject: over.subject ?? longSubject,
        html: '<p>所有权 &amp; 通知</p>',
        text: '所有权 & 通知\n',
        category: over.category ?? 'notification',
      },
      to: ['张三 <zhang@example.com>', 'ops@example.com'],
      from: 'Acme 团队 <no-reply@example.com>',
      messageId: '<fixed.1@example.com>',
      date: new Date('2026-12-01T10:00:00Z'),
      unsubscribeUrl: 'https://example.com/unsubscribe?u=1',
    }),
  );

describe('buildMime', () => {
  it('builds multipart/alternative with text first and HTML last, both UTF-8, CRLF line ends', async () => {
    const raw = (await build()).toString('latin1');
    const [head] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw.indexOf('Content-Type: text/plain; charset=utf-8')).toBeLessThan(
      raw.indexOf('Content-Type: text/html; charset=utf-8'),
    );
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/\n/);
    // 7-bit clean on the wire: every non-ASCII byte is encoded.
    expect(/[\x80-\xff]/.test(raw)).toBe(false);
    // RFC 5322 §2.1.1: no line longer than 998 characters (folded headers, encoded bodies).
    expect(Math.max(...raw.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
  });

  it('round-trips through a parser: long zh-CN subject, names, Message-ID, Date, parts', async () => {
    const parsed = await simpleParser(await build());
    expect(parsed.subject).toBe(longSubject);
    expect(parsed.messageId).toBe('<fixed.1@example.com>');
    expect(parsed.date?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(parsed.from?.value).toEqual([{ name: 'Acme 团队', address: 'no-reply@example.com' }]);
    expect((Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.value).toEqual([
      { name: '张三', address: 'zhang@example.com' },
      { name: '', address: 'ops@example.com' },
    ]);
    expect(parsed.text).toBe('所有权 & 通知\n');
    expect(parsed.html).toBe('<p>所有权 &amp; 通知</p>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toBe(
      'List-Unsubscribe: <https://example.com/unsubscribe?u=1>',
    );
    expect(parsed.attachments).toHaveLength(0);
  });

  it('an ASCII subject stays readable; code mail has no List-Unsubscribe', async () => {
    const raw = (await build({ subject: 'Your login code', category: 'code' })).toString();
    expect(raw).toMatch(/^Subject: Your login code\r$/m);
    expect(raw).not.toMatch(/^List-Unsubscribe/im);
  });

  it('never reads local files or URLs named in the content', async () => {
    const raw = await buildMime(
      composeMessage({
        rendered: {
          type: 't',
          lang: 'en-US',
          subject: 's',
          html: '<img src="file:///etc/passwd">',
          text: 'file:///etc/passwd',
          category: 'code',
        },
        to: 'a@example.com',
        from: 'b@example.com',
      }),
    );
    expect(raw.toString()).not.toMatch(/root:/);
  });
});
