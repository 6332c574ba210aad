/**
 * Where tests find what they share: test/helpers/ and test/fixtures/, never another tier's folder
 * (an e2e test importing a server from test/integration/ is how helpers got lost before).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const TEST = join(ROOT, 'test');
const TIERS = ['unit', 'integration', 'e2e'];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('test layout', () => {
  it('a test imports from src/, test/helpers/, test/fixtures/ or its own tier, never another tier', () => {
    const files = TIERS.flatMap((t) => walk(join(TEST, t)));
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      const tier = relative(TEST, file).split('/')[0]!;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.[^'"]+)['"]/g)) {
        const target = relative(TEST, resolve(dirname(file), m[1]!)).split('/')[0]!;
        if (TIERS.includes(target) && target !== tier) offenders.push(`${relative(ROOT, file)} → ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
