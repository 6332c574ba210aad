import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipVersion } from '../../../src/config/ip.js';

// config/ip.ts copies Node's patterns so that validation does not load node:net; this holds the
// copy to the real thing, edge cases included.
const SAMPLES = [
  '192.0.2.1',
  '0.0.0.0',
  '255.255.255.255',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3',
  '1.2.3.4.5',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '1.2.3.-4',
  '::',
  '::1',
  '2001:db8::1',
  '2001:DB8:0:0:0:0:0:1',
  '2001:db8:0:0:0:0:0:0:1',
  '::ffff:192.0.2.1',
  '64:ff9b::192.0.2.33',
  '1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4',
  'fe80::1%eth0',
  'fe80::1%',
  '2001:db8:::1',
  '12345::1',
  ':1',
  '1:',
  'g::1',
  '[::1]',
  'IPv6:::1',
  'localhost',
  'example.com',
  '',
  'nope',
];

describe('ipVersion', () => {
  it.each(SAMPLES)('%j is what net.isIP says', (text) => {
    expect(ipVersion(text)).toBe(isIP(text));
  });
  it('tells the three kinds apart', () => {
    expect([ipVersion('192.0.2.1'), ipVersion('2001:db8::1'), ipVersion('mail.example.com')]).toEqual([4, 6, 0]);
  });
});
