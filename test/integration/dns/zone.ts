/** The test zone: one good domain and one broken domain per failure the checks must find. */
import { generateKeyPairSync } from 'node:crypto';
import type { Zone } from './dns-server.js';

function dkimKey(): { privatePem: string; record: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=rsa; p=${spki}`,
  };
}

/** The key mailctl is configured with, and another one (published where the "mismatch" is). */
export const KEY = dkimKey();
export const OTHER_KEY = dkimKey();

const GOOD_DMARC = 'v=DMARC1; p=reject; rua=mailto:dmarc@good.example; adkim=r; aspf=r';

/** A domain that passes every check, as a template for the broken ones. */
function domain(name: string, over: Partial<Record<'spf' | 'dmarc' | 'dkim' | 'mx', string | null>> = {}): Zone {
  const spf = over.spf === undefined ? `v=spf1 ip4:203.0.113.0/24 include:_spf.${name} -all` : over.spf;
  const dmarc = over.dmarc === undefined ? GOOD_DMARC.replace('good.example', name) : over.dmarc;
  const dkim = over.dkim === undefined ? KEY.record : over.dkim;
  const zone: Zone = {
    [name]: {
      TXT: ['google-site-verification=abc123', ...(spf === null ? [] : [spf])],
      ...(over.mx === null
        ? {}
        : {
            MX: [
              { exchange: `mx1.${name}`, priority: 10 },
              { exchange: `mx2.${name}`, priority: 20 },
            ],
          }),
    },
    [`_spf.${name}`]: { TXT: ['v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all'] },
    [`mx1.${name}`]: { A: ['203.0.113.10'] },
    [`mx2.${name}`]: { A: ['203.0.113.11'] },
    [`smtp.${name}`]: { A: ['203.0.113.25'] },
    [`outside.${name}`]: { A: ['192.0.2.77'] },
  };
  if (dmarc !== null) zone[`_dmarc.${name}`] = { TXT: [dmarc] };
  if (dkim !== null) zone[`mail._domainkey.${name}`] = { TXT: [dkim] };
  return zone;
}

const elevenIncludes = Array.from({ length: 11 }, (_, i) => `include:s${i + 1}.toomany.example`).join(' ');
const includeTargets: Zone = Object.fromEntries(
  Array.from({ length: 11 }, (_, i) => [`s${i + 1}.toomany.example`, { TXT: [`v=spf1 ip4:198.51.${i}.0/24 -all`] }]),
);

export const ZONE: Zone = {
  ...domain('good.example'),
  ...domain('nospf.example', { spf: null }),
  ...domain('toomany.example', { spf: `v=spf1 ${elevenIncludes} -all` }),
  ...includeTargets,
  ...domain('dmarcnone.example', { dmarc: 'v=DMARC1; p=none' }),
  ...domain('nodmarc.example', { dmarc: null }),
  ...domain('badkey.example', { dkim: OTHER_KEY.record }),
  ...domain('nodkim.example', { dkim: null }),
  ...domain('nomx.example', { mx: null }),
  ...domain('twospf.example', { spf: 'v=spf1 -all' }),
  ...domain('plusall.example', { spf: 'v=spf1 +all' }),
  ...domain('badsyntax.example', { spf: 'v=spf1 ip4:300.1.1.1 foo:bar -all' }),
  ...domain('brokeninclude.example', { spf: 'v=spf1 include:missing.brokeninclude.example -all' }),
};
// strict.example wants strict DKIM alignment; d.strict.example carries the key of a misaligned signer.
Object.assign(ZONE, domain('strict.example', { dmarc: 'v=DMARC1; p=reject; adkim=s; rua=mailto:d@strict.example' }));
ZONE['mail._domainkey.d.strict.example'] = { TXT: [KEY.record] };
// twospf.example has two SPF records.
ZONE['twospf.example']!.TXT!.push('v=spf1 ip4:203.0.113.0/24 -all');
// sub.good.example inherits DMARC from the organisational domain good.example.
ZONE['sub.good.example'] = {
  TXT: ['v=spf1 include:_spf.good.example -all'],
  MX: [{ exchange: 'mx1.good.example', priority: 10 }],
};
ZONE['mail._domainkey.sub.good.example'] = { TXT: [KEY.record] };
