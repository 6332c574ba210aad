/** html-pieces: pieces are trusted only while they still make up the HTML. */
import { describe, expect, it } from 'vitest';
import { joinPieces, piecesMake } from '../../../src/message/html-pieces.js';

describe('piecesMake', () => {
  it('the joined HTML, or an equal copy of it: yes', () => {
    const pieces = ['<p>', '123456', '</p>\n'];
    const html = joinPieces(pieces);
    expect(html).toBe('<p>123456</p>\n');
    expect(piecesMake(pieces, html)).toBe(true);
    expect(piecesMake(pieces, `<p>${'123456'}</p>\n`)).toBe(true);
  });

  it('an HTML edited after the join, even to the same length: no', () => {
    const pieces = ['<p>', '123456', '</p>\n'];
    const html = joinPieces(pieces);
    expect(piecesMake(pieces, html.replace('123456', '999999'))).toBe(false);
    expect(piecesMake(pieces, '')).toBe(false);
  });

  it('pieces it never joined are checked in full', () => {
    expect(piecesMake(['a', 'b'], 'ab')).toBe(true);
    expect(piecesMake(['a', 'b'], 'ba')).toBe(false);
  });
});
