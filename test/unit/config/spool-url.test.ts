/** MAILCTL_SPOOL_URL parsing: the backends it selects, its parameters, and one clear reason per mistake that never repeats a password. */
import { describe, expect, it } from 'vitest';
import { parseSpoolUrl } from '../../../src/config/spool-url.js';

describe('parseSpoolUrl', () => {
  it.each([
    [undefined, { kind: 'file' }],
    ['', { kind: 'file' }],
    ['file:', { kind: 'file' }],
    ['file:/var/spool/mailctl', { kind: 'file', dir: '/var/spool/mailctl' }],
    ['file:relative/dir', { kind: 'file', dir: 'relative/dir' }],
  ])('%j is the file spool', (text, target) => {
    expect(parseSpoolUrl(text)).toEqual({ ok: true, target });
  });

  it('redis:// with defaults', () => {
    expect(parseSpoolUrl('redis://redis.internal')).toEqual({
      ok: true,
      target: {
        kind: 'redis',
        host: 'redis.internal',
        port: 6379,
        db: 0,
        tls: false,
        queue: 'mailctl',
        lockMs: 30_000,
        stalledMs: 30_000,
        timeoutMs: 10_000,
        display: 'redis://redis.internal',
      },
    });
  });

  it('rediss://, credentials, db and parameters; the display form masks the password', () => {
    const r = parseSpoolUrl('rediss://app:p%40ss@10.0.0.5:6380/3?queue=prod-mail&lock=5s&stalled=2s&timeout=1m');
    expect(r).toMatchObject({
      ok: true,
      target: {
        kind: 'redis',
        host: '10.0.0.5',
        port: 6380,
        db: 3,
        tls: true,
        username: 'app',
        password: 'p@ss',
        queue: 'prod-mail',
        lockMs: 5000,
        stalledMs: 2000,
        timeoutMs: 60_000,
      },
    });
    expect(r.ok && r.target.kind === 'redis' && r.target.display).toBe(
      'rediss://app:***@10.0.0.5:6380/3?queue=prod-mail&lock=5s&stalled=2s&timeout=1m',
    );
  });

  it.each([
    ['not a url', /is not a URL/],
    ['http://host:6379', /has the scheme http: \(expected redis:, rediss: or file:\)/],
    ['redis://:pw-secret@host:70000/0', /is not a URL|has a bad port/],
    ['redis://:pw-secret@host/zero', /has the database "zero"/],
    ['redis://host/0?queue=a%20b', /bad queue name/],
    ['redis://host/0?lock=soon', /has lock=soon is not a duration/],
    ['redis://host/0?colour=red', /unknown parameter "colour"/],
  ])('%j is refused with one reason', (text, reason) => {
    const r = parseSpoolUrl(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(reason);
      expect(r.reason).not.toContain('pw-secret');
    }
  });
});
