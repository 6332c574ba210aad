/**
 * Property tests (fast-check, fixed seed) for the line memo of body parts (src/providers/mime-body.ts):
 * whatever bodies come through, in whatever order, with the memo warm, cold or evicting, each
 * body part is exactly what encoding that body alone in one pass gives (the survey that picks
 * 7bit / quoted-printable / base64, and the encoding itself), so no line of one recipient's
 * message can end up in another's.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MEMO_CHARS, memoStats, resetMemo, textPart } from '../../../src/providers/mime-body.js';
import { quotedPrintable } from '../../../src/providers/quoted-printable.js';

const RUNS = { seed: 20261206, numRuns: 200 };

/** The one-pass encoder the memo replaced: nodemailer's rules over the whole text at once. */
function oneShot(text: string): { encoding: string; body: string } {
  let plain = true;
  let line = 0;
  let other = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line = 0;
      continue;
    }
    if (++line > 76) plain = false;
    if (c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x80) {
      other++;
      plain = false;
    } else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
    else if (c === 0x7f || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) plain = false;
  }
  const crlf = text.replace(/\r?\n/g, '\r\n');
  if (plain) return { encoding: '7bit', body: crlf };
  if (other < latin) return { encoding: 'quoted-printable', body: quotedPrintable(text) };
  const b64 = Buffer.from(crlf, 'utf8').toString('base64');
  return { encoding: 'base64', body: b64.match(/.{1,76}/g)?.join('\r\n') ?? '' };
}

/** Lines as templates have them: markup, Latin and CJK words, '=', spaces and tabs at the ends, a stray CR. */
const lineOf = fc
  .array(
    fc.constantFrom(
      '<td style="padding:0 24px;font-family:Arial">',
      'Your code is',
      '您的验证码是',
      'Grüße, Ömer',
      ' ',
      '\t',
      '=',
      '=3D',
      '\r',
      'x'.repeat(90),
      '😀',
      '\u0001',
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

/** A template: fixed lines with one or more slots a recipient's value goes into. */
const template = fc.array(fc.oneof(lineOf, fc.constant('%%slot%%')), { minLength: 1, maxLength: 12 });
/** A recipient's value: anything a variable can hold, line breaks included. */
const value = fc.string({ unit: 'grapheme', maxLength: 40 });
const breakOf = fc.constantFrom('\n', '\r\n');

const fillIn = (lines: string[], values: string[], nl: string): string =>
  lines.map((l, i) => l.replace('%%slot%%', () => values[i % Math.max(1, values.length)] ?? '')).join(nl);

afterEach(() => resetMemo());

describe('body parts from the line memo (properties)', () => {
  it('each message of a template, for any recipients in any order, equals its one-pass encoding', () => {
    fc.assert(
      fc.property(
        template,
        fc.array(fc.array(value, { maxLength: 3 }), { minLength: 2, maxLength: 6 }),
        breakOf,
        (lines, recipients, nl) => {
          // Twice over the same recipients: the second pass runs on a warm memo.
          for (const values of [...recipients, ...recipients]) {
            const text = fillIn(lines, values, nl);
            expect(textPart(text)).toEqual(oneShot(text));
          }
        },
      ),
      RUNS,
    );
  });

  it('stays exact while evicting, and within its size', () => {
    resetMemo(2_000);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(template, fc.array(value, { maxLength: 3 }), breakOf), { minLength: 1, maxLength: 8 }),
        (bodies) => {
          for (const [lines, values, nl] of bodies) {
            const text = fillIn(lines, values, nl);
            expect(textPart(text)).toEqual(oneShot(text));
            expect(memoStats().chars).toBeLessThanOrEqual(2_000);
          }
        },
      ),
      RUNS,
    );
  });

  it('remembers a line once, however many messages carry it, and keeps to MEMO_CHARS', () => {
    const body = (i: number): string => `<p>static one</p>\n<p>code ${i}</p>\n<p>static two</p>\n`;
    for (let i = 0; i < 100; i++) textPart(body(i));
    // two static lines + one per code; the last line (after the final LF) is empty and not remembered
    expect(memoStats().lines).toBe(102);
    expect(MEMO_CHARS).toBeGreaterThan(0);
  });
});

/** A template as render gives it: static pieces (the same strings every time) and slots between them. */
const pieceOf = fc
  .array(fc.oneof(lineOf, breakOf, fc.constant('\n\n'), fc.constant('')), { maxLength: 6 })
  .map((parts) => parts.join(''));
const pieceTemplate = fc.array(pieceOf, { minLength: 1, maxLength: 10 });
/** Values with line breaks, CRs and nothing at all among them. */
const pieceValue = fc.oneof(value, fc.constantFrom('', '\n', '\r\n', 'a\nb', '\r', '=\n'));

/** Static pieces with a value between each two (the shape of fillTemplatePieces' result). */
function render(statics: string[], values: string[]): string[] {
  const pieces: string[] = [];
  statics.forEach((s, i) => {
    pieces.push(s);
    if (i < statics.length - 1) pieces.push(values[i % Math.max(1, values.length)] ?? '');
  });
  return pieces;
}

describe('body parts from rendered pieces (properties)', () => {
  it('for any template and recipients, encoding the pieces equals encoding the joined body', () => {
    fc.assert(
      fc.property(
        pieceTemplate,
        fc.array(fc.array(pieceValue, { maxLength: 4 }), { minLength: 2, maxLength: 6 }),
        (statics, recipients) => {
          // Twice over: the second pass finds every static piece (the same string objects) in the memo.
          for (const values of [...recipients, ...recipients]) {
            const pieces = render(statics, values);
            const text = pieces.join('');
            expect(textPart(text, pieces)).toEqual(oneShot(text));
          }
        },
      ),
      RUNS,
    );
  });

  it('stays exact while both memos evict, and the piece memo keeps within its size', () => {
    resetMemo(2_000);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(pieceTemplate, fc.array(pieceValue, { maxLength: 3 })), { minLength: 1, maxLength: 8 }),
        (bodies) => {
          for (const [statics, values] of bodies) {
            const pieces = render(statics, values);
            const text = pieces.join('');
            expect(textPart(text, pieces)).toEqual(oneShot(text));
            expect(memoStats().pieceChars).toBeLessThanOrEqual(2_000);
          }
        },
      ),
      RUNS,
    );
  });

  it('splits a static piece once, however many messages carry it', () => {
    const head = '<html>\n<body>\n<p>';
    const foot = '</p>\n</body>\n</html>\n';
    for (let i = 0; i < 50; i++) textPart(`${head}${i}${foot}`, [head, String(i), foot]);
    expect(memoStats().pieces).toBe(2);
  });
});
