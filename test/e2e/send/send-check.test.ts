import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

describe('mailctl send --dry-run --check', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  // Offline: an unreachable DNS server, so the DKIM check rests on the configured key.
  const env = {
    MAIL_DEFAULT_SEND_FROM: 'App <no-reply@example.com>',
    MAILCTL_DNS_SERVERS: '127.0.0.1:9',
    DKIM_DOMAIN: 'example.com',
    DKIM_SELECTOR: 's1',
    DKIM_PRIVATE_KEY: key,
  };

  it('prints the MIME message on stdout and the lint report on stderr; nothing is sent', async () => {
    const r = await runCli(
      ['send', 'email-code-login', '--to', 'ops@example.com', '--var', 'code=123456', '--dry-run', '--check'],
      { env },
    );
    expect(r.stdout).toMatch(/^Content-Type: multipart\/alternative/m);
    expect(r.stderr).toContain('mailctl check: (dry run)');
    expect(r.stderr).toMatch(/ok\s+structure/);
    expect(r.stderr).toMatch(/dkim/);
    expect(r.stderr).toMatch(/no List-Unsubscribe \(right for code mail\)/);
    expect(r.stderr).not.toContain('PRIVATE KEY');
    expect(r.exitCode).toBe(0);
  });

  it('does not ask a security notice for List-Unsubscribe', async () => {
    const r = await runCli(
      [
        'send',
        'change-email-completed',
        '--to',
        'ops@example.com',
        '--var',
        'email=ops@example.com',
        '--dry-run',
        '--check',
      ],
      { env: { ...env, MAIL_UNSUBSCRIBE_URL: 'https://example.com/u' } },
    );
    expect(r.stderr).toMatch(/right for a security notice/);
    expect(r.stderr).not.toMatch(/warning\s+unsubscribe/);
    expect(r.exitCode).toBe(0);
  });

  it('asks a notification for List-Unsubscribe when none is configured', async () => {
    const r = await runCli(['send', 'workflow-comment-mention', '--to', 'ops@example.com', '--dry-run', '--check'], {
      env,
    });
    expect(r.stderr).toMatch(/warning\s+unsubscribe\s+a notification without List-Unsubscribe/);
    expect(r.exitCode).toBe(0);
  });
});
