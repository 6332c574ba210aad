import { describe, expect, it } from 'vitest';
import { openerCommand } from '../../../src/preview/open.js';

describe('openerCommand', () => {
  it.each([
    [{}, 'linux', { command: 'xdg-open', args: ['/t/x.html'] }],
    [{}, 'darwin', { command: 'open', args: ['/t/x.html'] }],
    [{ BROWSER: 'firefox' }, 'linux', { command: 'firefox', args: ['/t/x.html'] }],
    [{ BROWSER: 'chromium --incognito' }, 'linux', { command: 'chromium', args: ['--incognito', '/t/x.html'] }],
    [{ BROWSER: 'w3m %s -dump' }, 'linux', { command: 'w3m', args: ['/t/x.html', '-dump'] }],
    [{ BROWSER: 'first:second' }, 'darwin', { command: 'first', args: ['/t/x.html'] }],
    [{ BROWSER: '' }, 'linux', { command: 'xdg-open', args: ['/t/x.html'] }],
  ] as const)('%j on %s', (env, os, expected) => {
    expect(openerCommand('/t/x.html', env, os)).toEqual(expected);
  });
});
