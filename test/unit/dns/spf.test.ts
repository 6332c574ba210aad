import { describe, expect, it } from 'vitest';
import { isSpf, parseSpf } from '../../../src/dns/spf.js';
import { aligned, isDmarc, orgDomain, parseDkimKey, parseDmarc } from '../../../src/dns/records.js';

describe('SPF parsing (RFC 7208)', () => {
  it.each<[string, boolean]>([
    ['v=spf1 -all', true],
    ['V=SPF1 include:x.example ~all', true],
    ['v=spf1', true],
    ['v=spf10 -all', false],
    ['spf2.0/pra', false],
  ])('isSpf(%s) = %s', (txt, want) => expect(isSpf(txt)).toBe(want));

  it.each<[string, string[]]>([
    [
      'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24 a:mail.example.com//64 include:_spf.example.com exists:%{i}.x.example ~all exp=explain.example',
      [],
    ],
    ['v=spf1 ip4:192.0.2.1/33 -all', ['"ip4:192.0.2.1/33" is not a valid ip4 network']],
    ['v=spf1 ip6:zz::1 -all', ['"ip6:zz::1" is not a valid ip6 network']],
    ['v=spf1 include -all', ['"include": include needs a domain']],
    ['v=spf1 all:x', ['"all:x": all takes no value']],
    ['v=spf1 foo -all', ['"foo" is not an SPF mechanism or modifier']],
    ['v=spf1 redirect=a.example redirect=b.example', ['two redirect= modifiers']],
  ])('%s → errors %j', (record, errors) => {
    expect(parseSpf(record).errors).toEqual(errors);
  });

  it('reads qualifiers, values and prefix lengths', () => {
    const p = parseSpf('v=spf1 -ip4:192.0.2.0/24 ~a:mail.example.com/28//64 ?mx ip6:2001:db8::1 +all');
    expect(p.mechanisms.map((m) => [m.qualifier, m.kind, m.value, m.cidr4, m.cidr6])).toEqual([
      ['-', 'ip4', '192.0.2.0', 24, undefined],
      ['~', 'a', 'mail.example.com', 28, 64],
      ['?', 'mx', undefined, undefined, undefined],
      ['+', 'ip6', '2001:db8::1', undefined, 128],
      ['+', 'all', undefined, undefined, undefined],
    ]);
  });
});

describe('DMARC and DKIM records', () => {
  it.each<[string, Partial<ReturnType<typeof parseDmarc>>]>([
    [
      'v=DMARC1; p=reject; rua=mailto:d@example.com',
      { p: 'reject', adkim: 'r', aspf: 'r', pct: 100, rua: ['mailto:d@example.com'], errors: [] },
    ],
    [
      'v=DMARC1; p=quarantine; adkim=s; aspf=s; pct=25',
      { p: 'quarantine', adkim: 's', aspf: 's', pct: 25, errors: [] },
    ],
    ['v=DMARC1; p=maybe', { p: undefined, errors: ['p=maybe is not none, quarantine or reject'] }],
    ['v=DMARC1; rua=mailto:d@example.com', { errors: ['the record has no p= policy'] }],
    ['v=DMARC1; p=none; adkim=x', { errors: ['adkim=x is not r (relaxed) or s (strict)'] }],
  ])('parseDmarc(%s)', (text, want) => expect(parseDmarc(text)).toMatchObject(want));

  it('recognises DMARC records', () => {
    expect(isDmarc('v=DMARC1; p=none')).toBe(true);
    expect(isDmarc('v=DMARC1')).toBe(true);
    expect(isDmarc('v=spf1 -all')).toBe(false);
  });

  it.each<[string, string]>([
    ['example.com', 'example.com'],
    ['mail.example.com', 'example.com'],
    ['a.b.example.co.uk', 'example.co.uk'],
    ['example.co.uk', 'example.co.uk'],
    ['x.example.de', 'example.de'],
    // from the Public Suffix List, which a two- or three-label rule gets wrong
    ['mail.example.gov.br', 'example.gov.br'],
    ['a.b.example.kawasaki.jp', 'b.example.kawasaki.jp'],
    ['news.acme.github.io', 'acme.github.io'],
    ['Mail.Example.COM.', 'example.com'],
    ['localhost', 'localhost'],
  ])('orgDomain(%s) = %s', (d, want) => expect(orgDomain(d)).toBe(want));

  it('alignment: strict needs the same domain, relaxed the same organisational domain', () => {
    expect(aligned('mail.example.com', 'example.com', 'r')).toBe(true);
    expect(aligned('mail.example.com', 'example.com', 's')).toBe(false);
    expect(aligned('EXAMPLE.com', 'example.COM', 's')).toBe(true);
    expect(aligned('example.net', 'example.com', 'r')).toBe(false);
    // two organisations under one private suffix do not align
    expect(aligned('a.github.io', 'b.github.io', 'r')).toBe(false);
    expect(aligned('mail.a.github.io', 'a.github.io', 'r')).toBe(true);
  });

  it('DKIM key records', () => {
    expect(parseDkimKey('v=DKIM1; k=rsa; p=MIIB IjAN')).toMatchObject({
      k: 'rsa',
      p: 'MIIBIjAN',
      testing: false,
      errors: [],
    });
    expect(parseDkimKey('v=DKIM1; p=')).toMatchObject({ p: '', errors: [] });
    expect(parseDkimKey('k=rsa; t=y:s; p=abc').testing).toBe(true);
    expect(parseDkimKey('k=dsa; p=abc').errors).toEqual(['k=dsa is not rsa or ed25519']);
    expect(parseDkimKey('k=rsa; v=DKIM1; p=abc').errors).toEqual(['v= must be first and be DKIM1']);
  });
});
