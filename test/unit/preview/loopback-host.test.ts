/** isLoopbackHost: the gallery's DNS-rebinding guard, as a table. */
import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../../src/preview/serve.js';

describe('isLoopbackHost (port 4000)', () => {
  it.each<[string | undefined, boolean]>([
    ['localhost:4000', true],
    ['127.0.0.1:4000', true],
    ['[::1]:4000', true],
    ['localhost', true],
    ['LocalHost:4000', true],
    ['localhost:4001', false],
    ['evil.example', false],
    ['evil.example:4000', false],
    ['localhost.evil.example:4000', false],
    ['127.0.0.1.nip.io:4000', false],
    ['127.0.0.2:4000', false],
    ['[::2]:4000', false],
    ['localhost:4000:4000', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (host, ok) => {
    expect(isLoopbackHost(host, 4000)).toBe(ok);
  });
});
