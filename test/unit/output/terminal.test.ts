import { describe, expect, it } from 'vitest';
import { createTerminalGuard } from '../../../src/output/terminal.js';

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
const NOWRAP = '\x1b[?7l';
const WRAP = '\x1b[?7h';

describe('createTerminalGuard', () => {
  it.each([
    ['nothing written', [], ''],
    ['plain text', ['drain: 1 delivered\n'], ''],
    ['a bar that started', [`${HIDE}${NOWRAP}drain [==  ]`], SHOW + WRAP],
    ['a bar that stopped', [`${HIDE}${NOWRAP}drain [==  ]`, `${SHOW}${WRAP}\n`], ''],
    ['the cursor shown, the wrap still off', [HIDE + NOWRAP, SHOW], WRAP],
    ['hidden, shown and hidden again in one write', [HIDE + SHOW + HIDE], SHOW],
  ])('%s → restore %j', (_name, writes, expected) => {
    const guard = createTerminalGuard();
    for (const w of writes) guard.track(w);
    expect(guard.restoreSequence()).toBe(expected);
  });
});
