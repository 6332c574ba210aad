import { describe, expect, it } from 'vitest';
import { ehloExtensions, replyText } from '../../../../src/providers/probe/smtp/wire.js';

describe('SMTP reply helpers', () => {
  it('joins a multi-line reply on one line', () => {
    expect(replyText({ code: 250, lines: ['250-mx.example.com Hello', '250-PIPELINING', '250 SIZE 1000'] })).toBe(
      '250-mx.example.com Hello | PIPELINING | SIZE 1000',
    );
    expect(replyText({ code: 220, lines: ['220 ready'] })).toBe('220 ready');
  });

  it.each<[string, string[], Record<string, string[]>]>([
    [
      'keywords and parameters, upper-cased',
      ['250-mx', '250-starttls', '250 AUTH plain login'],
      { STARTTLS: [], AUTH: ['PLAIN', 'LOGIN'] },
    ],
    [
      'the pre-standard AUTH= form when AUTH is absent',
      ['250-mx', '250 AUTH=LOGIN PLAIN'],
      { 'AUTH=LOGIN': ['PLAIN'], AUTH: ['LOGIN', 'PLAIN'] },
    ],
    ['AUTH wins over AUTH=', ['250-mx', '250-AUTH=LOGIN', '250 AUTH PLAIN'], { 'AUTH=LOGIN': [], AUTH: ['PLAIN'] }],
    ['a bare greeting line has no extensions', ['250 mx.example.com'], {}],
  ])('EHLO extensions: %s', (_n, lines, want) => {
    expect(Object.fromEntries(ehloExtensions({ code: 250, lines }))).toEqual(want);
  });
});
