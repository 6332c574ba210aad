/**
 * DMARC (RFC 7489) and DKIM key (RFC 6376 §3.6.1) records: parsing, the organisational domain,
 * and the comparison of a published DKIM key with the configured private key.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { getDomain } from 'tldts';

/** `k=v; k=v` tag lists (RFC 6376 §3.2), lower-cased tag names. Duplicate tags are an error. */
export function parseTags(text: string): { tags: Map<string, string>; order: string[]; errors: string[] } {
  const tags = new Map<string, string>();
  const order: string[] = [];
  const errors: string[] = [];
  for (const part of text.split(';')) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) {
      errors.push(`"${item}" is not a tag=value pair`);
      continue;
    }
    const name = item.slice(0, eq).trim().toLowerCase();
    if (tags.has(name)) errors.push(`the tag ${name}= appears twice`);
    tags.set(name, item.slice(eq + 1).trim());
    order.push(name);
  }
  return { tags, order, errors };
}

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcRecord {
  p: DmarcPolicy | undefined;
  sp: DmarcPolicy | undefined;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  pct: number;
  rua: string[];
  errors: string[];
}

const POLICIES = new Set(['none', 'quarantine', 'reject']);

export function isDmarc(txt: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(txt.trim());
}

export function parseDmarc(text: string): DmarcRecord {
  const { tags, order, errors } = parseTags(text);
  if (order[0] !== 'v' || tags.get('v')?.toUpperCase() !== 'DMARC1') errors.push('the record must start with v=DMARC1');
  const policy = (name: string): DmarcPolicy | undefined => {
    const v = tags.get(name)?.toLowerCase();
    if (v === undefined) return undefined;
    if (!POLICIES.has(v)) {
      errors.push(`${name}=${v} is not none, quarantine or reject`);
      return undefined;
    }
    return v as DmarcPolicy;
  };
  const p = policy('p');
  if (!tags.has('p')) errors.push('the record has no p= policy');
  else if (order[1] !== 'p') errors.push('p= must come right after v=DMARC1');
  const mode = (name: string): 'r' | 's' => {
    const v = tags.get(name)?.toLowerCase() ?? 'r';
    if (v !== 'r' && v !== 's') errors.push(`${name}=${v} is not r (relaxed) or s (strict)`);
    return v === 's' ? 's' : 'r';
  };
  const pctText = tags.get('pct') ?? '100';
  const pct = /^\d{1,3}$/.test(pctText) && Number(pctText) <= 100 ? Number(pctText) : 100;
  if (pct === 100 && pctText !== '100') errors.push(`pct=${pctText} is not a whole number 0–100`);
  const rua = (tags.get('rua') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const uri of rua)
    if (!/^mailto:[^@\s]+@[^@\s]+/i.test(uri) && !/^https?:/i.test(uri)) errors.push(`rua ${uri} is not a mailto: URI`);
  return { p, sp: policy('sp'), adkim: mode('adkim'), aspf: mode('aspf'), pct, rua, errors };
}

/**
 * The organisational domain (RFC 7489 §3.2): the public suffix (Public Suffix List, private
 * entries included, as DMARC verifiers use it: foo.github.io and bar.github.io are two
 * organisations) plus one label. tldts ships the list and keeps it current. A name with no
 * registrable part (localhost, an IP, an unknown suffix) is its own organisational domain.
 */
export function orgDomain(domain: string): string {
  const name = domain.toLowerCase().replace(/\.$/, '');
  return getDomain(name, { allowPrivateDomains: true }) ?? name;
}

/** Identifier alignment (RFC 7489 §3.1): strict needs equal domains, relaxed the same org domain. */
export function aligned(a: string, b: string, mode: 'r' | 's'): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return mode === 's' ? x === y : orgDomain(x) === orgDomain(y);
}

export interface DkimKeyRecord {
  k: string;
  /** base64 without whitespace; empty means the key was revoked. */
  p: string | undefined;
  testing: boolean;
  errors: string[];
}

export function parseDkimKey(text: string): DkimKeyRecord {
  const { tags, order, errors } = parseTags(text);
  if (tags.has('v') && (order[0] !== 'v' || tags.get('v') !== 'DKIM1')) errors.push('v= must be first and be DKIM1');
  const p = tags.get('p')?.replace(/\s+/g, '');
  if (p === undefined) errors.push('the record has no p= public key');
  const k = (tags.get('k') ?? 'rsa').toLowerCase();
  if (k !== 'rsa' && k !== 'ed25519') errors.push(`k=${k} is not rsa or ed25519`);
  const testing = (tags.get('t') ?? '')
    .split(':')
    .map((s) => s.trim().toLowerCase())
    .includes('y');
  return { k, p, testing, errors };
}

// The DER prefix of an Ed25519 SubjectPublicKeyInfo; RFC 8463 publishes only the 32 raw bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The public key in a DKIM record's p= (SPKI, or PKCS#1 for RSA as some publish it). */
export function keyFromRecord(record: DkimKeyRecord): KeyObject | undefined {
  if (!record.p) return undefined;
  const der = Buffer.from(record.p, 'base64');
  if (record.k === 'ed25519') {
    return der.length === 32
      ? createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, der]), format: 'der', type: 'spki' })
      : undefined;
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return createPublicKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

export interface ConfiguredKey {
  publicKey: KeyObject;
  /** `rsa` or `ed25519` */
  type: string;
  bits: number | undefined;
  /** The TXT record value to publish for this key. */
  record: string;
}

/** The public half of the configured PEM private key. Never exposes the private key. */
export function publicOfPrivate(pem: string): ConfiguredKey {
  const publicKey = createPublicKey(createPrivateKey(pem));
  const type = publicKey.asymmetricKeyType ?? 'unknown';
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const p = type === 'ed25519' ? spki.subarray(ED25519_SPKI_PREFIX.length).toString('base64') : spki.toString('base64');
  return {
    publicKey,
    type,
    bits: publicKey.asymmetricKeyDetails?.modulusLength,
    record: `v=DKIM1; k=${type === 'ed25519' ? 'ed25519' : 'rsa'}; p=${p}`,
  };
}

export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}
