/**
 * SPF (RFC 7208): parse a record, walk its includes and redirects counting the DNS lookups that
 * a receiver would make (the limit is 10, §4.6.4; more than 2 void lookups is also a permerror),
 * and evaluate whether given IP addresses would pass. Macros (§7) are not expanded: a term that
 * uses one is counted and reported as "cannot tell".
 */
import { BlockList, isIP } from 'node:net';
import { DnsLookupError } from '../errors.js';
import type { DnsClient } from './resolver.js';

export type Qualifier = '+' | '-' | '~' | '?';
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfMechanism {
  qualifier: Qualifier;
  kind: 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';
  /** domain-spec or the address */
  value?: string | undefined;
  cidr4?: number | undefined;
  cidr6?: number | undefined;
  raw: string;
}

export interface ParsedSpf {
  mechanisms: SpfMechanism[];
  redirect?: string | undefined;
  /** Syntax errors: any one makes the record a permerror. */
  errors: string[];
}

const QUALIFIERS: Record<string, Qualifier> = { '+': '+', '-': '-', '~': '~', '?': '?' };
const DOMAIN_SPEC = /^(?:[A-Za-z0-9_%{}.+,/=-]|-)+$/;

/** Whether a TXT string is an SPF record (RFC 7208 §4.5: `v=spf1` then a space or the end). */
export function isSpf(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

export function parseSpf(record: string): ParsedSpf {
  const out: ParsedSpf = { mechanisms: [], errors: [] };
  const terms = record.trim().split(/ +/).slice(1);
  for (const raw of terms) {
    const mod = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(raw);
    if (mod) {
      const name = mod[1]!.toLowerCase();
      if (name === 'redirect') {
        if (out.redirect !== undefined) out.errors.push('two redirect= modifiers');
        if (!mod[2] || !DOMAIN_SPEC.test(mod[2])) out.errors.push(`"${raw}": redirect needs a domain`);
        out.redirect = mod[2];
      }
      continue; // exp= and unknown modifiers are allowed (§6)
    }
    const m = /^([+\-~?]?)([A-Za-z0-9]+)(?::([^/]*))?((?:\/\d*)?(?:\/\/\d*)?)$/.exec(raw);
    const kind = m?.[2]?.toLowerCase();
    if (!m || !kind || !['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists'].includes(kind)) {
      out.errors.push(`"${raw}" is not an SPF mechanism or modifier`);
      continue;
    }
    const mech: SpfMechanism = { qualifier: QUALIFIERS[m[1] || '+']!, kind: kind as SpfMechanism['kind'], raw };
    const value = m[3];
    const cidr = /^(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(m[4] ?? '');
    if (value !== undefined) mech.value = value;
    switch (mech.kind) {
      case 'all':
        if (value !== undefined || m[4]) out.errors.push(`"${raw}": all takes no value`);
        break;
      case 'include':
      case 'exists':
        if (!value || !DOMAIN_SPEC.test(value)) out.errors.push(`"${raw}": ${mech.kind} needs a domain`);
        if (m[4]) out.errors.push(`"${raw}": ${mech.kind} takes no prefix length`);
        break;
      case 'ip4': {
        const len = cidr?.[1] === undefined ? 32 : Number(cidr[1]);
        if (!value || isIP(value) !== 4 || len > 32 || cidr?.[2] !== undefined)
          out.errors.push(`"${raw}" is not a valid ip4 network`);
        mech.cidr4 = len;
        break;
      }
      case 'ip6': {
        const len = cidr?.[1] === undefined ? 128 : Number(cidr[1]);
        if (!value || isIP(value) !== 6 || len > 128 || cidr?.[2] !== undefined)
          out.errors.push(`"${raw}" is not a valid ip6 network`);
        mech.cidr6 = len;
        break;
      }
      case 'a':
      case 'mx':
      case 'ptr':
        if (value !== undefined && (!value || !DOMAIN_SPEC.test(value))) out.errors.push(`"${raw}": bad domain`);
        if (!cidr) out.errors.push(`"${raw}": bad prefix length`);
        else {
          if (cidr[1] !== undefined) mech.cidr4 = Number(cidr[1]);
          if (cidr[2] !== undefined) mech.cidr6 = Number(cidr[2]);
          if ((mech.cidr4 ?? 0) > 32 || (mech.cidr6 ?? 0) > 128)
            out.errors.push(`"${raw}": prefix length out of range`);
        }
        break;
    }
    out.mechanisms.push(mech);
  }
  return out;
}

/** One SPF record in the tree a receiver walks. */
export interface SpfNode {
  domain: string;
  /** The record, when exactly one was found. */
  record?: string | undefined;
  parsed?: ParsedSpf | undefined;
  /** Why this node is a permerror or temperror (none found, two records, syntax, loop). */
  error?: { result: 'none' | 'permerror' | 'temperror'; message: string } | undefined;
  /** include: and redirect= targets, keyed by the term's raw text. */
  children: Map<string, SpfNode>;
  /** Addresses of a and mx terms, keyed by the term's raw text. */
  hosts: Map<string, string[]>;
  /** Terms whose outcome cannot be known here (macros, ptr, exists). */
  unknown: string[];
}

export interface SpfWalk {
  root: SpfNode;
  /** DNS-querying terms (include, a, mx, ptr, exists, redirect) in the whole tree. */
  lookups: number;
  /** Lookups that found nothing (§4.6.4: more than 2 is a permerror). */
  voidLookups: number;
  /** The includes that were walked, e.g. `include:_spf.google.com`, for the report. */
  includes: string[];
}

const MAX_DEPTH = 12;

/** Fetches and walks the SPF tree of `domain`, as a receiver would, counting DNS lookups. */
export async function walkSpf(domain: string, dns: DnsClient): Promise<SpfWalk> {
  const walk: Omit<SpfWalk, 'root'> = { lookups: 0, voidLookups: 0, includes: [] };
  const root = await node(domain, dns, walk, [], 0);
  return { root, ...walk };
}

async function node(
  domain: string,
  dns: DnsClient,
  walk: Omit<SpfWalk, 'root'>,
  path: string[],
  depth: number,
): Promise<SpfNode> {
  const n: SpfNode = { domain, children: new Map(), hosts: new Map(), unknown: [] };
  if (path.includes(domain.toLowerCase()) || depth > MAX_DEPTH) {
    n.error = { result: 'permerror', message: `include loop at ${domain}` };
    return n;
  }
  let txts: string[];
  try {
    txts = await dns.txt(domain);
  } catch (err) {
    if (!(err instanceof DnsLookupError)) throw err;
    n.error = { result: 'temperror', message: err.message };
    return n;
  }
  const spf = txts.filter(isSpf);
  if (spf.length === 0) {
    if (depth > 0) walk.voidLookups += 1;
    n.error = { result: 'none', message: `${domain} has no SPF record` };
    return n;
  }
  if (spf.length > 1) {
    n.error = {
      result: 'permerror',
      message: `${domain} has ${spf.length} SPF records; receivers treat that as an error (RFC 7208 §4.5)`,
    };
    return n;
  }
  n.record = spf[0];
  n.parsed = parseSpf(spf[0]!);
  if (n.parsed.errors.length > 0) {
    n.error = { result: 'permerror', message: `${domain}: ${n.parsed.errors.join('; ')}` };
    return n;
  }
  const next = [...path, domain.toLowerCase()];
  for (const m of n.parsed.mechanisms) {
    if (!['include', 'a', 'mx', 'ptr', 'exists'].includes(m.kind)) continue;
    walk.lookups += 1;
    const target = m.value ?? domain;
    if (target.includes('%')) {
      n.unknown.push(m.raw);
      continue;
    }
    try {
      if (m.kind === 'include') {
        walk.includes.push(m.raw);
        const child = await node(target, dns, walk, next, depth + 1);
        n.children.set(m.raw, child);
      } else if (m.kind === 'a') {
        const addrs = await dns.addresses(target);
        if (addrs.length === 0) walk.voidLookups += 1;
        n.hosts.set(m.raw, addrs);
      } else if (m.kind === 'mx') {
        const mxs = await dns.mx(target);
        if (mxs.length === 0) walk.voidLookups += 1;
        const addrs: string[] = [];
        // §4.6.4: at most 10 MX names are looked up; they do not count against the 10 terms.
        for (const mx of mxs.slice(0, 10)) if (mx.exchange) addrs.push(...(await dns.addresses(mx.exchange)));
        n.hosts.set(m.raw, addrs);
      } else {
        n.unknown.push(m.raw);
      }
    } catch (err) {
      if (!(err instanceof DnsLookupError)) throw err;
      n.unknown.push(m.raw);
    }
  }
  // §6.1: redirect is used only when the record has no "all".
  if (n.parsed.redirect && !n.parsed.mechanisms.some((m) => m.kind === 'all')) {
    walk.lookups += 1;
    if (n.parsed.redirect.includes('%')) n.unknown.push(`redirect=${n.parsed.redirect}`);
    else n.children.set(`redirect=${n.parsed.redirect}`, await node(n.parsed.redirect, dns, walk, next, depth + 1));
  }
  return n;
}

const RESULT_OF: Record<Qualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

function inNetwork(ip: string, network: string, prefix: number | undefined): boolean {
  const family = isIP(ip);
  const netFamily = isIP(network);
  if (family === 0 || family !== netFamily) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(network, prefix ?? (family === 4 ? 32 : 128), type);
  return list.check(ip, type);
}

export interface SpfEvaluation {
  result: SpfResult | 'unknown';
  /** The term that decided, e.g. `ip4:203.0.113.0/24` or `-all`. */
  by?: string | undefined;
}

/** check_host() for one IP over a walked tree (§4.6). `unknown` when a macro/ptr term could decide. */
export function evaluateSpf(n: SpfNode, ip: string): SpfEvaluation {
  if (n.error) return { result: n.error.result };
  let uncertain = false;
  for (const m of n.parsed?.mechanisms ?? []) {
    let matched = false;
    switch (m.kind) {
      case 'all':
        matched = true;
        break;
      case 'ip4':
      case 'ip6':
        matched = inNetwork(ip, m.value ?? '', m.kind === 'ip4' ? m.cidr4 : m.cidr6);
        break;
      case 'a':
      case 'mx': {
        const hosts = n.hosts.get(m.raw);
        if (!hosts) {
          uncertain = true;
          break;
        }
        matched = hosts.some((h) => inNetwork(ip, h, isIP(h) === 4 ? m.cidr4 : m.cidr6));
        break;
      }
      case 'include': {
        const child = n.children.get(m.raw);
        if (!child) {
          uncertain = true;
          break;
        }
        const r = evaluateSpf(child, ip);
        if (r.result === 'pass') matched = true;
        else if (r.result === 'unknown') uncertain = true;
        // §5.2: an include that finds no record, or errs, is a permerror (temperror) of the whole check.
        else if (r.result === 'none' || r.result === 'permerror') return { result: 'permerror', by: m.raw };
        else if (r.result === 'temperror') return { result: 'temperror', by: m.raw };
        break;
      }
      case 'ptr':
      case 'exists':
        uncertain = true;
        break;
    }
    if (matched) return uncertain ? { result: 'unknown', by: m.raw } : { result: RESULT_OF[m.qualifier], by: m.raw };
  }
  const redirect = [...n.children.entries()].find(([k]) => k.startsWith('redirect='));
  if (redirect) {
    const r = evaluateSpf(redirect[1], ip);
    return r.result === 'none' ? { result: 'permerror', by: redirect[0] } : r;
  }
  return uncertain ? { result: 'unknown' } : { result: 'neutral' };
}

/** The record's final `all` qualifier, when it has one. */
export function allQualifier(parsed: ParsedSpf | undefined): Qualifier | undefined {
  return parsed?.mechanisms.find((m) => m.kind === 'all')?.qualifier;
}
