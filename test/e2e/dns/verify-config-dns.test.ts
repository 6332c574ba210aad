/**
 * `mailctl verify-config --dns` end to end: the built binary with a clean env against a real
 * DNS server on 127.0.0.1 (dns2). Exit codes, text and --json reports, --debug answers on
 * stderr, and the DKIM private key never printed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startDns, type DnsHandle } from '../../helpers/dns-server.js';
import { KEY, ZONE } from '../../fixtures/dns/zone.js';
import { startSmtp, type SmtpHandle } from '../../helpers/probe-servers.js';
import { refusedPort } from '../../helpers/ports.js';

let dns: DnsHandle;
let smtp: SmtpHandle;
const cwd = tempDir('mailctl-dns-e2e-');
writeFileSync(join(cwd, 'dkim.pem'), KEY.privatePem);
const keyBody = KEY.privatePem.split('\n')[1]!;

beforeAll(async () => {
  dns = await startDns(ZONE);
  smtp = await startSmtp({ mode: 'plain' });
});
afterAll(async () => {
  await Promise.all([dns.close(), smtp.close()]);
});

const env = (domain: string, extra: Record<string, string> = {}): Record<string, string> => ({
  MAIL_TYPE: 'smtp',
  SMTP_SERVER: `smtp.${domain}`,
  SMTP_PORT: '587',
  SMTP_USE_TLS: 'true',
  SMTP_OPPORTUNISTIC_TLS: 'true',
  MAIL_DEFAULT_SEND_FROM: `App <no-reply@${domain}>`,
  DKIM_DOMAIN: domain,
  DKIM_SELECTOR: 'mail',
  DKIM_PRIVATE_KEY_PATH: 'dkim.pem',
  MAILCTL_DNS_SERVERS: dns.server,
  ...extra,
});

describe('mailctl verify-config --dns', () => {
  it('a good domain: exit 0, one line per finding, nothing on stderr', async () => {
    const r = await runCli(['verify-config', '--dns'], { cwd, env: env('good.example') });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`  dns good.example (servers: ${dns.server})`);
    expect(r.stdout).toMatch(/^  ok +SPF +SPF of good\.example is valid: 1 of 10 DNS lookups/m);
    expect(r.stdout).toMatch(/^  ok +DMARC +DMARC policy of good\.example is p=reject/m);
    expect(r.stdout).toMatch(
      /^  ok +DKIM +the DKIM key at mail\._domainkey\.good\.example matches the configured private key \(RSA 2048\)/m,
    );
    expect(r.stdout).toMatch(/^  ok +MX +MX of good\.example: 10 mx1\.good\.example, 20 mx2\.good\.example/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('ok: 0 errors, 0 warnings, DNS 0 errors, 0 warnings');
    expect(r.stdout + r.stderr).not.toContain(keyBody);
  });

  it('a DKIM key mismatch: exit 78, the finding and its fix on stdout, the sentence on stderr', async () => {
    const r = await runCli(['verify-config', '--dns'], { cwd, env: env('badkey.example') });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toMatch(
      /^  error +DKIM +the DKIM key published at mail\._domainkey\.badkey\.example does not match the configured private key/m,
    );
    expect(r.stdout).toMatch(/^ +fix: publish TXT mail\._domainkey\.badkey\.example "v=DKIM1; k=rsa; p=MII/m);
    expect(r.stderr).toMatch(
      /^mailctl: DNS check failed: the DKIM key published at mail\._domainkey\.badkey\.example does not match the configured private key: receivers will fail every signature\nhint: publish TXT /,
    );
    expect(r.stdout + r.stderr).not.toContain(keyBody);
  });

  it('--json has ok, problems and dns {domain, servers, findings}; queries only with --debug', async () => {
    const r = await runCli(['verify-config', '--dns', '--json'], { cwd, env: env('toomany.example') });
    expect(r.exitCode).toBe(78);
    const json = JSON.parse(r.stdout) as {
      ok: boolean;
      problems: unknown[];
      dns: {
        domain: string;
        servers: string[];
        ok: boolean;
        exitCode: number;
        findings: { check: string; severity: string; message: string; fix?: string }[];
        queries?: unknown;
      };
    };
    expect(json.ok).toBe(false);
    expect(json.problems).toEqual([]);
    expect(json.dns).toMatchObject({ domain: 'toomany.example', servers: [dns.server], ok: false, exitCode: 78 });
    expect(json.dns.queries).toBeUndefined();
    expect(json.dns.findings.filter((f) => f.severity === 'error')).toEqual([
      expect.objectContaining({
        check: 'spf',
        message: expect.stringMatching(/needs 11 DNS lookups/),
        fix: expect.any(String),
      }),
    ]);
    const debug = await runCli(['--debug', 'verify-config', '--dns', '--json'], { cwd, env: env('toomany.example') });
    const dj = JSON.parse(debug.stdout) as { dns: { queries: { type: string; name: string; answers?: string[] }[] } };
    expect(dj.dns.queries.filter((q) => q.type === 'TXT' && /^s\d+\.toomany\.example$/.test(q.name))).toHaveLength(11);
  });

  it('--debug shows every query and its answers on stderr', async () => {
    const r = await runCli(['--debug', 'verify-config', '--dns'], { cwd, env: env('dmarcnone.example') });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`dns: TXT _dmarc.dmarcnone.example @ ${dns.server}`);
    expect(r.stderr).toMatch(/-> "v=DMARC1; p=none"/);
    expect(r.stderr).toMatch(/dns: MX dmarcnone\.example .* -> 10 mx1\.dmarcnone\.example, 20 mx2\.dmarcnone\.example/);
    expect(r.stdout).toMatch(/^  warning DMARC +DMARC policy of dmarcnone\.example is p=none/m);
    expect(r.stdout + r.stderr).not.toContain(keyBody);
  });

  it('--connect --dns does both: the transcript, then the DNS findings', async () => {
    const r = await runCli(['verify-config', '--connect', '--dns'], {
      cwd,
      env: env('good.example', {
        SMTP_SERVER: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_USE_TLS: 'false',
        SMTP_OPPORTUNISTIC_TLS: 'false',
        SMTP_LOCAL_HOSTNAME: 'app.good.example',
      }),
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^  ok   mail from .*MAIL FROM:<no-reply@good\.example>/m);
    expect(r.stdout).toMatch(/^  info +SPF +SMTP_SERVER 127\.0\.0\.1 is 127\.0\.0\.1, a private address/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      'ok: 0 errors, 0 warnings, connection ok, DNS 0 errors, 0 warnings',
    );
  });

  it('an unreachable DNS server: exit 69', async () => {
    const r = await runCli(['verify-config', '--dns'], {
      cwd,
      env: env('good.example', { MAILCTL_DNS_SERVERS: `127.0.0.1:${await refusedPort()}` }),
    });
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toMatch(/^mailctl: DNS check failed: the DNS query TXT good\.example failed/);
  });

  it('static errors skip the DNS check: 78', async () => {
    const before = dns.questions.length;
    const r = await runCli(['verify-config', '--dns'], { cwd, env: env('good.example', { SMTP_PORT: '0' }) });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toContain('--dns skipped: fix the errors above first');
    expect(dns.questions.length).toBe(before);
  });
});
