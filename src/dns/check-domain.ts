/**
 * `verify-config --dns`: SPF, DMARC, DKIM and MX of the sender's domain, each finding with a
 * severity and a one-line fix. mailctl knows its DKIM selector and private key, so unlike
 * generic checkers it can tell whether the published key is the one it signs with.
 */
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { DnsLookupError, ExitCode, MailctlError } from '../errors.js';
import { domainOf, parseMailbox } from '../message/address.js';
import { dkimOptionsFrom } from '../providers/dkim.js';
import { providerEntry } from '../providers/registry.js';
import {
  aligned,
  isDmarc,
  keyFromRecord,
  orgDomain,
  parseDkimKey,
  parseDmarc,
  publicOfPrivate,
  sameKey,
  type DmarcRecord,
} from './records.js';
import { createDnsClient, invalidServers, type DnsClient, type DnsQuery } from './resolver.js';
import { allQualifier, evaluateSpf, walkSpf, type SpfNode } from './spf.js';

export type FindingSeverity = 'ok' | 'info' | 'warning' | 'error';

/** One result of a deliverability check. */
export interface Finding {
  check: 'spf' | 'dmarc' | 'dkim' | 'mx' | 'dns' | 'config';
  severity: FindingSeverity;
  message: string;
  /** The one-line fix, for warnings and errors. */
  fix?: string | undefined;
  /** The record the finding is about, as published. */
  record?: string | undefined;
}

export interface DnsReport {
  /** The sender's domain that was checked. */
  domain: string | undefined;
  servers: string[];
  ok: boolean;
  /** 0; 78 when a finding is an error; 69 when the DNS could not be queried. */
  exitCode: number;
  findings: Finding[];
  /** Every query and its answer (shown with `--debug`). */
  queries: DnsQuery[];
}

export interface DnsCheckDeps {
  cwd: string;
  clock: Clock;
  /** Per-try timeout. @defaultValue 1500 */
  timeoutMs?: number | undefined;
  /** Aborted on SIGINT/SIGTERM: pending queries are cancelled. */
  signal?: AbortSignal | undefined;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

function isPrivate(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The SPF include the provider documents, for fixes. */
function providerSpf(config: Config): string {
  const include = providerEntry(config.values.mailType)?.spfInclude;
  if (include !== undefined) return include;
  return config.values['smtp.server']
    ? `include:<your provider's SPF domain> or a:${config.values['smtp.server']}`
    : "include:<your provider's SPF domain>";
}

export async function checkDns(config: Config, deps: DnsCheckDeps): Promise<DnsReport> {
  const findings: Finding[] = [];
  const servers = [...(config.values['dns.servers'] ?? [])];
  const from = config.values.defaultFrom === undefined ? undefined : parseMailbox(config.values.defaultFrom);
  const done = (
    domain: string | undefined,
    dnsServers: string[],
    queries: DnsQuery[],
    unreachable = false,
  ): DnsReport => {
    const errors = findings.some((f) => f.severity === 'error');
    const exitCode = unreachable ? ExitCode.UNAVAILABLE : errors ? ExitCode.CONFIG : ExitCode.OK;
    return { domain, servers: dnsServers, ok: exitCode === ExitCode.OK, exitCode, findings, queries };
  };

  const bad = invalidServers(servers);
  if (bad.length > 0) {
    findings.push({
      check: 'config',
      severity: 'error',
      message: `MAILCTL_DNS_SERVERS: ${bad.map((b) => `"${b}"`).join(', ')} is not an IP address or IP:port`,
      fix: 'list resolvers by address, e.g. 1.1.1.1,9.9.9.9:53 or [2606:4700::1111]:53',
    });
  }
  if (!from) {
    findings.push({
      check: 'config',
      severity: 'error',
      message: 'MAIL_DEFAULT_SEND_FROM is not set: there is no sender domain to check',
      fix: 'set MAIL_DEFAULT_SEND_FROM to the address you send from',
    });
  }
  if (!from || bad.length > 0) return done(from ? domainOf(from.address) : undefined, servers, []);

  const domain = domainOf(from.address);
  const dns = createDnsClient({ servers, clock: deps.clock, timeoutMs: deps.timeoutMs, signal: deps.signal });
  let unreachable = false;
  const guard = async (check: Finding['check'], body: () => Promise<void>): Promise<void> => {
    // One unreachable resolver is enough: do not wait out the same timeout for every check.
    if (unreachable) return;
    try {
      await body();
    } catch (err) {
      if (!(err instanceof DnsLookupError)) throw err;
      unreachable = true;
      findings.push({
        check,
        severity: 'error',
        message: err.message,
        fix:
          err.rcode === 'ETIMEOUT' || err.rcode === 'ECONNREFUSED'
            ? 'check MAILCTL_DNS_SERVERS and that this machine can reach them (port 53, UDP and TCP)'
            : "the domain's name servers fail to answer: check the zone with its DNS host",
      });
    }
  };

  await guard('spf', () => checkSpf(config, domain, dns, findings));
  let dmarc: DmarcRecord | undefined;
  await guard('dmarc', async () => {
    dmarc = await checkDmarc(domain, dns, findings);
  });
  await guard('dkim', () => checkDkim(config, domain, dmarc, dns, deps.cwd, findings));
  await guard('mx', () => checkMx(domain, dns, findings));
  return done(domain, dns.servers, dns.log, unreachable);
}

async function checkSpf(config: Config, domain: string, dns: DnsClient, findings: Finding[]): Promise<void> {
  const walk = await walkSpf(domain, dns);
  const { root } = walk;
  if (root.error?.result === 'temperror') throw new DnsLookupError('ESERVFAIL', root.error.message);
  if (root.error?.result === 'none') {
    findings.push({
      check: 'spf',
      severity: 'error',
      message: `${domain} has no SPF record: Gmail and Yahoo require SPF or DKIM from every sender`,
      fix: `publish TXT ${domain} "v=spf1 ${providerSpf(config)} -all"`,
    });
    return;
  }
  if (root.error) {
    findings.push({
      check: 'spf',
      severity: 'error',
      message: `SPF of ${domain} is invalid: ${root.error.message}`,
      fix: 'publish exactly one TXT record starting "v=spf1", with valid mechanisms',
      record: root.record,
    });
    return;
  }
  const record = root.record;
  let broken = false;
  if (walk.lookups > 10) {
    broken = true;
    findings.push({
      check: 'spf',
      severity: 'error',
      message: `SPF of ${domain} needs ${walk.lookups} DNS lookups; receivers stop at 10 (RFC 7208 §4.6.4), so SPF is a permerror and fails for every message`,
      fix: 'remove includes you no longer use, or replace some with the ip4:/ip6: networks they list',
      record,
    });
  }
  if (walk.voidLookups > 2) {
    broken = true;
    findings.push({
      check: 'spf',
      severity: 'error',
      message: `SPF of ${domain} has ${walk.voidLookups} lookups that find nothing; more than 2 is a permerror (RFC 7208 §4.6.4)`,
      fix: 'remove include:, a: and mx: terms that point at names without records',
      record,
    });
  }
  // An include without an SPF record is a permerror for everything that reaches it (§5.2).
  for (const [term, child] of walkChildren(root)) {
    if (child.error && child.error.result !== 'temperror') {
      broken = true;
      findings.push({
        check: 'spf',
        severity: 'error',
        message: `SPF of ${domain}: ${term} is broken (${child.error.message}), a permerror for mail that reaches it`,
        fix: `remove ${term} or fix the record it points at`,
        record,
      });
    }
  }
  const all = allQualifier(root.parsed);
  if (all === '+') {
    broken = true;
    findings.push({
      check: 'spf',
      severity: 'error',
      message: `SPF of ${domain} ends in +all: it authorises every server on the internet to send as ${domain}`,
      fix: 'end the record with -all (or ~all while you test)',
      record,
    });
  } else if ((all === '?' || all === undefined) && !root.parsed?.redirect) {
    findings.push({
      check: 'spf',
      severity: 'warning',
      message: `SPF of ${domain} does not end in -all or ~all: mail from unlisted servers is "neutral", not refused`,
      fix: 'end the record with -all (or ~all while you test)',
      record,
    });
  }
  if (!broken) {
    findings.push({
      check: 'spf',
      severity: 'ok',
      message: `SPF of ${domain} is valid: ${walk.lookups} of 10 DNS lookups${walk.includes.length ? ` (${walk.includes.join(', ')})` : ''}`,
      record,
    });
  }

  // Whether the configured SMTP server's addresses would pass, where they are known.
  const server = config.values.mailType === 'smtp' ? config.values['smtp.server'] : undefined;
  if (!server) return;
  const addrs = await dns.addresses(server);
  if (addrs.length === 0) {
    findings.push({
      check: 'spf',
      severity: 'info',
      message: `SMTP_SERVER ${server} has no address in DNS, so SPF could not be evaluated for it`,
    });
    return;
  }
  for (const ip of addrs) {
    if (isPrivate(ip)) {
      findings.push({
        check: 'spf',
        severity: 'info',
        message: `SMTP_SERVER ${server} is ${ip}, a private address: SPF applies to the address that relay delivers from, not checked here`,
      });
      continue;
    }
    const r = evaluateSpf(root, ip);
    if (r.result === 'pass') {
      findings.push({
        check: 'spf',
        severity: 'ok',
        message: `SPF passes for ${ip} (SMTP_SERVER ${server}) by ${r.by ?? '?'}`,
      });
    } else if (r.result === 'unknown') {
      findings.push({
        check: 'spf',
        severity: 'info',
        message: `SPF for ${ip} (SMTP_SERVER ${server}) depends on terms mailctl does not evaluate (macros, ptr, exists)`,
      });
    } else {
      findings.push({
        check: 'spf',
        severity: 'warning',
        message: `SPF of ${domain} gives ${r.result}${r.by ? ` (by ${r.by})` : ''} for ${ip}, SMTP_SERVER ${server}`,
        fix: `if ${server} delivers to the internet itself, add ip${isIP(ip)}:${ip} to the record; if it relays through a provider, include the provider's SPF`,
        record,
      });
    }
  }
}

function* walkChildren(n: SpfNode): Generator<[string, SpfNode]> {
  for (const [term, child] of n.children) {
    yield [term, child];
    yield* walkChildren(child);
  }
}

async function checkDmarc(domain: string, dns: DnsClient, findings: Finding[]): Promise<DmarcRecord | undefined> {
  let at = `_dmarc.${domain}`;
  let records = (await dns.txt(at)).filter(isDmarc);
  const org = orgDomain(domain);
  let inherited = false;
  if (records.length === 0 && org !== domain) {
    const orgRecords = (await dns.txt(`_dmarc.${org}`)).filter(isDmarc);
    if (orgRecords.length > 0) {
      at = `_dmarc.${org}`;
      records = orgRecords;
      inherited = true;
    }
  }
  if (records.length === 0) {
    findings.push({
      check: 'dmarc',
      severity: 'error',
      message: `${domain} has no DMARC record: Gmail and Yahoo require one from bulk senders, and without it nothing stops others sending as ${domain}`,
      fix: `publish TXT _dmarc.${org} "v=DMARC1; p=none; rua=mailto:dmarc-reports@${org}", then move to p=quarantine once the reports look right`,
    });
    return undefined;
  }
  if (records.length > 1) {
    findings.push({
      check: 'dmarc',
      severity: 'error',
      message: `${at} has ${records.length} DMARC records: receivers then apply none (RFC 7489 §6.6.3)`,
      fix: 'keep exactly one TXT record starting "v=DMARC1"',
      record: records.join(' | '),
    });
    return undefined;
  }
  const record = records[0]!;
  const d = parseDmarc(record);
  if (d.errors.length > 0 || !d.p) {
    findings.push({
      check: 'dmarc',
      severity: 'error',
      message: `DMARC record at ${at} is invalid: ${d.errors.join('; ')}`,
      fix: 'write it as "v=DMARC1; p=none|quarantine|reject; rua=mailto:…"',
      record,
    });
    return undefined;
  }
  const policy = inherited ? (d.sp ?? d.p) : d.p;
  const where = inherited ? ` (from ${at}${d.sp ? ', sp=' : ', p='}${policy} for subdomains)` : '';
  const modes = `alignment DKIM ${d.adkim === 's' ? 'strict' : 'relaxed'}, SPF ${d.aspf === 's' ? 'strict' : 'relaxed'}`;
  if (policy === 'none') {
    findings.push({
      check: 'dmarc',
      severity: 'warning',
      message: `DMARC policy of ${domain} is p=none${where}: monitoring only; mail that fails DMARC, spoofed mail included, is still delivered; ${modes}`,
      fix: 'once the aggregate reports show your mail passes, move to p=quarantine, then p=reject',
      record,
    });
  } else {
    findings.push({
      check: 'dmarc',
      severity: 'ok',
      message: `DMARC policy of ${domain} is p=${policy}${where}${d.pct < 100 ? ` for ${d.pct}% of mail` : ''}; ${modes}`,
      record,
    });
  }
  if (d.pct < 100 && policy !== 'none') {
    findings.push({
      check: 'dmarc',
      severity: 'warning',
      message: `DMARC pct=${d.pct}: the policy applies to only ${d.pct}% of failing mail`,
      fix: 'raise pct to 100 (or remove it)',
      record,
    });
  }
  if (d.rua.length === 0) {
    findings.push({
      check: 'dmarc',
      severity: 'info',
      message: 'DMARC has no rua=: you receive no aggregate reports, so you cannot see who fails',
      fix: `add rua=mailto:dmarc-reports@${orgDomain(domain)}`,
      record,
    });
  }
  return d;
}

async function checkDkim(
  config: Config,
  domain: string,
  dmarc: DmarcRecord | undefined,
  dns: DnsClient,
  cwd: string,
  findings: Finding[],
): Promise<void> {
  const v = config.values;
  const configured = v['dkim.domain'] !== undefined || v['dkim.selector'] !== undefined;
  if (!configured) {
    const signsItself = providerEntry(v.mailType)?.signsDkim === true;
    findings.push(
      signsItself
        ? {
            check: 'dkim',
            severity: 'info',
            message: `DKIM is signed by ${v.mailType} when you authenticate ${domain} with it; mailctl has no selector to check`,
          }
        : {
            check: 'dkim',
            severity: 'warning',
            message:
              'DKIM is not configured: mailctl does not sign, so DMARC rests on SPF alone, which forwarding breaks',
            fix: 'set DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_PATH (or your relay must sign)',
          },
    );
    return;
  }
  let options;
  try {
    options = await dkimOptionsFrom(config, cwd);
  } catch (err) {
    if (!(err instanceof MailctlError)) throw err;
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: err.message,
      fix: err.hint ?? 'fix the DKIM private key',
    });
    return;
  }
  if (!options) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: 'DKIM is configured only in part',
      fix: 'set DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_PATH) together',
    });
    return;
  }
  let mine;
  try {
    mine = publicOfPrivate(options.privateKey);
  } catch (err) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `the configured DKIM private key cannot be read (${(err as Error).message.replace(/\n.*/s, '')})`,
      fix: 'give a PEM private key (RSA 2048, or Ed25519)',
    });
    return;
  }
  const d = options.domainName.toLowerCase();
  const name = `${options.keySelector}._domainkey.${d}`;
  const publish = `publish TXT ${name} "${mine.record}"`;

  if (dmarc && !aligned(d, domain, dmarc.adkim)) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `DKIM d=${d} does not align with the sender's domain ${domain} under adkim=${dmarc.adkim}: DMARC cannot pass through DKIM`,
      fix: `sign with d=${domain}${dmarc.adkim === 's' ? '' : ' or a domain under it'} (DKIM_DOMAIN)`,
    });
  }
  if (mine.type === 'rsa' && mine.bits !== undefined && mine.bits < 1024) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `the DKIM key has ${mine.bits} bits; receivers ignore RSA keys under 1024 bits`,
      fix: 'generate a 2048-bit key: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048',
    });
  } else if (mine.type === 'rsa' && mine.bits !== undefined && mine.bits < 2048) {
    findings.push({
      check: 'dkim',
      severity: 'warning',
      message: `the DKIM key has ${mine.bits} bits; 2048 is the recommended size (RFC 8301)`,
      fix: 'rotate to a 2048-bit key under a new selector',
    });
  }

  const txts = await dns.txt(name);
  const keys = txts.filter((t) => /(^|;)\s*p\s*=/i.test(t) || /^v=DKIM1/i.test(t));
  if (keys.length === 0) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `no DKIM key is published at ${name}: every signature will fail`,
      fix: publish,
    });
    return;
  }
  if (keys.length > 1) {
    findings.push({
      check: 'dkim',
      severity: 'warning',
      message: `${name} has ${keys.length} TXT records; receivers may pick any one`,
      fix: 'keep exactly one DKIM record per selector',
      record: keys.join(' | '),
    });
  }
  const record = keys[0]!;
  const rec = parseDkimKey(record);
  if (rec.errors.length > 0) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `the DKIM record at ${name} is invalid: ${rec.errors.join('; ')}`,
      fix: publish,
      record,
    });
    return;
  }
  if (rec.p === '') {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `the DKIM key at ${name} is revoked (empty p=)`,
      fix: `${publish}, or configure the selector of the current key`,
      record,
    });
    return;
  }
  const published = keyFromRecord(rec);
  if (!published) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `the p= of ${name} is not a ${rec.k} public key`,
      fix: publish,
      record,
    });
    return;
  }
  if (!sameKey(published, mine.publicKey)) {
    findings.push({
      check: 'dkim',
      severity: 'error',
      message: `the DKIM key published at ${name} does not match the configured private key: receivers will fail every signature`,
      fix: `${publish}, or configure the private key that belongs to the published one`,
      record,
    });
    return;
  }
  findings.push({
    check: 'dkim',
    severity: 'ok',
    message: `the DKIM key at ${name} matches the configured private key (${mine.type.toUpperCase()}${mine.bits ? ` ${mine.bits}` : ''})`,
    record,
  });
  if (rec.testing) {
    findings.push({
      check: 'dkim',
      severity: 'warning',
      message: `${name} has t=y (testing): receivers may treat signed and unsigned mail alike`,
      fix: 'remove t=y once signing works',
      record,
    });
  }
}

async function checkMx(domain: string, dns: DnsClient, findings: Finding[]): Promise<void> {
  const mx = await dns.mx(domain);
  // RFC 7505: a single MX of "." means the domain accepts no mail.
  if (mx.length === 1 && (mx[0]!.exchange === '' || mx[0]!.exchange === '.')) {
    findings.push({
      check: 'mx',
      severity: 'error',
      message: `${domain} has a null MX (RFC 7505): it declares that it receives no mail, and receivers refuse mail from it`,
      fix: `send from a domain that receives mail, or publish a real MX for ${domain}`,
    });
    return;
  }
  if (mx.length > 0) {
    const list = [...mx]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => `${r.priority} ${r.exchange}`)
      .join(', ');
    findings.push({ check: 'mx', severity: 'ok', message: `MX of ${domain}: ${list}` });
    return;
  }
  const addrs = await dns.addresses(domain);
  if (addrs.length > 0) {
    findings.push({
      check: 'mx',
      severity: 'warning',
      message: `${domain} has no MX; bounces and replies go to its address record (${addrs.join(', ')})`,
      fix: `publish an MX record for ${domain} that receives bounces and replies`,
    });
    return;
  }
  findings.push({
    check: 'mx',
    severity: 'error',
    message: `${domain} has no MX and no address: receivers that check the sender's domain (e.g. Postfix reject_unknown_sender_domain) refuse its mail, and bounces are lost`,
    fix: `publish an MX record for ${domain}`,
  });
}
