/**
 * Property tests (fast-check, fixed seed) for the header and body encoders of the MIME builder:
 * for any subject, display name and header value a message can carry (no CR/LF: compose.ts
 * refuses those), every header line is 7-bit with no bare CR or LF, and a real parser
 * (mailparser) decodes it back to the same text. Quoted-printable bodies likewise.
 */
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { buildMime, quotedPrintable } from '../../../src/providers/mime.js';

const RUNS = { seed: 20261206, numRuns: 150 };

/** One line of any Unicode text (astral planes and controls included) but CR, LF and NUL. */
const headerValue = fc.string({ unit: 'grapheme', maxLength: 120 }).map((s) => s.replace(/[\r\n\0]/g, ' '));

function message(subject: string, name: string, extra: string): OutgoingMessage {
  return {
    from: { name, address: 'no-reply@example.com' },
    to: [{ address: 'ops@example.com' }],
    subject,
    html: '<p>x</p>',
    text: 'x',
    messageId: '<1@example.com>',
    date: new Date(Date.UTC(2026, 11, 6)),
    headers: { 'X-Mailctl-Note': extra },
    type: 'custom',
    category: 'notification',
    lang: 'en-US',
  };
}

/** RFC 2045 §6.7 decoding: soft breaks out, =XX to bytes. */
const decodeQp = (qp: string): Buffer =>
  Buffer.from(
    qp
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})|[\s\S]/g, (m, hex: string | undefined) =>
        hex ? String.fromCharCode(parseInt(hex, 16)) : m,
      ),
    'latin1',
  );

/** The header block of an RFC 5322 message. */
const headerBlock = (raw: Buffer): string => raw.toString('latin1').split('\r\n\r\n')[0]!;

describe('MIME header encoders (properties)', () => {
  it('every header line is 7-bit, at most 998 characters, with CRLF only; the values decode back', async () => {
    await fc.assert(
      fc.asyncProperty(headerValue, headerValue, headerValue, async (subject, name, extra) => {
        const raw = await buildMime(message(subject, name, extra));
        const head = headerBlock(raw);
        expect(head).toMatch(/^[\x00-\x7f]*$/);
        expect(head.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
        for (const line of head.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
        const parsed = await simpleParser(raw);
        // Folding whitespace and surrounding blanks are not part of an unstructured value.
        const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();
        expect(norm(parsed.subject ?? '')).toBe(norm(subject));
        expect(norm(parsed.from?.value[0]?.name ?? '')).toBe(norm(name));
        expect(parsed.from?.value[0]?.address).toBe('no-reply@example.com');
        // The extra header goes through the same encoder as Subject (headerText): checked above.
      }),
      RUNS,
    );
  });

  it('quoted-printable: 7-bit lines of at most 76 characters that decode to the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        const qp = quotedPrintable(text);
        expect(qp).toMatch(/^[\x00-\x7f]*$/);
        for (const line of qp.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
        expect(qp.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
        expect(decodeQp(qp).toString('utf8')).toBe(text.replace(/\r?\n/g, '\r\n'));
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
});
