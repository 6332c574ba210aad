/**
 * Property tests (fast-check, fixed seed) for the spool URL parser, the config parser the other
 * property files leave out: on any text it answers ok or a reason and never throws; the reason
 * never repeats the URL, and the display form of a Redis URL never holds its password (even one
 * with `@`, `:` or `/` in it, percent-encoded or not).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpoolUrl } from '../../../src/config/spool-url.js';

const RUNS = { seed: 20261206, numRuns: 500 };
const password = fc
  .string({ minLength: 6, maxLength: 24 })
  .filter((p) => /^[\x21-\x7e]+$/.test(p) && /[A-Za-z]/.test(p));

describe('parseSpoolUrl', () => {
  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.constantFrom('redis://', 'rediss://', 'file:')), (text) => {
        const r = parseSpoolUrl(text);
        expect(typeof r.ok).toBe('boolean');
      }),
      RUNS,
    );
  });

  it('a refusal never quotes the URL, and the display form never holds the password', () => {
    fc.assert(
      fc.property(password, fc.boolean(), fc.domain(), (secret, encode, host) => {
        const written = encode ? encodeURIComponent(secret) : secret;
        const text = `redis://:${written}@${host}:6379/0`;
        const r = parseSpoolUrl(text);
        if (!r.ok) {
          expect(r.reason).not.toContain(secret);
          expect(r.reason).not.toContain(written);
          return;
        }
        if (r.target.kind !== 'redis') throw new Error(`${text} is not a redis target`);
        expect(r.target.display).not.toContain(secret);
        expect(r.target.display).not.toContain(written);
      }),
      RUNS,
    );
  });
});
