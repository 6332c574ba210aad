/** TemplateLayers.languages(): both layers' languages, listed once per instance (a render asks on every job). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanOperatorDir, TemplateLayers } from '../../../src/templates/layers.js';
import { defaultDirs } from '../../../src/templates/store.js';
import { makeOperatorDir } from '../../helpers/operator-dir.js';

const parent = mkdtempSync(join(tmpdir(), 'mailctl-layers-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('TemplateLayers.languages', () => {
  it('the built-in languages and the directory’s own, the same list object on every call', () => {
    const dir = makeOperatorDir(parent);
    const layers = new TemplateLayers(defaultDirs(), scanOperatorDir(dir));
    const first = layers.languages();
    expect(first).toEqual(expect.arrayContaining(['en-US', 'zh-CN', 'ko-KR']));
    expect([...first].sort()).toEqual(first);
    expect(layers.languages()).toBe(first);
  });

  it('a new instance (what a reload makes) sees a language folder added since', () => {
    const dir = join(parent, 'later');
    mkdirSync(join(dir, 'locales', 'en-US'), { recursive: true });
    const before = new TemplateLayers(defaultDirs(), scanOperatorDir(dir)).languages();
    mkdirSync(join(dir, 'locales', 'fr-FR'));
    const after = new TemplateLayers(defaultDirs(), scanOperatorDir(dir)).languages();
    expect(before).not.toContain('fr-FR');
    expect(after).toContain('fr-FR');
  });
});
