/**
 * Property tests (fast-check, fixed seed) for the config parsers: on any raw value a file or the
 * environment can hold, each parser returns a value or a message (never throws), accepts exactly
 * what its rule says, and gives the same answer however the value is spelled (case, spaces,
 * env string or file value).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEYS, type KeyDef } from '../../../src/config/keys.js';
import { parseBoolean, parseDuration, parseInteger, parseValue } from '../../../src/config/parse.js';
import { formatMailbox, parseMailbox } from '../../../src/message/address.js';

const RUNS = { seed: 20261206, numRuns: 500 };

/** Anything JSON or YAML can put in a config file, and any env string. */
const raw = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue(), fc.boolean(), fc.integer());

describe('config parsers (properties)', () => {
  it('parseValue never throws for any key and any raw value, and a refusal is one line', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(KEYS as readonly KeyDef[])), raw, (def, value) => {
        const r = parseValue(def, value);
        if (!r.ok) expect(r.message).not.toMatch(/[\r\n]/);
      }),
      RUNS,
    );
  });

  it('booleans: exactly true/false/1/0/yes/no in any case and padding; all else refused', () => {
    const word = fc.constantFrom('true', 'false', '1', '0', 'yes', 'no');
    const spelled = fc
      .tuple(word, fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.constantFrom('', ' ', '\t'))
      .map(([w, upper, pad]) => ({
        word: w,
        text: pad + [...w].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + pad,
      }));
    fc.assert(
      fc.property(spelled, ({ word, text }) => {
        expect(parseBoolean(text)).toEqual({ ok: true, value: ['true', '1', 'yes'].includes(word) });
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const known = ['true', 'false', '1', '0', 'yes', 'no'].includes(text.trim().toLowerCase());
        expect(parseBoolean(text).ok).toBe(known);
      }),
      RUNS,
    );
  });

  it('durations: N[ms|s|m|h|d] is N times the unit in ms, a bare number is seconds, the rest refused', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(fc.nat(100_000), fc.constantFrom('', 'ms', 's', 'm', 'h', 'd'), fc.boolean(), (n, unit, upper) => {
        const text = `${n}${upper ? unit.toUpperCase() : unit}`;
        expect(parseDuration(text)).toEqual({ ok: true, value: n * units[unit === '' ? 's' : unit] });
      }),
      RUNS,
    );
    const digits = fc.stringMatching(/^\d{1,40}(\.\d{1,5})?$/);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(digits, fc.constantFrom('', 'ms', 'd')).map(([n, u]) => n + u),
        ),
        (text) => {
          const r = parseDuration(text);
          if (r.ok) {
            expect(Number.isSafeInteger(r.value)).toBe(true);
            expect(r.value as number).toBeGreaterThanOrEqual(0);
          } else expect(r.message).toContain('is not a duration');
        },
      ),
      RUNS,
    );
  });

  it('ports: whole numbers 1–65535 as text or number are accepted as that number; nothing else', () => {
    const port = (KEYS as readonly KeyDef[]).find((k) => k.type === 'port')!;
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), fc.boolean(), (n, asText) => {
        const r = parseValue(port, asText ? ` ${n} ` : n);
        expect(r).toEqual(n >= 1 && n <= 65535 ? { ok: true, value: n } : expect.objectContaining({ ok: false }));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.string()), (value) => {
        const r = parseInteger(value, 1, 65535);
        if (r.ok)
          expect(Number.isInteger(r.value) && (r.value as number) >= 1 && (r.value as number) <= 65535).toBe(true);
      }),
      RUNS,
    );
  });

  it('addresses: parseMailbox never throws; what it accepts has no line break and survives format → parse', () => {
    const named = fc.tuple(fc.string(), fc.emailAddress()).map(([n, a]) => `"${n.replace(/(["\\])/g, '\\$1')}" <${a}>`);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.emailAddress(), named), (text) => {
        const m = parseMailbox(text);
        if (m) {
          expect(`${m.name ?? ''}${m.address}`).not.toMatch(/[\r\n]/);
          expect(m.address).toContain('@');
          expect(parseMailbox(formatMailbox(m))).toEqual(m);
        }
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        expect(parseMailbox(address)?.address).toBe(address);
        expect(parseMailbox(`Ops Team <${address}>`)).toEqual({ name: 'Ops Team', address });
      }),
      RUNS,
    );
  });
});
