/**
 * A render's HTML pieces and the string they were joined into. The MIME encoder may use pieces
 * only while they still make up the message's HTML; remembering the joined string lets it tell in
 * O(1) (the same string object compares equal at once) instead of joining 11 KB again per message.
 */
const joined = new WeakMap<readonly string[], string>();

/** `pieces.join('')`, remembered for {@link piecesMake}. */
export function joinPieces(pieces: readonly string[]): string {
  const html = pieces.join('');
  joined.set(pieces, html);
  return html;
}

/** Whether `pieces` concatenate to `html` (an edited HTML, or pieces from elsewhere, are checked in full). */
export function piecesMake(pieces: readonly string[], html: string): boolean {
  const known = joined.get(pieces);
  return known !== undefined ? known === html : pieces.join('') === html;
}
