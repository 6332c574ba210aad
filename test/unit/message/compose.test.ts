import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { composeMessage, type ComposeInput } from '../../../src/message/compose.js';

const rendered = (over: Partial<ComposeInput['rendered']> = {}): ComposeInput['rendered'] => ({
  type: 'invite-member',
  lang: 'zh-CN',
  subject: '邀请您加入 Dify 工作区',
  html: '<p>你好</p>',
  text: '你好',
  category: 'notification',
  ...over,
});

const base = (over: Partial<ComposeInput> = {}): ComposeInput => ({
  rendered: rendered(),
  to: 'ops@example.com',
  from: 'Dify <no-reply@example.com>',
  ...over,
});

function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).exitCode).toBe(65);
    expect((err as DataError).message).not.toMatch(/\n/);
    return err as DataError;
  }
  throw new Error('expected a DataError');
}

describe('composeMessage', () => {
  it('parses addresses, keeps the rendered parts and sets Auto-Submitted', () => {
    const date = new Date('2026-12-01T10:00:00Z');
    const m = composeMessage(base({ date, to: ['a@example.com', 'Bo <b@example.com>'] }));
    expect(m.from).toEqual({ name: 'Dify', address: 'no-reply@example.com' });
    expect(m.to).toEqual([{ address: 'a@example.com' }, { name: 'Bo', address: 'b@example.com' }]);
    expect(m).toMatchObject({
      subject: '邀请您加入 Dify 工作区',
      html: '<p>你好</p>',
      text: '你好',
      type: 'invite-member',
      lang: 'zh-CN',
      category: 'notification',
      date,
    });
    expect(m.headers['Auto-Submitted']).toBe('auto-generated');
  });

  it("generates a unique Message-ID on the sender's domain, or keeps the caller's", () => {
    const a = composeMessage(base());
    const b = composeMessage(base());
    expect(a.messageId).toMatch(/^<[a-z0-9.]+@example\.com>$/);
    expect(a.messageId).not.toBe(b.messageId);
    expect(composeMessage(base({ messageId: '<job-1.abc@example.org>' })).messageId).toBe('<job-1.abc@example.org>');
    expect(composeMessage(base({ from: 'mailctl <no-reply@localhost>' })).messageId).toMatch(/@localhost>$/);
  });

  it('adds List-Unsubscribe and List-Unsubscribe-Post on notifications only', () => {
    const n = composeMessage(base({ unsubscribeUrl: 'https://example.com/unsub?u=1' }));
    expect(n.headers['List-Unsubscribe']).toBe('<https://example.com/unsub?u=1>');
    expect(n.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    for (const category of ['code', 'alert'] as const) {
      const m = composeMessage(base({ rendered: rendered({ category }), unsubscribeUrl: 'https://example.com/unsub' }));
      expect(m.headers['List-Unsubscribe']).toBeUndefined();
      expect(m.headers['List-Unsubscribe-Post']).toBeUndefined();
    }
    expect(composeMessage(base()).headers['List-Unsubscribe']).toBeUndefined();
  });

  const injections: [string, Partial<ComposeInput>][] = [
    ['subject with LF', { rendered: rendered({ subject: 'Hello\nBcc: victim@example.com' }) }],
    ['subject with CR', { rendered: rendered({ subject: 'Hello\rBcc: victim@example.com' }) }],
    ['recipient with CRLF', { to: 'ops@example.com\r\nBcc: victim@example.com' }],
    ['sender with LF', { from: 'Dify <no-reply@example.com>\nBcc: x@example.com' }],
    ['Message-ID with LF', { messageId: '<a@example.com>\nBcc: x@example.com' }],
    ['unsubscribe URL with CRLF', { unsubscribeUrl: 'https://example.com/u\r\nBcc: x@example.com' }],
    ['custom header value with LF', { headers: { 'X-Tag': 'a\nBcc: x@example.com' } }],
    ['custom header name with CRLF', { headers: { 'X-Tag\r\nBcc': 'x' } }],
  ];
  it.each(injections)('refuses header injection: %s → 65', (_name, over) => {
    const err = dataError(() => composeMessage(base(over)));
    expect(err.message).toMatch(/line break|not a valid header name/);
  });

  const invalid: [string, Partial<ComposeInput>, RegExp][] = [
    ['invalid recipient', { to: 'not-an-address' }, /recipient "not-an-address" is not a valid address/],
    ['no recipient', { to: [] }, /no recipient/],
    ['invalid sender', { from: 'Dify <nobody>' }, /sender .* is not a valid address/],
    ['malformed Message-ID', { messageId: 'abc@example.com' }, /Message-ID .* not of the form/],
    ['http unsubscribe URL', { unsubscribeUrl: 'http://example.com/u' }, /not an https URL/],
    ['reserved header', { headers: { From: 'x@example.com' } }, /set by mailctl/],
    [
      'List-Unsubscribe smuggled as a header',
      { headers: { 'List-Unsubscribe': '<https://x.example>' } },
      /set by mailctl/,
    ],
    ['header name with a space', { headers: { 'X Tag': 'x' } }, /not a valid header name/],
    ['empty subject', { rendered: rendered({ subject: '  ' }) }, /empty subject/],
  ];
  it.each(invalid)('refuses %s → 65', (_name, over, message) => {
    expect(dataError(() => composeMessage(base(over))).message).toMatch(message);
  });

  it('accepts custom headers', () => {
    expect(composeMessage(base({ headers: { 'X-Job-Id': 'j1' } })).headers['X-Job-Id']).toBe('j1');
  });
});
