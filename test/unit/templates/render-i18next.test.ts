/**
 * Whole messages with the translator's compiled strings equal whole messages translated by
 * i18next on every call: a second copy of render.ts is loaded with createTranslator wrapped to
 * pass `compile: false` (the same i18next, the same resources; nothing else differs), and every
 * type × language × brand is rendered by both, with sample values and with hostile ones.
 */
import { describe, expect, it, vi } from 'vitest';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { CHECK_BRANDS } from '../../../src/templates/check.js';
import type * as I18n from '../../../src/templates/i18n.js';
import { renderWith, type RenderRequest } from '../../../src/templates/render.js';
import { defaultStore } from '../../../src/templates/store.js';
import { LANGUAGES } from '../../helpers/catalog.js';

async function i18nextOnlyRender(): Promise<typeof renderWith> {
  vi.resetModules();
  vi.doMock('../../../src/templates/i18n.js', async (importOriginal) => {
    const real = await importOriginal<typeof I18n>();
    return {
      ...real,
      createTranslator: (...[lang, resources, fallback]: Parameters<typeof real.createTranslator>) =>
        real.createTranslator(lang, resources, fallback, { compile: false }),
    };
  });
  try {
    return (await import('../../../src/templates/render.js')).renderWith;
  } finally {
    vi.doUnmock('../../../src/templates/i18n.js');
  }
}

const HOSTILE = '<b>&"\'{{code}} $t(common:footer.automated) 😀</b>';

/** Every text variable of the type set to `HOSTILE` (links and numbers keep their samples). */
function hostileVars(type: string): Record<string, unknown> {
  const def = MAIL_TYPE_DEFS.find((d) => d.id === type)!;
  const vars: Record<string, unknown> = { ...def.sample };
  for (const v of def.variables) if (v.kind === 'text') vars[v.name] = HOSTILE;
  return vars;
}

function outcome(render: typeof renderWith, req: RenderRequest): unknown {
  try {
    const r = render(defaultStore(), req);
    return { subject: r.subject, html: r.html, text: r.text, warnings: r.warnings };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('render with compiled strings = render with i18next on every call', () => {
  it('for every type × language × brand, with samples and with hostile values', async () => {
    const reference = await i18nextOnlyRender();
    expect(reference).not.toBe(renderWith);
    let compared = 0;
    for (const def of MAIL_TYPE_DEFS)
      for (const lang of LANGUAGES)
        for (const { branding } of CHECK_BRANDS)
          for (const vars of [{}, hostileVars(def.id)]) {
            const req: RenderRequest = { type: def.id, lang, vars, branding, useSamples: true };
            // twice: the second render uses what the first compiled
            for (let round = 0; round < 2; round += 1)
              expect(outcome(renderWith, req)).toEqual(outcome(reference, req));
            compared += 1;
          }
    expect(compared).toBe(MAIL_TYPE_DEFS.length * LANGUAGES.length * CHECK_BRANDS.length * 2);
  });

  it('names the same missing variable when an optional one without a default is left out', async () => {
    const reference = await i18nextOnlyRender();
    for (const def of MAIL_TYPE_DEFS)
      for (const v of def.variables.filter((x) => !x.required)) {
        const vars = { ...def.sample };
        delete vars[v.name];
        const req: RenderRequest = { type: def.id, lang: 'zh-CN', vars, branding: { whiteLabel: false } };
        expect(outcome(renderWith, req)).toEqual(outcome(reference, req));
      }
  });
});
