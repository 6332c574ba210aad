/**
 * The message as it goes on the wire after DATA (RFC 5321 §4.5.2): every line ends in CRLF, a line
 * that starts with "." gets another ".", and the data ends with CRLF "." CRLF. Byte for byte what
 * nodemailer's DataStream makes of the same input (a bare LF or CR becomes CRLF), so a message
 * arrives identical whichever client sent it. Pure.
 */

import { isMarkedCrlfClean } from '../crlf-clean.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const END_AFTER_LF = Buffer.from('.\r\n');
const END_AFTER_CR = Buffer.from('\n.\r\n');
const END = Buffer.from('\r\n.\r\n');

/** Whether `raw` already is clean CRLF text with no line starting with "." (our MIME usually is). */
function isClean(raw: Buffer): boolean {
  if (raw[0] === DOT) return false;
  if (raw.indexOf('\n.') >= 0) return false;
  return isMarkedCrlfClean(raw) || isCrlfClean(raw);
}

/** Whether every CR of `raw` is followed by LF and every LF preceded by CR. */
export function isCrlfClean(raw: Buffer): boolean {
  // Every CR is followed by LF and every LF preceded by CR: count them and check the pairs.
  let lf = raw.indexOf(LF);
  while (lf >= 0) {
    if (lf === 0 || raw[lf - 1] !== CR) return false;
    lf = raw.indexOf(LF, lf + 1);
  }
  let cr = raw.indexOf(CR);
  while (cr >= 0) {
    if (raw[cr + 1] !== LF) return false;
    cr = raw.indexOf(CR, cr + 1);
  }
  return true;
}

function terminator(last: number | undefined): Buffer {
  return last === LF ? END_AFTER_LF : last === CR ? END_AFTER_CR : END;
}

/** The DATA bytes for `raw`, terminator included. */
export function dotStuff(raw: Buffer): Buffer {
  return Buffer.concat(dotStuffChunks(raw));
}

/**
 * The same bytes as chunks to write in order (one writev): clean bytes go out as they are, with
 * the terminator beside them, not copied into a new 14 KB buffer per message.
 */
export function dotStuffChunks(raw: Buffer): Buffer[] {
  if (raw.length === 0) return [END];
  if (isClean(raw)) return [raw, terminator(raw[raw.length - 1])];
  const out: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    const prev = i === 0 ? undefined : raw[i - 1];
    let insert: string | undefined;
    if (prev === CR && byte !== LF) insert = byte === DOT ? '\n.' : '\n';
    else if (byte === LF && prev !== CR) insert = '\r';
    else if (byte === DOT && (prev === LF || prev === undefined)) insert = '.';
    if (insert !== undefined) {
      out.push(raw.subarray(from, i), Buffer.from(insert));
      from = i;
    }
  }
  out.push(raw.subarray(from), terminator(raw[raw.length - 1]));
  return out;
}
