import { describe, expect, it } from 'vitest';
import { randomHex, readDevice } from '../../src/random-hex.js';

describe('randomHex', () => {
  it.each([1, 6, 12, 5000])('%i bytes → that many pairs of lowercase hex digits', (bytes) => {
    expect(randomHex(bytes)).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
  });

  it('never hands out the same bytes twice (1,000 Message-ID parts, across refills of the pool)', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => randomHex(12)));
    expect(seen.size).toBe(1000);
  });

  it('reads the kernel generator when it is there, and node:crypto where it is not', () => {
    const fromKernel = readDevice('/dev/urandom', 32);
    if (fromKernel === undefined) console.warn('random-hex.test.ts: no /dev/urandom here: only the fallback is tested');
    else expect(fromKernel).toHaveLength(32);
    expect(readDevice('/nonexistent/urandom', 32)).toBeUndefined();
    // a pool drawn from a device that cannot be read comes from node:crypto instead
    expect(randomHex(4096 + 1, '/nonexistent/urandom')).toMatch(/^[0-9a-f]{8194}$/);
  });

  it('a device that ends early is no source', () => {
    expect(readDevice('/dev/null', 16)).toBeUndefined();
  });
});
