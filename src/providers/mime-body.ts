/**
 * A body part as MIME carries it: 7bit when it is short-lined ASCII, else quoted-printable or
 * base64 (Q while Latin letters outnumber the rest: nodemailer's rules), built line by line from
 * a bounded memo of lines already seen.
 *
 * Why: a rendered body is mostly its template. A reset-password mail is ~290 lines of HTML, of
 * which one holds the code; every other line is the same for every recipient of that type ×
 * language × brand variant (and of an operator's templates, without this module knowing of
 * variants). Surveying and encoding each distinct line once per process, not once per message,
 * took the quoted-printable of a zh-CN body from ~90 to ~35 µs here.
 *
 * Why it is exact: both the survey and quoted-printable are defined line by line. A line break
 * (LF or CRLF) resets the line length; soft breaks never cross it; whitespace is escaped by what
 * follows it within the line. So the encoding of a body is the encodings of its lines joined by
 * CRLF, and its survey the sum of theirs.
 *
 * Guarantees: (1) the output is what encoding the whole text in one pass gives (property test
 * against `quotedPrintable` and the one-pass survey, with random bodies and recipients); (2) the
 * memo's key is a whole line, so an encoding is only ever reused for an identical line: no part
 * of one recipient's message can appear in another's; (3) memory is bounded: MEMO_CHARS
 * characters of lines and encodings at most, oldest out first; longer lines are not remembered.
 */
import { PRINTABLE_LINE, quotedPrintable } from './quoted-printable.js';

/** RFC 5322 §2.1.1: at most 78 characters per line before CRLF; encoders wrap at 76. */
export const LINE = 76;

/** Characters (lines + their encodings) the memo keeps, about 2–4 MB: many templates' worth. */
export const MEMO_CHARS = 1_000_000;
/** Lines longer than this are encoded without being remembered (template lines are shorter). */
export const MEMO_LINE_CHARS = 4096;

/** What a text (or one line of it) needs. */
export interface Survey {
  /** Short-lined printable ASCII: can go as 7bit. */
  plain: boolean;
  /** Characters other than ASCII letters that need encoding (controls, non-ASCII). */
  other: number;
  /** ASCII letters. */
  latin: number;
}

/**
 * One line's survey. `lfFollows`: the line is followed by an LF, so a CR at its end is part of a
 * CRLF break (anywhere else a bare CR makes the text not plain).
 */
function surveyLine(line: string, lfFollows: boolean): Survey {
  // Printable ASCII (most template lines): counted by the regular expression engine, not a loop
  // that a one-message process runs cold (see quoted-printable.ts).
  if (PRINTABLE_LINE.test(line))
    return { plain: line.length <= LINE, other: 0, latin: line.replace(NOT_LATIN, '').length };
  let plain = line.length <= LINE;
  let other = 0;
  let latin = 0;
  const last = line.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = line.charCodeAt(i);
    if (c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x80) {
      other++;
      plain = false;
    } else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
    else if (c === 0x7f || (c === 0x0d && !(i === last && lfFollows))) plain = false;
  }
  return { plain, other, latin };
}

const NOT_LATIN = /[^A-Za-z]/g;

/** Q or B for a survey: Q while Latin letters outnumber the rest. */
export const encodingOf = (s: Survey): 'Q' | 'B' => (s.other < s.latin ? 'Q' : 'B');

/** The survey of a whole text (header values: short, never remembered). */
export function survey(text: string): Survey {
  const total: Survey = { plain: true, other: 0, latin: 0 };
  for (const { line, lfFollows } of linesOf(text)) add(total, surveyLine(line, lfFollows));
  return total;
}

function add(total: Survey, s: Survey): void {
  total.plain &&= s.plain;
  total.other += s.other;
  total.latin += s.latin;
}

/** The lines of a text, each without its LF (a CR before that LF stays: the survey needs it). */
function* linesOf(text: string): Generator<{ line: string; lfFollows: boolean }> {
  let start = 0;
  for (;;) {
    const lf = text.indexOf('\n', start);
    if (lf < 0) {
      yield { line: text.slice(start), lfFollows: false };
      return;
    }
    yield { line: text.slice(start, lf), lfFollows: true };
    start = lf + 1;
  }
}

interface KnownLine extends Survey {
  /** The line's quoted-printable, without its break. */
  qp: string;
}

/** line (followed by an LF) → what it needs and its encoding; insertion order is eviction order. */
const memo = new Map<string, KnownLine>();
let memoChars = 0;
let memoLimit = MEMO_CHARS;

function knownLine(line: string, lfFollows: boolean): KnownLine {
  const remembered = lfFollows ? memo.get(line) : undefined;
  if (remembered) return remembered;
  // A CR before the LF belongs to the break; a CR anywhere else is the line's own (=0D).
  const content = lfFollows && line.endsWith('\r') ? line.slice(0, -1) : line;
  const known = { ...surveyLine(line, lfFollows), qp: quotedPrintable(content) };
  if (!lfFollows || line.length > MEMO_LINE_CHARS) return known;
  // A copy, not the slice: a slice keeps its whole body alive (V8 sliced strings), and a line
  // seen once, such as the one with a code, would hold ~11 KB per message until evicted
  // (bench/drain.bench.js: +100 MB of live heap after 10,000 messages).
  memo.set(JSON.parse(JSON.stringify(line)) as string, known);
  memoChars += line.length + known.qp.length;
  while (memoChars > memoLimit) {
    const [oldest, value] = memo.entries().next().value as [string, KnownLine];
    memo.delete(oldest);
    memoChars -= oldest.length + value.qp.length;
  }
  return known;
}

/** How many lines the memo holds, and their size (for tests). */
export function memoStats(): { lines: number; chars: number; pieces: number; pieceChars: number } {
  return { lines: memo.size, chars: memoChars, pieces: pieceMemo.size, pieceChars: pieceMemoChars };
}

/** Empties the memo and sets its size (tests: eviction with small bodies). */
export function resetMemo(limitChars = MEMO_CHARS): void {
  memo.clear();
  memoChars = 0;
  pieceMemo.clear();
  pieceMemoChars = 0;
  memoLimit = limitChars;
}

const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/**
 * A piece of a body that holds line breaks, split once: the text before its first LF, the
 * complete lines after it (surveyed, and their quoted-printable joined by CRLF) and the text after
 * its last LF.
 */
interface SplitPiece {
  head: string;
  inner: Survey & { lines: number; qp: string };
  tail: string;
}

/** piece → its split; the same bound as the line memo, oldest out first. */
const pieceMemo = new Map<string, SplitPiece>();
let pieceMemoChars = 0;

function splitPiece(piece: string, firstLf: number): SplitPiece {
  const lastLf = piece.lastIndexOf('\n');
  const inner: SplitPiece['inner'] = { plain: true, other: 0, latin: 0, lines: 0, qp: '' };
  for (let start = firstLf + 1; start <= lastLf;) {
    const lf = piece.indexOf('\n', start);
    const known = knownLine(piece.slice(start, lf), true);
    add(inner, known);
    inner.qp += inner.lines++ === 0 ? known.qp : `\r\n${known.qp}`;
    start = lf + 1;
  }
  const split = { head: piece.slice(0, firstLf), inner, tail: piece.slice(lastLf + 1) };
  if (piece.length > MEMO_LINE_CHARS * 16) return split;
  pieceMemo.set(piece, split);
  pieceMemoChars += piece.length + inner.qp.length;
  while (pieceMemoChars > memoLimit) {
    const [oldest, value] = pieceMemo.entries().next().value as [string, SplitPiece];
    pieceMemo.delete(oldest);
    pieceMemoChars -= oldest.length + value.inner.qp.length;
  }
  return split;
}

/**
 * The lines of `pieces` (whose concatenation is the body), surveyed and encoded. A rendered
 * template's static pieces are the same strings in every render, so each is split and encoded
 * once and found again by identity (V8 keeps a string's hash; equal pointers compare at once);
 * only the lines that run through a filled-in value are looked up line by line. The lines are
 * exactly the body's lines, so the result is what the line-by-line pass gives.
 */
function linesOfPieces(pieces: readonly string[], total: Survey): string[] {
  const encoded: string[] = [];
  let line = '';
  const emit = (text: string, lfFollows: boolean): void => {
    const known = knownLine(text, lfFollows);
    add(total, known);
    encoded.push(known.qp);
  };
  for (const piece of pieces) {
    let split = pieceMemo.get(piece);
    if (!split) {
      const lf = piece.indexOf('\n');
      if (lf < 0) {
        line += piece;
        continue;
      }
      split = splitPiece(piece, lf);
    }
    emit(line + split.head, true);
    if (split.inner.lines > 0) {
      add(total, split.inner);
      encoded.push(split.inner.qp);
    }
    line = split.tail;
  }
  emit(line, false);
  return encoded;
}

/**
 * One body part: its Content-Transfer-Encoding and the encoded body (CRLF line breaks).
 * `pieces`, when given, must concatenate to `content` (a render's pieces: see linesOfPieces).
 */
export function textPart(content: string, pieces?: readonly string[]): { encoding: string; body: string } {
  const total: Survey = { plain: true, other: 0, latin: 0 };
  let encoded: string[];
  if (pieces) encoded = linesOfPieces(pieces, total);
  else {
    encoded = [];
    // linesOf(), inlined: a generator's protocol costs as much as the memo saves on short lines.
    for (let start = 0; ;) {
      const lf = content.indexOf('\n', start);
      const known = knownLine(content.slice(start, lf < 0 ? content.length : lf), lf >= 0);
      add(total, known);
      encoded.push(known.qp);
      if (lf < 0) break;
      start = lf + 1;
    }
  }
  if (total.plain) return { encoding: '7bit', body: crlf(content) };
  if (encodingOf(total) === 'Q') return { encoding: 'quoted-printable', body: encoded.join('\r\n') };
  const b64 = Buffer.from(crlf(content), 'utf8').toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += LINE) body += (i ? '\r\n' : '') + b64.slice(i, i + LINE);
  return { encoding: 'base64', body };
}
