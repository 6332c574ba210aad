/**
 * The README's "Failure modes" table, the fault list (test/helpers/fault-suite.ts) and the figure
 * under the heading stay in step: every row has an entry naming existing test files, every entry
 * a row, and the figure is the list's count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { FAULTS, faultFigure } from '../helpers/fault-suite.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('\n## Failure modes\n'),
  readme.indexOf('\n## ', readme.indexOf('\n## Failure modes\n') + 5),
);
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| fault |'))
  .map((line) => line.slice(2, line.indexOf(' |')));

describe('the fault suite', () => {
  it('has one entry for every row of the Failure modes table, and no entry without a row', () => {
    expect(rows.length).toBeGreaterThan(0);
    const unlisted = rows.filter((row) => FAULTS.filter((f) => row.startsWith(f.row)).length !== 1);
    expect(unlisted, 'each README row needs one entry in test/helpers/fault-suite.ts').toEqual([]);
    const stale = FAULTS.filter((f) => !rows.some((row) => row.startsWith(f.row))).map((f) => f.row);
    expect(stale, 'entries in test/helpers/fault-suite.ts whose README row is gone').toEqual([]);
  });

  it('names test files that exist', () => {
    const missing = FAULTS.flatMap((f) => f.tests).filter((t) => !existsSync(join(ROOT, 'test', t)));
    expect(missing).toEqual([]);
  });

  it('is a figure in the README, under the heading', () => {
    expect(section).toContain(faultFigure());
  });
});
