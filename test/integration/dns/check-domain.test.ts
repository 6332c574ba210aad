/**
 * `verify-config --dns` checks against a real DNS server on 127.0.0.1 (dns2): SPF, DMARC, DKIM
 * and MX of good and broken domains, each finding with severity and fix.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { systemClock } from '../../../src/context.js';
import { checkDns, type DnsReport, type Finding } from '../../../src/dns/check-domain.js';
import { tempDir } from '../../helpers/cli.js';
import { startDns, type DnsHandle } from '../../helpers/dns-server.js';
import { KEY, ZONE } from '../../fixtures/dns/zone.js';
import { refusedPort } from '../../helpers/ports.js';

let dns: DnsHandle;
const cwd = tempDir('mailctl-dns-');

beforeAll(async () => {
  dns = await startDns(ZONE);
});
afterAll(async () => {
  await dns.close();
});

function envFor(domain: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: `smtp.${domain}`,
    SMTP_PORT: '587',
    SMTP_USE_TLS: 'true',
    SMTP_OPPORTUNISTIC_TLS: 'true',
    MAIL_DEFAULT_SEND_FROM: `App <no-reply@${domain}>`,
    DKIM_DOMAIN: domain,
    DKIM_SELECTOR: 'mail',
    DKIM_PRIVATE_KEY: KEY.privatePem,
    MAILCTL_DNS_SERVERS: dns.server,
    ...extra,
  };
}

async function check(env: Record<string, string>): Promise<DnsReport> {
  const { config, problems } = await loadConfig({ cwd, env });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return checkDns(config, { cwd, clock: systemClock() });
}

const of = (r: DnsReport, check: Finding['check'], severity?: Finding['severity']): Finding[] =>
  r.findings.filter((f) => f.check === check && (severity === undefined || f.severity === severity));

describe('verify-config --dns: a good domain', () => {
  it("passes SPF (and for SMTP_SERVER's address), DMARC, DKIM and MX", async () => {
    const r = await check(envFor('good.example'));
    expect(r).toMatchObject({ domain: 'good.example', servers: [dns.server], ok: true, exitCode: 0 });
    expect(r.findings.filter((f) => f.severity === 'error' || f.severity === 'warning')).toEqual([]);
    expect(of(r, 'spf', 'ok').map((f) => f.message)).toEqual([
      'SPF of good.example is valid: 1 of 10 DNS lookups (include:_spf.good.example)',
      'SPF passes for 203.0.113.25 (SMTP_SERVER smtp.good.example) by ip4:203.0.113.0/24',
    ]);
    expect(of(r, 'dmarc', 'ok')[0]?.message).toBe(
      'DMARC policy of good.example is p=reject; alignment DKIM relaxed, SPF relaxed',
    );
    expect(of(r, 'dkim', 'ok')[0]?.message).toBe(
      'the DKIM key at mail._domainkey.good.example matches the configured private key (RSA 2048)',
    );
    expect(of(r, 'mx', 'ok')[0]?.message).toBe('MX of good.example: 10 mx1.good.example, 20 mx2.good.example');
    expect(r.queries.map((q) => `${q.type} ${q.name}`)).toEqual(
      expect.arrayContaining([
        'TXT good.example',
        'TXT _spf.good.example',
        'A smtp.good.example',
        'TXT _dmarc.good.example',
        'TXT mail._domainkey.good.example',
        'MX good.example',
      ]),
    );
    expect(r.queries.find((q) => q.name === '_dmarc.good.example')?.answers).toEqual([
      JSON.stringify('v=DMARC1; p=reject; rua=mailto:dmarc@good.example; adkim=r; aspf=r'),
    ]);
  });

  it('an SMTP server outside the SPF record is a warning with the fix', async () => {
    const r = await check(envFor('good.example', { SMTP_SERVER: 'outside.good.example' }));
    expect(r.ok).toBe(true);
    const w = of(r, 'spf', 'warning')[0];
    expect(w?.message).toBe(
      'SPF of good.example gives fail (by -all) for 192.0.2.77, SMTP_SERVER outside.good.example',
    );
    expect(w?.fix).toMatch(/add ip4:192\.0\.2\.77/);
  });

  it('an address in an included record passes through the include', async () => {
    const r = await check(envFor('good.example', { SMTP_SERVER: '198.51.100.7' }));
    expect(of(r, 'spf', 'ok')[1]?.message).toBe(
      'SPF passes for 198.51.100.7 (SMTP_SERVER 198.51.100.7) by include:_spf.good.example',
    );
  });

  it('a subdomain inherits DMARC from the organisational domain', async () => {
    const r = await check(envFor('sub.good.example'));
    expect(of(r, 'dmarc', 'ok')[0]?.message).toMatch(
      /^DMARC policy of sub\.good\.example is p=reject \(from _dmarc\.good\.example, p=reject for subdomains\)/,
    );
  });
});

describe('verify-config --dns: broken records', () => {
  it.each<[string, string, Finding['check'], RegExp, RegExp]>([
    [
      'missing SPF',
      'nospf.example',
      'spf',
      /^nospf\.example has no SPF record/,
      /publish TXT nospf\.example "v=spf1 include:<your provider's SPF domain> or a:smtp\.nospf\.example -all"/,
    ],
    ['SPF with 11 lookups', 'toomany.example', 'spf', /needs 11 DNS lookups; receivers stop at 10/, /remove includes/],
    ['two SPF records', 'twospf.example', 'spf', /has 2 SPF records/, /exactly one/],
    ['SPF +all', 'plusall.example', 'spf', /ends in \+all/, /-all/],
    [
      'SPF syntax',
      'badsyntax.example',
      'spf',
      /"ip4:300\.1\.1\.1" is not a valid ip4 network; "foo:bar" is not an SPF mechanism/,
      /exactly one TXT/,
    ],
    [
      'SPF include without a record',
      'brokeninclude.example',
      'spf',
      /include:missing\.brokeninclude\.example is broken/,
      /remove include:missing/,
    ],
    [
      'no DMARC',
      'nodmarc.example',
      'dmarc',
      /has no DMARC record/,
      /publish TXT _dmarc\.nodmarc\.example "v=DMARC1; p=none;/,
    ],
    [
      'DKIM key mismatch',
      'badkey.example',
      'dkim',
      /does not match the configured private key/,
      /publish TXT mail\._domainkey\.badkey\.example "v=DKIM1; k=rsa; p=MII/,
    ],
    [
      'DKIM key missing',
      'nodkim.example',
      'dkim',
      /no DKIM key is published at mail\._domainkey\.nodkim\.example/,
      /publish TXT/,
    ],
    [
      'no MX (and no address)',
      'nomx.example',
      'mx',
      /has no MX and no address/,
      /publish an MX record for nomx\.example/,
    ],
  ])('%s is an error with a fix: exit 78', async (_n, domain, checkName, message, fix) => {
    const r = await check(envFor(domain));
    expect(r).toMatchObject({ ok: false, exitCode: 78 });
    const errors = r.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.check)).toEqual([checkName]);
    expect(errors[0]?.message).toMatch(message);
    expect(errors[0]?.fix).toMatch(fix);
  });

  it('DMARC p=none is a warning (monitoring only), not an error', async () => {
    const r = await check(envFor('dmarcnone.example'));
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(of(r, 'dmarc', 'warning')[0]?.message).toMatch(
      /^DMARC policy of dmarcnone\.example is p=none: monitoring only/,
    );
    expect(of(r, 'dmarc', 'info')[0]?.message).toMatch(/no rua=/);
  });

  it('the DKIM fix publishes the public key, never the private one', async () => {
    const r = await check(envFor('badkey.example'));
    const text = JSON.stringify(r);
    expect(text).toContain(KEY.record);
    const body = KEY.privatePem.split('\n').slice(1, -2).join('');
    expect(text).not.toContain(body.slice(0, 60));
  });

  it('DKIM d= that does not align under adkim=s is an error; under relaxed alignment a subdomain is fine', async () => {
    const strict = await check(envFor('strict.example', { DKIM_DOMAIN: 'd.strict.example' }));
    expect(strict.exitCode).toBe(78);
    expect(of(strict, 'dkim', 'error').map((f) => f.message)).toEqual([
      "DKIM d=d.strict.example does not align with the sender's domain strict.example under adkim=s: DMARC cannot pass through DKIM",
    ]);
    expect(of(strict, 'dkim', 'ok')).toHaveLength(1);
    const relaxed = await check(envFor('sub.good.example', { DKIM_DOMAIN: 'good.example' }));
    expect(of(relaxed, 'dkim', 'error')).toEqual([]);
  });
});

describe('verify-config --dns: the resolver', () => {
  it('a DNS server that does not answer is 69, quickly', async () => {
    const port = await refusedPort();
    const { config } = await loadConfig({
      cwd,
      env: envFor('good.example', { MAILCTL_DNS_SERVERS: `127.0.0.1:${port}` }),
    });
    const r = await checkDns(config, { cwd, clock: systemClock(), timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(r.findings[0]).toMatchObject({ check: 'spf', severity: 'error' });
    expect(r.findings[0]?.message).toMatch(
      /the DNS query TXT good\.example failed \((ECONNREFUSED|ETIMEOUT)\) at 127\.0\.0\.1:\d+/,
    );
    // the other checks are not tried against a resolver that is known to be down
    expect(r.findings).toHaveLength(1);
    expect(r.queries).toHaveLength(1);
  });

  it('an abort (SIGINT) cancels pending queries: 69 with ECANCELLED', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const { config } = await loadConfig({
        cwd,
        env: envFor('good.example', { MAILCTL_DNS_SERVERS: `127.0.0.1:${port}` }),
      });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const r = await checkDns(config, { cwd, clock: systemClock(), timeoutMs: 30_000, signal: ac.signal });
      expect(r.exitCode).toBe(69);
      expect(r.findings[0]?.message).toMatch(/\(ECANCELLED\)/);
    } finally {
      silent.close();
    }
  });

  it('MAILCTL_DNS_SERVERS that is not an address is a config error (78) and nothing is queried', async () => {
    const r = await check(envFor('good.example', { MAILCTL_DNS_SERVERS: 'dns.example.com, 1.1.1.1:99999' }));
    expect(r).toMatchObject({ exitCode: 78, queries: [] });
    expect(r.findings[0]?.message).toBe(
      'MAILCTL_DNS_SERVERS: "dns.example.com", "1.1.1.1:99999" is not an IP address or IP:port',
    );
  });

  it('without MAIL_DEFAULT_SEND_FROM there is no domain to check: 78', async () => {
    const { config } = await loadConfig({ cwd, env: { MAILCTL_DNS_SERVERS: dns.server } });
    const r = await checkDns(config, { cwd, clock: systemClock() });
    expect(r.exitCode).toBe(78);
    expect(r.findings[0]?.message).toMatch(/no sender domain/);
  });
});
