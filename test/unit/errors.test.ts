import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessError,
  AuthError,
  CannotCreateError,
  DnsLookupError,
  ERROR_CODES,
  IoError,
  MailctlError,
  ProbeFailure,
  WireError,
  type ErrorCode,
  ConfigError,
  DataError,
  DeliveryError,
  ExitCode,
  exitCodeOf,
  ProtocolError,
  TemporaryError,
  UnavailableError,
  UsageError,
} from '../../src/errors.js';
import { fileSystemError } from '../../src/errors.js';
import { formatError } from '../../src/output/format-error.js';
import { ROOT } from '../helpers/cli.js';

describe("file-system errors are the machine's, not bugs", () => {
  const fsErr = (code: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: boom, open '/srv/spool/x'`), { code, syscall: 'open', path: '/srv/spool/x' });
  it.each([
    ['ENOSPC', 75, /disk is full/],
    ['EDQUOT', 75, /disk is full/],
    ['EACCES', 77, /permission denied/],
    ['EPERM', 77, /permission denied/],
    ['EROFS', 73, /read-only/],
    ['ENOTDIR', 73, /not a directory/],
    ['EISDIR', 73, /is a directory/],
    ['EIO', 74, /disk failed/],
  ])('%s → %i, one sentence naming the path, with a hint', (code, exit, words) => {
    const err = fileSystemError(fsErr(code), 'the spool directory');
    expect(err.exitCode).toBe(exit);
    expect(err.message).toMatch(words);
    expect(err.message).toContain('/srv/spool/x');
    expect(err.hint).toBeTruthy();
    expect(exitCodeOf(fsErr(code))).toBe(exit);
    const printed = formatError(fsErr(code), false);
    expect(printed).not.toMatch(/internal error|bug in mailctl/);
    expect(printed.split('\n')).toHaveLength(2);
  });
});

describe('exit codes', () => {
  it.each([
    [new UsageError('x'), 64],
    [new DataError('x'), 65],
    [new UnavailableError('x'), 69],
    [new TemporaryError('x'), 75],
    [new ProtocolError('x'), 76],
    [new AuthError('x'), 77],
    [new ConfigError('x'), 78],
    [
      new DeliveryError('x', {
        kind: 'transient',
        exitCode: ExitCode.TEMPFAIL,
        reply: { provider: 'smtp', responseCode: 451 },
      }),
      75,
    ],
    [new Error('a bug'), 70],
    ['a thrown string', 70],
  ])('%s → %d', (err, code) => expect(exitCodeOf(err)).toBe(code));
});

describe('formatError', () => {
  it('prints one sentence and a hint, no stack, for an expected error', () => {
    const text = formatError(new ConfigError('SMTP_PORT is required', { hint: 'set SMTP_PORT=587' }), false);
    expect(text).toBe('mailctl: SMTP_PORT is required\nhint: set SMTP_PORT=587');
  });

  it('shows the stack and the cause only with --debug', () => {
    const err = new UnavailableError('cannot connect', { cause: new Error('ECONNREFUSED 127.0.0.1:1') });
    expect(formatError(err, false)).not.toContain('ECONNREFUSED');
    const debug = formatError(err, true);
    expect(debug).toContain('caused by: Error: ECONNREFUSED');
    expect(debug).toMatch(/\n\s+at /);
  });

  it("prints the provider's own words", () => {
    const err = new DeliveryError('the server refused the recipient', {
      kind: 'permanent',
      exitCode: ExitCode.UNAVAILABLE,
      reply: { provider: 'smtp', responseCode: 550, reply: '550 5.1.1 <x@example.com>: Recipient address rejected' },
    });
    expect(formatError(err, false)).toContain('smtp said: 550 5.1.1 <x@example.com>: Recipient address rejected');
  });

  it('treats anything else as a bug: exit 70, stack, and a request to report it', () => {
    const text = formatError(new TypeError('undefined is not a function'), false);
    expect(text).toMatch(/^mailctl: internal error: undefined is not a function/);
    expect(text).toMatch(/\n\s+at /);
    expect(text).toContain('Please report it');
  });
});

describe('the error-code registry', () => {
  const codes = Object.entries(ERROR_CODES);

  it.each(codes)('%s: a family or family.detail code, with a sentence', (code, entry) => {
    expect(code).toMatch(/^[a-z]+(\.[a-z]+(-[a-z]+)*)?$/);
    expect(entry.means.length).toBeGreaterThan(10);
  });

  it.each(codes.filter(([code]) => code.includes('.')))(
    '%s belongs to a registered family with the same exit code',
    (code, entry) => {
      const family = code.split('.')[0]!;
      // fs.* is a family of sentences across several exit codes (75, 73, 74, 77); its members name theirs.
      if (family === 'fs') return expect(typeof entry.exit).toBe('number');
      expect(Object.keys(ERROR_CODES)).toContain(family);
      expect(entry.exit).toBe(ERROR_CODES[family as ErrorCode].exit);
    },
  );

  it.each([
    [new UsageError('x'), 'usage'],
    [new DataError('x'), 'data'],
    [new ConfigError('x'), 'config'],
    [new UnavailableError('x'), 'unavailable'],
    [new TemporaryError('x'), 'temporary'],
    [new ProtocolError('x'), 'protocol'],
    [new AuthError('x'), 'auth'],
    [new CannotCreateError('x'), 'fs.create'],
    [new IoError('x'), 'fs.io'],
    [new AccessError('x'), 'fs.access'],
    [new WireError('timeout', 'no reply within 5s'), 'wire'],
    [new DnsLookupError('ESERVFAIL', 'SERVFAIL'), 'dns'],
  ] as const)('%s carries its registered code and exit code', (err, code) => {
    expect(err).toBeInstanceOf(MailctlError);
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(ERROR_CODES[code].exit);
  });

  it('classified codes take the exit code they are given', () => {
    const probe = new ProbeFailure(
      ExitCode.NOPERM,
      'smtp.example.com refused AUTH',
      'check SMTP_PASSWORD',
      '535 5.7.8',
    );
    expect(probe).toBeInstanceOf(MailctlError);
    expect([probe.code, probe.exitCode, probe.hint, probe.reply]).toEqual([
      'probe',
      77,
      'check SMTP_PASSWORD',
      '535 5.7.8',
    ]);
    expect(ERROR_CODES.probe.exit).toBe('classified');
    expect(exitCodeOf(probe)).toBe(77);
  });

  it('every code thrown in src/ is registered (a literal code outside the table is a type error too)', () => {
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts'))
          for (const m of readFileSync(p, 'utf8').matchAll(
            /'((?:usage|data|config|unavailable|temporary|protocol|auth|fs|delivery)\.[a-z-]+)'/g,
          ))
            used.add(m[1]!);
      }
    };
    walk(join(ROOT, 'src'));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });
});
