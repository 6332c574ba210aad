/**
 * `--env-file PATH` on every command: a Dify `.env` (comments, quotes as Docker writes them) read
 * beneath the real environment, named as each value's source; the mistakes a hand-edited `.env`
 * carries (whitespace, CR, doubled quotes, placeholders) are warned about; SMTP_PORT unset takes
 * the TLS mode's standard port and says so; a missing or unreadable file is a one-line error.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dirWith(envText: string): string {
  const d = tempDir('mailctl-envfile-');
  dirs.push(d);
  writeFileSync(join(d, '.env'), envText);
  return d;
}

interface Problem {
  key: string;
  severity: string;
  message: string;
  source: string;
  hint?: string;
}
async function problemsOf(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Problem[]> {
  const r = await runCli(['verify-config', '--json', ...args], { cwd, env });
  return (JSON.parse(r.stdout) as { problems: Problem[] }).problems;
}

// The shape of Dify's docker/.env: comments, blank lines, quoted values, inline comments.
const DIFY_ENV = [
  '# ------------------------------',
  '# Mail configuration',
  '# ------------------------------',
  '',
  'MAIL_TYPE=smtp',
  'MAIL_DEFAULT_SEND_FROM="Acme <no-reply@acme.example>"   # the sender',
  "SMTP_SERVER='smtp.acme.example'",
  'SMTP_PORT=587',
  'SMTP_USERNAME=',
  'SMTP_PASSWORD=',
  'SMTP_USE_TLS=true',
  'SMTP_OPPORTUNISTIC_TLS=true',
  'RESEND_API_URL=https://api.resend.com',
  '',
].join('\n');

describe('--env-file', () => {
  it("reads a Dify .env unchanged and names `env-file PATH` as each value's source", async () => {
    const cwd = dirWith(DIFY_ENV);
    const r = await runCli(['--env-file', '.env', 'verify-config', '--debug'], { cwd });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('config: SMTP_SERVER="smtp.acme.example" [env-file .env (SMTP_SERVER)]');
    expect(r.stderr).toContain(
      'config: MAIL_DEFAULT_SEND_FROM="Acme <no-reply@acme.example>" [env-file .env (MAIL_DEFAULT_SEND_FROM)]',
    );
    expect(r.stderr).toContain('config: SMTP_PORT=587 [env-file .env (SMTP_PORT)]');
    expect(r.stdout).toContain('smtp smtp.acme.example:587 (STARTTLS');
  });

  it('lies beneath the real environment', async () => {
    const cwd = dirWith(DIFY_ENV);
    const r = await runCli(['verify-config', '--debug', '--env-file', '.env'], {
      cwd,
      env: { SMTP_SERVER: 'relay.internal' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('config: SMTP_SERVER="relay.internal" [env SMTP_SERVER]');
    expect(r.stderr).toContain('[env-file .env (SMTP_PORT)]');
  });

  it('works on every command: send, enqueue, queue status, preview', async () => {
    const cwd = dirWith(
      'MAILCTL_OUTBOX_DIR=out\nMAILCTL_SPOOL_DIR=sp\nBRANDING_ENABLED=yes\nAPPLICATION_TITLE="Acme Cloud"\n',
    );
    const send = await runCli(['send', 'reset-password', '--to', 'a@example.com', '--env-file', '.env'], { cwd });
    expect(send.exitCode).toBe(0);
    expect(readdirSync(join(cwd, 'out'))).toHaveLength(1);
    const q = await runCli(
      ['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=1', '--env-file', '.env'],
      {
        cwd,
      },
    );
    expect(q.exitCode).toBe(0);
    const status = await runCli(['queue', 'status', '--json', '--env-file', '.env'], { cwd });
    expect(JSON.parse(status.stdout)).toMatchObject({ incoming: 1 });
    const preview = await runCli(['preview', 'reset-password', '--format', 'text', '--env-file', '.env'], { cwd });
    expect(preview.stdout).toContain('Acme Cloud');
  });

  it('trims whitespace and a trailing CR with a warning naming the key; the value then works', async () => {
    const cwd = dirWith("MAIL_TYPE=smtp\nSMTP_SERVER='localhost '\nSMTP_PORT=2525\n");
    const problems = await problemsOf(['--env-file', '.env'], cwd, {
      MAIL_DEFAULT_SEND_FROM: 'no-reply@example.com\r',
    });
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: 'SMTP_SERVER',
        severity: 'warning',
        message: 'SMTP_SERVER has surrounding whitespace; it was trimmed',
        source: 'env-file .env (SMTP_SERVER)',
      }),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: 'MAIL_DEFAULT_SEND_FROM',
        severity: 'warning',
        message: 'MAIL_DEFAULT_SEND_FROM has a trailing carriage return (CRLF line ending); it was trimmed',
      }),
    );
    // Trimmed, the sender is valid: no "invalid sender" error.
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('an extra pair of quotes gets a hint; placeholders of the example .env are warnings', async () => {
    const cwd = dirWith(
      `MAIL_TYPE=resend\nMAIL_DEFAULT_SEND_FROM=no-reply@example.com\nRESEND_API_KEY=your-resend-api-key\nAPPLICATION_TITLE="'Acme'"\n`,
    );
    const problems = await problemsOf(['--env-file', '.env'], cwd);
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: 'APPLICATION_TITLE',
        severity: 'warning',
        message: expect.stringMatching(/extra pair of quotes/) as unknown,
        hint: expect.stringMatching(/one pair of quotes, or none/) as unknown,
      }),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: 'RESEND_API_KEY',
        severity: 'warning',
        message: 'RESEND_API_KEY still holds a placeholder value from an example file',
      }),
    );
    const sg = await problemsOf([], cwd, { MAIL_TYPE: 'sendgrid', SENDGRID_API_KEY: 'your-sendgrid-api-key' });
    expect(sg).toContainEqual(
      expect.objectContaining({ key: 'SENDGRID_API_KEY', message: expect.stringMatching(/placeholder/) as unknown }),
    );
  });

  it.each([
    ['implicit TLS', { SMTP_USE_TLS: 'true' }, 465],
    ['STARTTLS', { SMTP_USE_TLS: 'true', SMTP_OPPORTUNISTIC_TLS: 'true' }, 587],
    ['plain SMTP', {}, 25],
  ] as const)('SMTP_PORT unset with %s takes the standard port and says so', async (mode, tls, port) => {
    const cwd = dirWith('');
    const r = await runCli(['verify-config', '--json'], {
      cwd,
      env: { MAIL_TYPE: 'smtp', SMTP_SERVER: 'smtp.example.com', MAIL_DEFAULT_SEND_FROM: 'a@example.com', ...tls },
    });
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as { ok: boolean; problems: Problem[] };
    expect(json.ok).toBe(true);
    expect(json.problems).toContainEqual(
      expect.objectContaining({
        key: 'SMTP_PORT',
        severity: 'warning',
        message: `SMTP_PORT is not set: using ${port}, the standard port for ${mode}`,
      }),
    );
  });

  it('a missing file is a configuration error (78), one line and a hint', async () => {
    const r = await runCli(['queue', 'status', '--env-file', 'nowhere/.env']);
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toBe(
      'mailctl: --env-file nowhere/.env does not exist\nhint: check the path (relative paths start at the working directory)\n',
    );
    expect(r.stdout).toBe('');
  });

  it('an unreadable file is permission denied (77), as a non-root user sees it', async () => {
    const cwd = tempDir('mailctl-envfile-');
    dirs.push(cwd);
    chmodSync(cwd, 0o755);
    mkdirSync(join(cwd, 'home'), { mode: 0o777 });
    writeFileSync(join(cwd, 'secret.env'), 'SMTP_PASSWORD=x\n', { mode: 0o600 });
    if (process.getuid?.() !== 0) {
      console.log('skipped: needs root to run the binary as uid 65534 against a root-owned 0600 file');
      return;
    }
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--', BIN, 'verify-config', '--env-file', 'secret.env'], {
        cwd,
        uid: 65534,
        gid: 65534,
        env: { PATH: process.env.PATH ?? '', HOME: join(cwd, 'home'), NO_COLOR: '1' },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(r.stderr).toMatch(/^mailctl: permission denied on the --env-file secret\.env \(EACCES\)\nhint: /);
    expect(r.code).toBe(77);
  });
});
