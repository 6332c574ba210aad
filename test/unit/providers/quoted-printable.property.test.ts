/**
 * Property test (fast-check, fixed seed): a line of printable ASCII is encoded by regular
 * expressions and slices (src/providers/quoted-printable.ts, for a process that encodes one
 * message cold); the result must be exactly what the loop over the bytes gives. A line followed
 * by an LF is not a printable line, so the byte loop encodes it: its encoding is the line's plus
 * the CRLF (quoted-printable is defined line by line).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quotedPrintable } from '../../../src/providers/quoted-printable.js';

const RUNS = { seed: 20261206, numRuns: 2000 };

/** Printable ASCII lines rich in what the encoder treats apart: `=`, spaces and tabs, long runs. */
const printableLine = fc
  .array(fc.constantFrom('=', ' ', '\t', 'a', 'Z', '<td style="x">', '=3D', 'x'.repeat(70), '~', '!'), {
    maxLength: 40,
  })
  .map((parts) => parts.join(''));

const byTheByteLoop = (line: string): string => quotedPrintable(`${line}\n`).replace(/\r\n$/, '');

describe('quotedPrintable of a printable ASCII line', () => {
  it('is what the byte loop gives, soft breaks included', () => {
    fc.assert(
      fc.property(printableLine, (line) => {
        expect(quotedPrintable(line)).toBe(byTheByteLoop(line));
      }),
      RUNS,
    );
  });

  it.each([
    ['empty', ''],
    ['a trailing space', 'abc '],
    ['a trailing tab', 'abc\t'],
    ['75 characters, then an =XX (77 in all)', `${'a'.repeat(74)}=b`],
    ['an =XX that would end at 76', `${'a'.repeat(73)}=`],
    ['an =XX that would cross 75', `${'a'.repeat(74)}=${'b'.repeat(10)}`],
    ['only =', '='.repeat(60)],
  ])('%s', (_name, line) => {
    expect(quotedPrintable(line)).toBe(byTheByteLoop(line));
    for (const l of quotedPrintable(line).split('\r\n')) expect(l.length).toBeLessThanOrEqual(76);
  });
});
