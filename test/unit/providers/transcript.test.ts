import { describe, expect, it } from 'vitest';
import { transcriptLines } from '../../../src/providers/transcript.js';

const run = (steps: [string, string, Record<string, unknown>?][]): string[] => {
  const state = new Map<string, boolean>();
  return steps.flatMap(([tnx, text, extra]) => transcriptLines({ tnx, ...extra }, text, state));
};

describe('SMTP transcript lines', () => {
  it('AUTH LOGIN: the user name and the password lines are masked until the server answers', () => {
    expect(
      run([
        ['client', 'AUTH LOGIN'],
        ['server', '334 VXNlcm5hbWU6'],
        ['client', 'bWFpbGVy'],
        ['server', '334 UGFzc3dvcmQ6'],
        ['client', 'aHVudGVyMg=='],
        ['server', '235 2.7.0 Authentication successful'],
        ['client', 'MAIL FROM:<a@example.com>'],
      ]),
    ).toEqual([
      ' -> AUTH LOGIN',
      '<-  334 VXNlcm5hbWU6',
      ' -> ********',
      '<-  334 UGFzc3dvcmQ6',
      ' -> ********',
      '<-  235 2.7.0 Authentication successful',
      ' -> MAIL FROM:<a@example.com>',
    ]);
  });

  it('AUTH PLAIN and XOAUTH2 arguments are masked; a refusal ends the exchange', () => {
    expect(
      run([
        ['client', 'AUTH XOAUTH2 dXNlcj1tZQFhdXRoPUJlYXJlciB0b2tlbgEB'],
        ['server', '535 5.7.8 Authentication credentials invalid'],
        ['client', 'QUIT'],
      ]),
    ).toEqual([' -> AUTH XOAUTH2 ********', '<-  535 5.7.8 Authentication credentials invalid', ' -> QUIT']);
  });

  it('tags pooled connections, keeps the size line of the body and drops the body itself', () => {
    expect(
      run([
        ['network', 'Connection established to 127.0.0.1:2525', { cid: 'ab1' }],
        ['message', 'Subject: hello'],
        ['message', '<120 bytes encoded mime message (source size 118 bytes)>', { outByteCount: 120 }],
      ]),
    ).toEqual([
      '[ab1] === Connection established to 127.0.0.1:2525',
      '=== <120 bytes encoded mime message (source size 118 bytes)>',
    ]);
  });
});
