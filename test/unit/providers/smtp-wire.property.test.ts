/**
 * Property tests (fast-check, fixed seed) for the pure parts of the drain's pipelined SMTP client:
 * dot-stuffing gives byte for byte what nodemailer's own DataStream gives (the bytes `send` has
 * always put on the wire), for any mix of CR, LF, dots and text; and the reply reader finds the
 * same replies however the server's bytes are split into reads.
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { markCrlfClean } from '../../../src/providers/crlf-clean.js';
import { dotStuff } from '../../../src/providers/smtp-client/dot-stuff.js';
import { ReplyParser, type SmtpReply } from '../../../src/providers/smtp-client/replies.js';

const RUNS = { seed: 20261206, numRuns: 300 };
const require = createRequire(import.meta.url);
// nodemailer does not export it; the file is the reference, not a dependency of src/.
const DataStream = require(
  join(dirname(require.resolve('nodemailer')), 'smtp-connection', 'data-stream.js'),
) as new () => NodeJS.ReadWriteStream;

async function viaNodemailer(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const stream = Readable.from(chunks).pipe(new DataStream());
  for await (const c of stream) out.push(c as Buffer);
  return Buffer.concat(out);
}

const piece = fc.constantFrom('\r', '\n', '\r\n', '.', '..', 'a', 'Subject: x', 'é', ' ');
const message = fc.array(piece, { maxLength: 40 }).map((p) => Buffer.from(p.join(''), 'utf8'));

describe('dotStuff', () => {
  it('equals nodemailer DataStream for any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(message, async (raw) => {
        expect(dotStuff(raw).toString('latin1')).toBe((await viaNodemailer([raw])).toString('latin1'));
      }),
      RUNS,
    );
  });

  it('leaves clean CRLF text as it is and ends it with CRLF . CRLF', () => {
    expect(dotStuff(Buffer.from('a\r\nb\r\n')).toString()).toBe('a\r\nb\r\n.\r\n');
    expect(dotStuff(Buffer.from('.a\r\n.b')).toString()).toBe('..a\r\n..b\r\n.\r\n');
  });
});

const replyLine = fc.tuple(
  fc.constantFrom('250', '354', '421', '535'),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
);
const reply = fc.array(replyLine, { minLength: 1, maxLength: 4 }).map((lines) => ({
  lines: lines.map(([, text], i) => `${lines[0]![0]}${i === lines.length - 1 ? ' ' : '-'}${text}`),
}));

describe('dotStuff of bytes marked CRLF-clean (buildMime output)', () => {
  it('still doubles a leading dot, and ends the data once', () => {
    const marked = markCrlfClean(Buffer.from('.first\r\nmid\r\n.\r\n..x\r\n'));
    expect(dotStuff(marked).toString()).toBe('..first\r\nmid\r\n..\r\n...x\r\n.\r\n');
    const plain = markCrlfClean(Buffer.from('a\r\nb\r\n'));
    expect(dotStuff(plain).toString()).toBe('a\r\nb\r\n.\r\n');
  });
});

describe('ReplyParser', () => {
  it('finds the same replies however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(reply, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (replies, cuts) => {
          const bytes = Buffer.from(replies.map((r) => r.lines.map((l) => `${l}\r\n`).join('')).join(''), 'utf8');
          const parser = new ReplyParser();
          const got: SmtpReply[] = [];
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          let from = 0;
          for (const cut of [...at, bytes.length]) {
            got.push(...parser.feed(bytes.subarray(from, cut)));
            from = cut;
          }
          expect(got.map((r) => r.text)).toEqual(replies.map((r) => r.lines.join('\n')));
          expect(got.map((r) => r.code)).toEqual(replies.map((r) => Number(r.lines[0]!.slice(0, 3))));
        },
      ),
      RUNS,
    );
  });

  it('refuses a reply that never ends (bounded memory)', () => {
    const parser = new ReplyParser();
    expect(() => parser.feed(Buffer.alloc(70_000, 'x'))).toThrow(/too long/);
  });
});
