/**
 * `verify-config --connect` for smtp against real servers on 127.0.0.1: smtp-server in plain,
 * STARTTLS-required and implicit-TLS modes with a self-signed certificate made in the setup,
 * plus raw sockets where the exact bytes matter (silent server, odd greetings, EHLO refusal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/index.js';
import { systemClock } from '../../../../src/context.js';
import { probeProvider } from '../../../../src/providers/probe/index.js';
import type { ProbeDeps, ProbeReport } from '../../../../src/providers/types.js';
import { tempDir } from '../../../helpers/cli.js';
import {
  DEFER_FROM,
  FROM,
  PASSWORD,
  REFUSE_FROM,
  startScripted,
  startSilent,
  startSmtp,
  USER,
  type SmtpHandle,
} from '../../../helpers/probe-servers.js';
import { refusedPort } from '../../../helpers/ports.js';
import { type Cert, selfSignedCert } from '../../../helpers/cert.js';

const cwd = tempDir('mailctl-probe-');
const EHLO_NAME = 'mailer.example.net';

async function probe(
  env: Record<string, string>,
  signal = new AbortController().signal,
  hostname = 'probe-host.example.net',
  lookup?: ProbeDeps['lookup'],
): Promise<ProbeReport> {
  const { config, problems } = await loadConfig({
    cwd,
    env: { MAIL_TYPE: 'smtp', SMTP_SERVER: '127.0.0.1', MAIL_DEFAULT_SEND_FROM: `Ops <${FROM}>`, ...env },
  });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return probeProvider(config, { clock: systemClock(), signal, cwd, hostname, lookup });
}

const names = (r: ProbeReport): string[] => r.stages.map((s) => s.name);
const stage = (r: ProbeReport, name: string, nth = 0) => r.stages.filter((s) => s.name === name)[nth];
const failed = (r: ProbeReport) => r.stages.find((s) => !s.ok);
const b64plain = Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64');
const b64pass = Buffer.from(PASSWORD).toString('base64');

function expectNoSecret(r: ProbeReport): void {
  const text = JSON.stringify(r);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(b64plain);
  expect(text).not.toContain(b64pass);
}

let cert: Cert;
const servers: { close(): Promise<void> }[] = [];
let plain: SmtpHandle;
let plainLogin: SmtpHandle;
let starttls: SmtpHandle;
let starttlsNoAuth: SmtpHandle;
let implicit: SmtpHandle;

beforeAll(async () => {
  cert = await selfSignedCert();
  plain = await startSmtp({ mode: 'plain' });
  plainLogin = await startSmtp({ mode: 'plain', auth: true, extra: { authMethods: ['LOGIN'] } });
  starttls = await startSmtp({ mode: 'starttls', cert, auth: true });
  starttlsNoAuth = await startSmtp({ mode: 'starttls', cert, extra: { disabledCommands: ['AUTH'] } });
  implicit = await startSmtp({ mode: 'implicit', cert, auth: true });
  servers.push(plain, plainLogin, starttls, starttlsNoAuth, implicit);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('smtp probe: plain SMTP', () => {
  it('passes every stage, sends the configured EHLO name, and never sends RCPT or DATA', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port), SMTP_LOCAL_HOSTNAME: EHLO_NAME });
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(names(r)).toEqual(['resolve', 'connect', 'greeting', 'ehlo', 'mail from', 'rset', 'quit']);
    expect(stage(r, 'greeting')?.reply).toMatch(/^220 mx\.test\.invalid .*mailctl test server/);
    expect(stage(r, 'ehlo')).toMatchObject({ sent: `EHLO ${EHLO_NAME}` });
    expect(stage(r, 'ehlo')?.reply).toMatch(/^250-mx\.test\.invalid .*; offers .*PIPELINING/);
    expect(stage(r, 'mail from')).toMatchObject({ sent: `MAIL FROM:<${FROM}>`, ok: true });
    expect(stage(r, 'quit')?.reply).toMatch(/^221/);
    expect(plain.ehlo.at(-1)).toBe(EHLO_NAME);
    expect(plain.forbidden).toEqual([]);
    for (const s of r.stages) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it('uses the machine host name without SMTP_LOCAL_HOSTNAME, and warns when it is not a FQDN', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port) }, undefined, 'c0ffee123');
    expect(r.ok).toBe(true);
    expect(stage(r, 'ehlo')?.sent).toBe('EHLO c0ffee123');
    expect(stage(r, 'ehlo')?.warning).toMatch(
      /not a fully-qualified domain name .*machine's host name.*SMTP_LOCAL_HOSTNAME/,
    );
    expect(plain.ehlo.at(-1)).toBe('c0ffee123');
  });

  it('logs in with AUTH PLAIN, shown masked', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port), SMTP_USERNAME: USER, SMTP_PASSWORD: PASSWORD });
    expect(r.ok).toBe(true);
    expect(stage(r, 'auth')).toMatchObject({ ok: true, sent: 'AUTH PLAIN ********' });
    expect(stage(r, 'auth')?.reply).toMatch(/^235 .*\(as ops@example\.com\)/);
    expectNoSecret(r);
  });

  it('logs in with AUTH LOGIN when only LOGIN is offered', async () => {
    const r = await probe({ SMTP_PORT: String(plainLogin.port), SMTP_USERNAME: USER, SMTP_PASSWORD: PASSWORD });
    expect(r.ok).toBe(true);
    expect(stage(r, 'auth')?.sent).toBe('AUTH LOGIN; username ops@example.com; password ********');
    expectNoSecret(r);
  });

  it('a wrong password is 77 with the 535 reply and a hint', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port), SMTP_USERNAME: USER, SMTP_PASSWORD: 'wrong-password-123' });
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(failed(r)).toMatchObject({ name: 'auth', sent: 'AUTH PLAIN ********' });
    expect(failed(r)?.reply).toMatch(/^535 /);
    expect(r.error).toMatch(/refused AUTH for ops@example\.com: 535/);
    expect(r.hint).toMatch(/SMTP_USERNAME and SMTP_PASSWORD/);
    expect(JSON.stringify(r)).not.toContain('wrong-password-123');
  });

  it('a 4xx on MAIL FROM is 75 (temporary), with the reply', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port), MAIL_DEFAULT_SEND_FROM: DEFER_FROM });
    expect(r).toMatchObject({ ok: false, exitCode: 75 });
    expect(failed(r)?.name).toBe('mail from');
    expect(failed(r)?.reply).toMatch(/^451 .*temporarily rejected/);
    expect(r.hint).toMatch(/greylisting|rate limit/);
  });

  it('a 5xx on MAIL FROM is 69 (permanent refusal of the sender), with a hint about the sender', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port), MAIL_DEFAULT_SEND_FROM: REFUSE_FROM });
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(failed(r)?.reply).toMatch(/^550 .*not allowed/);
    expect(r.hint).toMatch(/refuses to send as refuse@example\.com: set MAIL_DEFAULT_SEND_FROM/);
  });

  it('a closed port is 69 at the connect stage', async () => {
    const port = await refusedPort();
    const r = await probe({ SMTP_PORT: String(port) });
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(names(r)).toEqual(['resolve', 'connect']);
    expect(failed(r)?.reply).toBe(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(r.hint).toMatch(/check SMTP_PORT/);
  });
});

describe("smtp probe: resolving SMTP_SERVER (an injected resolver, so the machine's DNS does not matter)", () => {
  const resolver = (answer: (host: string) => Promise<{ address: string }[]>) => {
    const asked: string[] = [];
    return { asked, lookup: (host: string) => (asked.push(host), answer(host)) };
  };
  const dnsError = (code: string) => () => Promise.reject(Object.assign(new Error(`getaddrinfo ${code}`), { code }));

  it('a name resolves, every address is shown, and the probe connects to it', async () => {
    const r0 = resolver(async () => [{ address: '127.0.0.1' }, { address: '::1' }]);
    const r = await probe(
      { SMTP_SERVER: 'smtp.example.net', SMTP_PORT: String(plain.port) },
      undefined,
      undefined,
      r0.lookup,
    );
    expect(r0.asked).toEqual(['smtp.example.net']);
    expect(stage(r, 'resolve')).toMatchObject({ ok: true, reply: '127.0.0.1, ::1' });
    expect(stage(r, 'connect')?.reply).toMatch(/^connected to 127\.0\.0\.1:/);
  });

  it('a name that does not exist is 69 with a spelling hint (ENOTFOUND)', async () => {
    const r = await probe(
      { SMTP_SERVER: 'smtp.example.invalid', SMTP_PORT: '25' },
      undefined,
      undefined,
      dnsError('ENOTFOUND'),
    );
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(names(r)).toEqual(['resolve']);
    expect(r.error).toBe('cannot resolve SMTP_SERVER smtp.example.invalid (ENOTFOUND)');
    expect(r.hint).toMatch(/spelling of SMTP_SERVER/);
  });

  it('a resolver that cannot answer now is 75, temporary (EAI_AGAIN)', async () => {
    const r = await probe(
      { SMTP_SERVER: 'smtp.example.net', SMTP_PORT: '25' },
      undefined,
      undefined,
      dnsError('EAI_AGAIN'),
    );
    expect(r).toMatchObject({ ok: false, exitCode: 75 });
    expect(r.hint).toMatch(/did not answer; try again/);
  });

  it('a resolver that never answers is 75 after SMTP_CONNECT_TIMEOUT', async () => {
    const r = await probe(
      { SMTP_SERVER: 'smtp.example.net', SMTP_PORT: '25', SMTP_CONNECT_TIMEOUT: '200ms' },
      undefined,
      undefined,
      () => new Promise(() => {}),
    );
    expect(r).toMatchObject({ ok: false, exitCode: 75 });
    expect(r.error).toBe('resolving smtp.example.net took longer than 200 ms');
  });
});

describe('smtp probe: timeouts and odd servers', () => {
  it('a server that accepts TCP but never greets is 75 after SMTP_GREETING_TIMEOUT', async () => {
    const silent = await startSilent();
    servers.push(silent);
    const r = await probe({ SMTP_PORT: String(silent.port), SMTP_GREETING_TIMEOUT: '300ms' });
    expect(r).toMatchObject({ ok: false, exitCode: 75 });
    expect(failed(r)).toMatchObject({ name: 'greeting', reply: 'timeout' });
    expect(r.error).toMatch(/sent no greeting within 300 ms/);
    expect(r.hint).toMatch(/implicit TLS/);
  });

  it('an abort (SIGINT) ends the wait at once: 75 interrupted', async () => {
    const silent = await startSilent();
    servers.push(silent);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await probe({ SMTP_PORT: String(silent.port), SMTP_GREETING_TIMEOUT: '60s' }, ac.signal);
    expect(r).toMatchObject({ ok: false, exitCode: 75, error: 'interrupted' });
  });

  it.each<[string, string, number, RegExp]>([
    [
      'a multi-line greeting is read whole',
      '220-mx.example.com ESMTP\r\n220 second line\r\n',
      0,
      /^220-mx\.example\.com ESMTP \| second line$/,
    ],
    ['554 on connect is 69 (refused)', '554 5.7.1 Your IP is on a blocklist\r\n', 69, /^554 /],
    ['421 on connect is 75 (try later)', '421 4.3.2 Too many connections\r\n', 75, /^421 /],
    ['an HTTP server is 76 (not SMTP)', 'HTTP/1.1 400 Bad Request\r\n\r\n', 76, /not an SMTP reply/],
    ['mixed codes in one reply are 76', '220-hello\r\n250 world\r\n', 76, /mixes codes 220 and 250/],
  ])('%s', async (_name, greeting, exitCode, reply) => {
    const replies = ['250 mx.example.com\r\n', '250 2.1.0 Ok\r\n', '250 2.0.0 Ok\r\n', '221 2.0.0 Bye\r\n'];
    const server = await startScripted(greeting, replies);
    servers.push(server);
    const r = await probe({ SMTP_PORT: String(server.port), SMTP_LOCAL_HOSTNAME: EHLO_NAME });
    expect(r.exitCode).toBe(exitCode);
    expect(stage(r, 'greeting')?.reply).toMatch(reply);
    if (exitCode === 0) expect(server.received).toEqual([`EHLO ${EHLO_NAME}`, `MAIL FROM:<${FROM}>`, 'RSET', 'QUIT']);
  });

  it('a relay that rejects the EHLO name is 69 with a hint to set SMTP_LOCAL_HOSTNAME', async () => {
    const server = await startScripted('220 relay.example.com ESMTP\r\n', [
      '550 5.7.1 Invalid credentials for relay [172.17.0.2]\r\n',
    ]);
    servers.push(server);
    const r = await probe({ SMTP_PORT: String(server.port) }, undefined, '3f2a9c1b7d4e');
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(failed(r)).toMatchObject({ name: 'ehlo', sent: 'EHLO 3f2a9c1b7d4e' });
    expect(r.hint).toMatch(/set SMTP_LOCAL_HOSTNAME .*it sent "3f2a9c1b7d4e"/);
  });

  it('a 535 on a plain connection to a server that also offers STARTTLS is still "wrong password"', async () => {
    const server = await startScripted('220 mx.example.com\r\n', [
      '250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n',
      '535 5.7.8 Authentication credentials invalid\r\n',
    ]);
    servers.push(server);
    const r = await probe({ SMTP_PORT: String(server.port), SMTP_USERNAME: USER, SMTP_PASSWORD: PASSWORD });
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(r.hint).toMatch(/^check SMTP_USERNAME and SMTP_PASSWORD/);
    expect(server.received[1]).toMatch(/^AUTH PLAIN /);
    expectNoSecret(r);
  });

  it('an unexpected reply code (e.g. 354 to MAIL FROM) is 76', async () => {
    const server = await startScripted('220 odd.example.com\r\n', ['250 odd.example.com\r\n', '354 go ahead\r\n']);
    servers.push(server);
    const r = await probe({ SMTP_PORT: String(server.port) });
    expect(r).toMatchObject({ ok: false, exitCode: 76 });
    expect(failed(r)?.name).toBe('mail from');
  });
});

describe('smtp probe: STARTTLS (required by the server)', () => {
  const env = (): Record<string, string> => ({
    SMTP_PORT: String(starttls.port),
    SMTP_USE_TLS: 'true',
    SMTP_OPPORTUNISTIC_TLS: 'true',
    SMTP_USERNAME: USER,
    SMTP_PASSWORD: PASSWORD,
    SMTP_LOCAL_HOSTNAME: EHLO_NAME,
  });

  it('refuses the self-signed certificate when verification is on: 69 at the tls stage', async () => {
    const r = await probe(env());
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(names(r)).toEqual(['resolve', 'connect', 'greeting', 'ehlo', 'starttls', 'tls']);
    expect(failed(r)?.reply).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT/);
    expect(r.error).toMatch(/certificate is not trusted/);
    expect(r.hint).toMatch(/NODE_EXTRA_CA_CERTS.*SMTP_TLS_VERIFY=false/);
    expectNoSecret(r);
  });

  it('accepts it with SMTP_TLS_VERIFY=false, with a warning; EHLO again after TLS; AUTH; MAIL FROM over TLS', async () => {
    const before = starttls.secureAtMail.length;
    const r = await probe({ ...env(), SMTP_TLS_VERIFY: 'false' });
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(names(r)).toEqual([
      'resolve',
      'connect',
      'greeting',
      'ehlo',
      'starttls',
      'tls',
      'ehlo',
      'auth',
      'mail from',
      'rset',
      'quit',
    ]);
    const tls = stage(r, 'tls');
    expect(tls?.reply).toMatch(
      /^TLSv1\.[23] \S+; certificate CN=localhost, DNS:localhost, IP Address:127\.0\.0\.1 \(issuer itself, valid until /,
    );
    expect(tls?.warning).toMatch(
      /NOT verified because SMTP_TLS_VERIFY=false \(it would have failed: DEPTH_ZERO_SELF_SIGNED_CERT\)/,
    );
    expect(stage(r, 'ehlo', 0)?.reply).toMatch(/STARTTLS/);
    expect(stage(r, 'ehlo', 1)?.reply).not.toMatch(/STARTTLS/);
    expect(starttls.secureAtMail.slice(before)).toEqual([true]);
    expect(starttls.ehlo.at(-1)).toBe(EHLO_NAME);
    expectNoSecret(r);
  });

  it('warns about a non-FQDN EHLO name once, though EHLO is sent twice', async () => {
    const { SMTP_LOCAL_HOSTNAME: _unused, ...rest } = env();
    const r = await probe({ ...rest, SMTP_TLS_VERIFY: 'false' }, undefined, 'buildbox');
    expect(r.ok).toBe(true);
    expect(r.stages.filter((x) => x.name === 'ehlo').map((x) => x.warning)).toEqual([
      expect.stringMatching(/^EHLO name "buildbox" is not a fully-qualified/),
      undefined,
    ]);
  });

  it('plain SMTP with AUTH against it: 77, "server offers AUTH only after STARTTLS"', async () => {
    const r = await probe({ SMTP_PORT: String(starttls.port), SMTP_USERNAME: USER, SMTP_PASSWORD: PASSWORD });
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(failed(r)?.name).toBe('auth');
    expect(failed(r)?.reply).toMatch(/^538 .*STARTTLS/);
    expect(r.hint).toMatch(/offers AUTH only after STARTTLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true/);
    expect(stage(r, 'ehlo')?.warning).toMatch(/offers STARTTLS but SMTP_USE_TLS=false/);
    expectNoSecret(r);
  });

  it('a server that requires AUTH, probed without credentials: 530 on MAIL FROM is 77 with a hint', async () => {
    const r = await probe({
      SMTP_PORT: String(starttls.port),
      SMTP_USE_TLS: 'true',
      SMTP_OPPORTUNISTIC_TLS: 'true',
      SMTP_TLS_VERIFY: 'false',
    });
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(failed(r)?.reply).toMatch(/^530 /);
    expect(r.hint).toMatch(/requires AUTH: set SMTP_USERNAME and SMTP_PASSWORD/);
  });

  it('AUTH configured but not advertised before STARTTLS: 77 with the same hint', async () => {
    const r = await probe({ SMTP_PORT: String(starttlsNoAuth.port), SMTP_USERNAME: USER, SMTP_PASSWORD: PASSWORD });
    expect(r).toMatchObject({
      ok: false,
      exitCode: 77,
      error: 'SMTP_USERNAME is set but the server does not offer AUTH',
    });
    expect(r.hint).toMatch(/offers AUTH only after STARTTLS/);
  });

  it('plain SMTP without AUTH: MAIL FROM refused with 530 "Must issue STARTTLS" is 69 with a TLS hint', async () => {
    const r = await probe({ SMTP_PORT: String(starttlsNoAuth.port) });
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(failed(r)?.reply).toMatch(/^530 /);
    expect(r.hint).toMatch(/only over TLS/);
  });

  it('implicit TLS against this STARTTLS port: 69, "the server expects STARTTLS on this port"', async () => {
    const r = await probe({ SMTP_PORT: String(starttls.port), SMTP_USE_TLS: 'true', SMTP_TLS_VERIFY: 'false' });
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(failed(r)?.name).toBe('tls');
    expect(r.hint).toMatch(/expects STARTTLS on this port: set SMTP_OPPORTUNISTIC_TLS=true/);
  });

  it('STARTTLS requested from a server that does not offer it: 69', async () => {
    const r = await probe({ SMTP_PORT: String(plain.port), SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true' });
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(failed(r)?.name).toBe('starttls');
    expect(r.error).toMatch(/does not offer STARTTLS/);
  });
});

describe('smtp probe: implicit TLS', () => {
  const env = (): Record<string, string> => ({
    SMTP_PORT: String(implicit.port),
    SMTP_USE_TLS: 'true',
    SMTP_USERNAME: USER,
    SMTP_PASSWORD: PASSWORD,
  });

  it('refuses the self-signed certificate when verification is on: 69 before any SMTP', async () => {
    const r = await probe(env());
    expect(r).toMatchObject({ ok: false, exitCode: 69 });
    expect(names(r)).toEqual(['resolve', 'connect', 'tls']);
    expect(r.error).toMatch(/not trusted/);
  });

  it('accepts it with SMTP_TLS_VERIFY=false with a warning, and logs in', async () => {
    const r = await probe({ ...env(), SMTP_TLS_VERIFY: 'false' });
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(names(r)).toEqual(['resolve', 'connect', 'tls', 'greeting', 'ehlo', 'auth', 'mail from', 'rset', 'quit']);
    expect(stage(r, 'tls')?.warning).toMatch(/NOT verified/);
    expect(stage(r, 'ehlo')?.reply).not.toMatch(/STARTTLS/);
    expect(implicit.secureAtMail.at(-1)).toBe(true);
    expectNoSecret(r);
  });

  it('a wrong password over implicit TLS is 77', async () => {
    const r = await probe({ ...env(), SMTP_TLS_VERIFY: 'false', SMTP_PASSWORD: 'nope-nope-nope' });
    expect(r).toMatchObject({ ok: false, exitCode: 77 });
    expect(failed(r)?.name).toBe('auth');
  });

  it('plain SMTP against the implicit-TLS port waits for a greeting that never comes: 75, hint implicit TLS', async () => {
    const r = await probe({ SMTP_PORT: String(implicit.port), SMTP_GREETING_TIMEOUT: '500ms' });
    expect(r).toMatchObject({ ok: false, exitCode: 75 });
    expect(failed(r)?.name).toBe('greeting');
    expect(r.hint).toMatch(/SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=false/);
  });
});
