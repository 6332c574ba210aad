import { describe, expect, it } from 'vitest';
import { createDrainReporter } from '../../../src/output/progress.js';

describe('the drain progress bar', () => {
  it('ends drawn at its total, and counts expired apart from dead', async () => {
    let err = '';
    const reporter = await createDrainReporter({
      out: () => {},
      err: (s) => (err += s),
      outIsTTY: false,
      errIsTTY: true,
    });
    const outcomes = ['delivered', 'delivered', 'expired', 'dead', 'deferred'] as const;
    outcomes.forEach((outcome, i) =>
      reporter.onEvent({ type: 'settled', outcome, done: i + 1, total: outcomes.length }),
    );
    reporter.stop();
    const text = err.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '').trimEnd();
    expect(text.endsWith('] 5/5 | 2 delivered, 1 deferred, 1 dead, 1 expired')).toBe(true);
  });
});
