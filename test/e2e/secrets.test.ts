/**
 * Secrets stay secret: no password, API key or DKIM key value — nor its base64 form, as SMTP AUTH
 * would send it — ever appears in stdout or stderr of any command, with or without --debug, or in
 * anything written to the spool or the outbox.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { oauth2SecretForms, startTokenEndpoint, type TokenEndpoint } from '../helpers/oauth2.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import { startEchoSmtpServer, type EchoSmtpServer } from '../helpers/smtp-echo.js';
import { selfSignedCert } from '../helpers/cert.js';

const SMTP_PASSWORD = 'pw-9f8e7d6c5b4a-secret';
const SENDGRID_API_KEY = 'SG.key-0123456789abcdef-secret';
const RESEND_API_KEY = 're_key-fedcba9876543210-secret';
const DKIM_PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const DKIM_BODY = DKIM_PRIVATE_KEY.split('\n')[1]!;

const SECRETS = [SMTP_PASSWORD, SENDGRID_API_KEY, RESEND_API_KEY, DKIM_BODY];
const forms = (s: string): string[] => [
  s,
  Buffer.from(s).toString('base64'),
  Buffer.from(`\0user@example.com\0${s}`).toString('base64'),
];

function expectClean(text: string, where: string): void {
  for (const secret of SECRETS)
    for (const form of forms(secret)) expect(text.includes(form), `${where} contains a secret`).toBe(false);
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
  } catch {
    return [];
  }
}

const base = {
  SMTP_SERVER: '127.0.0.1',
  SMTP_PORT: '1',
  SMTP_USERNAME: 'user@example.com',
  SMTP_PASSWORD,
  SMTP_USE_TLS: 'false',
  SMTP_CONNECT_TIMEOUT: '2s',
  SENDGRID_API_KEY,
  SENDGRID_API_BASE_URL: 'http://127.0.0.1:1',
  RESEND_API_KEY,
  RESEND_API_URL: 'http://127.0.0.1:1',
  DKIM_DOMAIN: 'example.com',
  DKIM_SELECTOR: 's1',
  DKIM_PRIVATE_KEY,
  MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
};

describe('no secret in any output', () => {
  const cases: [string, string[], Record<string, string>][] = [];
  for (const mailType of ['file', 'smtp', 'sendgrid', 'resend']) {
    for (const debug of [[], ['--debug']]) {
      const env = { ...base, MAIL_TYPE: mailType };
      cases.push(
        [`${mailType} verify-config ${debug.join(' ')}`, [...debug, 'verify-config'], env],
        [`${mailType} verify-config --json ${debug.join(' ')}`, [...debug, 'verify-config', '--json'], env],
        [
          `${mailType} verify-config --connect ${debug.join(' ')}`,
          [...debug, 'verify-config', '--connect', '--json'],
          env,
        ],
        [
          `${mailType} send ${debug.join(' ')}`,
          [...debug, 'send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'],
          env,
        ],
        [
          `${mailType} send --json ${debug.join(' ')}`,
          [...debug, 'send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456', '--json'],
          env,
        ],
        [
          `${mailType} send --dry-run ${debug.join(' ')}`,
          [...debug, 'send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456', '--dry-run'],
          env,
        ],
      );
    }
  }

  it.each(cases)('%s', async (_name, args, env) => {
    const r = await runCli(args, { env });
    expect(r.exitCode, r.stderr).not.toBe(70);
    expectClean(r.stdout, 'stdout');
    expectClean(r.stderr, 'stderr');
  });

  it('spool, drain, queue and outbox never hold or print a secret', async () => {
    const cwd = tempDir();
    const env = { ...base, MAIL_TYPE: 'file' };
    const steps = [
      ['enqueue', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'],
      [
        'send',
        'invite-member',
        '--to',
        'ops@example.com',
        '--queue',
        '--var',
        'inviter_name=Ana',
        '--var',
        'workspace_name=Acme',
        '--var',
        'url=https://example.com/a',
      ],
      ['--debug', 'drain', '--json'],
      ['queue', 'status', '--json'],
      ['queue', 'list', '--json'],
      ['preview', 'reset-password', '--format', 'eml'],
      ['templates', 'list', '--json'],
    ];
    for (const args of steps) {
      const r = await runCli(args, { cwd, env });
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expectClean(r.stdout + r.stderr, args.join(' '));
    }
    const written = filesUnder(join(cwd, '.mailctl'));
    expect(written.length).toBeGreaterThan(1);
    for (const file of written) expectClean(readFileSync(file, 'latin1'), file);
  });
});

/**
 * A relay that quotes the credentials it received in its 535 reply (base64 PLAIN or LOGIN, or
 * decoded): none of them, in any encoding, reaches the operator's terminal, a JSON report, a
 * job file or `queue list`.
 */
if (!redisAvailable())
  console.warn('secrets.test.ts: redis-server is not installed: the Redis spool echo tests are skipped');

describe('a server that echoes credentials back', () => {
  const USER = 'user@example.com';
  const PASSWORD = 'p@ss"w0rd/9f8e-secret';
  const leaks = (authLines: readonly string[]): string[] => [
    PASSWORD,
    JSON.stringify(PASSWORD).slice(1, -1),
    encodeURIComponent(PASSWORD),
    Buffer.from(PASSWORD).toString('base64'),
    Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'),
    Buffer.from(`${USER}\0${USER}\0${PASSWORD}`).toString('base64'),
    // what really went over the wire, whatever the mechanism
    ...authLines
      .flatMap((l) => l.split(' '))
      .filter((w) => w.length >= 8 && w !== Buffer.from(USER).toString('base64')), // the login name is no secret
  ];
  const expectNoLeak = (text: string, where: string, authLines: readonly string[]): void => {
    for (const form of leaks(authLines)) expect(text.includes(form), `${where} contains ${form}`).toBe(false);
  };
  const envFor = (port: number): Record<string, string> => ({
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    SMTP_USERNAME: USER,
    SMTP_PASSWORD: PASSWORD,
    SMTP_USE_TLS: 'false',
    MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
    MAILCTL_BACKOFF_MIN: '1s',
  });

  for (const mode of ['plain', 'login', 'decoded'] as const) {
    describe(`${mode} echo`, () => {
      let server: EchoSmtpServer;
      beforeAll(async () => {
        server = await startEchoSmtpServer(mode);
      });
      afterAll(() => server.close());

      it.each([
        ['verify-config --connect', ['verify-config', '--connect']],
        ['verify-config --connect --json', ['verify-config', '--connect', '--json']],
        ['--debug verify-config --connect', ['--debug', 'verify-config', '--connect']],
        ['send', ['send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456']],
        ['send --json', ['send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456', '--json']],
        ['--debug send', ['--debug', 'send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456']],
      ])('%s: exit 77, the 535 reported, no credential', async (_name, args) => {
        const before = server.authLines.length;
        const r = await runCli(args, { env: envFor(server.port) });
        expect(server.authLines.length, 'the client tried to log in').toBeGreaterThan(before);
        expect(r.exitCode, r.stderr).toBe(77);
        expect(r.stdout + r.stderr).toContain('535');
        expectNoLeak(r.stdout, 'stdout', server.authLines);
        expectNoLeak(r.stderr, 'stderr', server.authLines);
      });

      it.skipIf(!redisAvailable())(
        'Redis spool: drain, the job data in Redis and queue list --json hold no credential',
        async () => {
          const redis = await startRedis();
          try {
            const env = { ...envFor(server.port), MAILCTL_SPOOL_URL: redis.url };
            const cwd = tempDir();
            const enq = await runCli(['enqueue', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'], {
              cwd,
              env,
            });
            expect(enq.exitCode, enq.stderr).toBe(0);
            const before = server.authLines.length;
            const r = await runCli(['drain'], { cwd, env });
            expect(server.authLines.length, 'the drain tried to log in').toBeGreaterThan(before);
            expect(r.exitCode, r.stderr).toBe(0);
            expectNoLeak(r.stdout + r.stderr, 'drain', server.authLines);
            // Everything Redis holds: job data, failed reasons, logs.
            const stored = redis
              .cli('--scan')
              .split('\n')
              .filter(Boolean)
              .map((key) => {
                const type = redis.cli('TYPE', key).trim();
                if (type === 'hash') return redis.cli('HGETALL', key);
                if (type === 'string') return redis.cli('GET', key);
                if (type === 'list') return redis.cli('LRANGE', key, '0', '-1');
                if (type === 'zset') return redis.cli('ZRANGE', key, '0', '-1');
                return '';
              })
              .join('\n');
            expect(stored, 'the job records the refusal').toContain('535');
            expectNoLeak(stored, 'Redis', server.authLines);
            const list = await runCli(['queue', 'list', '--json'], { cwd, env });
            expect(list.stdout).toContain('535');
            expectNoLeak(list.stdout, 'queue list --json', server.authLines);
          } finally {
            await redis.stop();
          }
        },
      );

      it('drain: stderr, the job file on disk and queue list --json hold no credential', async () => {
        const cwd = tempDir();
        const env = envFor(server.port);
        const enq = await runCli(['enqueue', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'], {
          cwd,
          env,
        });
        expect(enq.exitCode, enq.stderr).toBe(0);
        for (const args of [['drain'], ['--debug', 'drain', '--flush', '--json']]) {
          const before = server.authLines.length;
          const r = await runCli(args, { cwd, env });
          expect(server.authLines.length, 'the drain tried to log in').toBeGreaterThan(before);
          expect(r.exitCode, r.stderr).toBe(0);
          expect(r.stdout + r.stderr).toMatch(/deferred/);
          expectNoLeak(r.stdout, `${args.join(' ')} stdout`, server.authLines);
          expectNoLeak(r.stderr, `${args.join(' ')} stderr`, server.authLines);
        }
        const files = filesUnder(join(cwd, '.mailctl', 'spool')).filter((f) => f.endsWith('.json'));
        expect(files.length).toBeGreaterThan(0);
        const onDisk = files.map((f) => readFileSync(f, 'utf8')).join('\n');
        expect(onDisk, 'the job records the refusal').toContain('535');
        expectNoLeak(onDisk, 'job file', server.authLines);
        const list = await runCli(['queue', 'list', '--json'], { cwd, env });
        expect(list.exitCode, list.stderr).toBe(0);
        expect(list.stdout).toContain('535');
        expectNoLeak(list.stdout, 'queue list --json', server.authLines);
      });
    });
  }
});

describe('OAuth2 secrets: the client secret, the refresh token and every access token', () => {
  const USER = 'no-reply@contoso.example';
  const CLIENT_SECRET = 'cs~Leak-Test-Secret-5e6f';
  const REFRESH_TOKEN = 'rt-Leak-Test-Refresh-7a8b';
  let endpoint: TokenEndpoint;
  beforeAll(async () => {
    endpoint = await startTokenEndpoint({
      clientId: 'app-0001',
      clientSecret: CLIENT_SECRET,
      refreshToken: REFRESH_TOKEN,
    });
  });
  afterAll(() => endpoint.close());

  /** Every form of every secret, and every base64 word that went over the wire in AUTH. */
  const leaks = (authLines: readonly string[]): string[] => [
    ...[CLIENT_SECRET, REFRESH_TOKEN, ...endpoint.issued].flatMap((s) => oauth2SecretForms(s, USER)),
    ...authLines.flatMap((l) => l.split(' ')).filter((w) => w.length >= 16),
  ];
  const expectNoLeak = (text: string, where: string, authLines: readonly string[]): void => {
    for (const form of leaks(authLines)) expect(text.includes(form), `${where} contains ${form}`).toBe(false);
  };
  const envFor = (port: number, refresh: boolean): Record<string, string> => ({
    MAIL_TYPE: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    SMTP_USE_TLS: 'true',
    SMTP_TLS_VERIFY: 'false',
    SMTP_AUTH_METHOD: 'oauth2',
    SMTP_USERNAME: USER,
    SMTP_OAUTH2_TOKEN_URL: endpoint.url,
    SMTP_OAUTH2_CLIENT_ID: 'app-0001',
    SMTP_OAUTH2_CLIENT_SECRET: CLIENT_SECRET,
    ...(refresh ? { SMTP_OAUTH2_REFRESH_TOKEN: REFRESH_TOKEN } : {}),
    MAIL_DEFAULT_SEND_FROM: `App <${USER}>`,
    MAILCTL_BACKOFF_MIN: '1s',
  });

  for (const mode of ['xoauth2', 'xoauth2-decoded'] as const) {
    describe(`a server that echoes the ${mode === 'xoauth2' ? 'XOAUTH2 string' : 'bearer token'}`, () => {
      let server: EchoSmtpServer;
      beforeAll(async () => {
        server = await startEchoSmtpServer(mode, await selfSignedCert());
      });
      afterAll(() => server.close());

      it.each([
        ['verify-config', ['verify-config'], 0],
        ['--debug verify-config --json', ['--debug', 'verify-config', '--json'], 0],
        ['verify-config --connect', ['verify-config', '--connect'], 77],
        ['--debug verify-config --connect --json', ['--debug', 'verify-config', '--connect', '--json'], 77],
        ['--debug send', ['--debug', 'send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'], 77],
        ['send --json', ['send', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456', '--json'], 77],
      ] as const)('%s: no secret in any form', async (_name, args, exit) => {
        for (const refresh of [false, true]) {
          const r = await runCli(args, { env: envFor(server.port, refresh) });
          expect(r.exitCode, r.stderr).toBe(exit);
          if (exit === 77) expect(r.stdout + r.stderr).toContain('535');
          expectNoLeak(r.stdout, 'stdout', server.authLines);
          expectNoLeak(r.stderr, 'stderr', server.authLines);
        }
      });

      it('drain: stderr, the job file on disk and queue list --json hold no secret', async () => {
        const cwd = tempDir();
        const env = envFor(server.port, true);
        const enq = await runCli(['enqueue', 'reset-password', '--to', 'ops@example.com', '--var', 'code=123456'], {
          cwd,
          env,
        });
        expect(enq.exitCode, enq.stderr).toBe(0);
        const r = await runCli(['--debug', 'drain', '--json'], { cwd, env });
        expect(r.exitCode, r.stderr).toBe(0);
        expectNoLeak(r.stdout + r.stderr, 'drain', server.authLines);
        const onDisk = filesUnder(join(cwd, '.mailctl', 'spool'))
          .map((f) => readFileSync(f, 'latin1'))
          .join('\n');
        expect(onDisk, 'the job records the refusal').toContain('535');
        expectNoLeak(onDisk, 'job file', server.authLines);
        const list = await runCli(['queue', 'list', '--json'], { cwd, env });
        expectNoLeak(list.stdout, 'queue list --json', server.authLines);
      });
    });
  }
});
