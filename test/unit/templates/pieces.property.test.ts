/**
 * Property tests (fast-check, fixed seed) for the split-once template variants
 * (src/templates/pieces.ts): filling the cached split gives exactly what the two regular-expression
 * passes gave, for made-up sources and for every compiled template; and renders of many
 * recipients through one warm cache each equal a render from a cold store, so no recipient's
 * values reach another's message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { CONDITIONAL, fillTemplatePieces, MARKER } from '../../../src/templates/pieces.js';

const fillTemplate = (...args: Parameters<typeof fillTemplatePieces>): string => fillTemplatePieces(...args).join('');
import { renderWith, type Branding } from '../../../src/templates/render.js';
import { compiledStore, defaultStore, VARIANT_KEYS } from '../../../src/templates/store.js';
import { LANGUAGES } from '../../helpers/catalog.js';

const RUNS = { seed: 20261206, numRuns: 200 };

/** The renderer's former fill: conditional blocks first, then every marker, one regex pass each. */
function twoPass(source: string, values: Record<string, string>, fill: (kind: string, name: string) => string): string {
  return source
    .replace(CONDITIONAL, (_m, name: string, block: string) => (values[name] ? block : ''))
    .replace(MARKER, (_m, kind: string, name: string) => fill(kind, name));
}

const names = ['code', 'email', 'url', 'title', 'x'];
const name = fc.constantFrom(...names);
const marker = fc.tuple(fc.constantFrom('t', 'v', 'u', 'b', 's'), name).map(([k, n]) => `%%${k}:${n}%%`);
const text = fc.constantFrom('<p>', '</p>\n', 'Hello ', '您好', '%', '%%', ':', ' %% ', 'if', '');
const run = fc.array(fc.oneof(text, marker), { maxLength: 8 }).map((xs) => xs.join(''));
const source = fc
  .array(
    fc.oneof(
      run,
      fc.tuple(name, run).map(([n, body]) => `%%if:${n}%%${body}%%endif%%`),
    ),
    { maxLength: 6 },
  )
  .map((xs) => xs.join(''));
const values = fc.dictionary(name, fc.oneof(fc.constant(''), fc.string({ maxLength: 6 })));

/** A fill that shows what it was asked, and records the order of the calls. */
function recorder(vals: Record<string, string>): { fill: (k: string, n: string) => string; calls: string[] } {
  const calls: string[] = [];
  return { calls, fill: (k, n) => (calls.push(`${k}:${n}`), `[${k}:${n}=${vals[n] ?? '?'}]`) };
}

describe('template pieces (properties)', () => {
  it('fill the same text, calling fill in the same order, as the two regex passes', () => {
    fc.assert(
      fc.property(source, fc.array(values, { minLength: 1, maxLength: 4 }), (src, recipients) => {
        // one owner for all, twice over: later fills use the splits earlier ones made
        const owner = {};
        for (const vals of [...recipients, ...recipients]) {
          const a = recorder(vals);
          const b = recorder(vals);
          expect(fillTemplate(owner, src, vals, a.fill)).toBe(twoPass(src, vals, b.fill));
          expect(a.calls).toEqual(b.calls);
        }
      }),
      RUNS,
    );
  });

  it('hold for every compiled template variant, html and text', () => {
    const store = defaultStore();
    fc.assert(
      fc.property(
        fc.constantFrom(...MAIL_TYPE_DEFS.map((d) => d.id)),
        fc.constantFrom(...VARIANT_KEYS),
        values,
        (type, key, vals) => {
          const variant = store.template(type).variants[key];
          for (const src of [variant.html, variant.text]) {
            const a = recorder(vals);
            const b = recorder(vals);
            expect(fillTemplate(variant, src, vals, a.fill)).toBe(twoPass(src, vals, b.fill));
            expect(a.calls).toEqual(b.calls);
          }
        },
      ),
      { ...RUNS, numRuns: 100 },
    );
  });

  it('many recipients through one warm cache each get exactly the message a cold store renders', () => {
    const warm = defaultStore();
    const brands: Branding[] = [
      { whiteLabel: false },
      {
        whiteLabel: true,
        applicationTitle: 'Acme',
        logoUrl: 'https://cdn.example.com/a.png',
        supportEmail: 'help@acme.example',
      },
    ];
    const recipient = fc.record({
      code: fc.integer({ min: 100000, max: 999999 }).map(String),
      email: fc.emailAddress(),
      lang: fc.constantFrom(...LANGUAGES),
      type: fc.constantFrom('reset-password', 'change-email-completed', 'email-code-login'),
      brand: fc.constantFrom(...brands),
    });
    fc.assert(
      fc.property(fc.array(recipient, { minLength: 2, maxLength: 6 }), (people) => {
        for (const p of people) {
          const def = MAIL_TYPE_DEFS.find((d) => d.id === p.type)!;
          const req = {
            type: p.type,
            lang: p.lang,
            vars: { ...def.sample, code: p.code, email: p.email },
            branding: p.brand,
          };
          const fromWarm = renderWith(warm, req);
          const fromCold = renderWith(compiledStore(), req);
          expect({ html: fromWarm.html, text: fromWarm.text, subject: fromWarm.subject }).toEqual({
            html: fromCold.html,
            text: fromCold.text,
            subject: fromCold.subject,
          });
        }
      }),
      { ...RUNS, numRuns: 40 },
    );
  });
});
