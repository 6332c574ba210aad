/**
 * One verdict for white-label mail without a product name: BRANDING_ENABLED=yes without
 * APPLICATION_TITLE is a verify-config error (78), and every sending path refuses it the same way
 * (78, the same sentence, nothing written or sent). Preview alone shows a sample title, with a warning.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';

const BRAND = { BRANDING_ENABLED: 'yes' };
const VERDICT = /BRANDING_ENABLED is on but APPLICATION_TITLE is not set/;
const dirs: string[] = [];
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-brand-');
  dirs.push(d);
  return d;
}
const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

describe('BRANDING_ENABLED without APPLICATION_TITLE', () => {
  it('verify-config: an error naming APPLICATION_TITLE, exit 78', async () => {
    const r = await runCli(['verify-config', '--json'], { env: BRAND });
    expect(r.exitCode).toBe(78);
    const json = JSON.parse(r.stdout) as { ok: boolean; problems: { key: string; severity: string }[] };
    expect(json.ok).toBe(false);
    expect(json.problems).toContainEqual(expect.objectContaining({ key: 'APPLICATION_TITLE', severity: 'error' }));
  });

  const sendingPaths: [string, string[], Record<string, string>][] = [
    ['send (file provider)', ['send', 'reset-password', '--to', 'a@example.com'], {}],
    [
      'send (smtp)',
      ['send', 'reset-password', '--to', 'a@example.com'],
      { MAIL_TYPE: 'smtp', SMTP_SERVER: '127.0.0.1', SMTP_PORT: '0', MAIL_DEFAULT_SEND_FROM: 'n@example.com' },
    ],
    ['enqueue', ['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=123456'], {}],
  ];
  it.each(sendingPaths)('%s refuses with 78 and writes or sends nothing', async (_name, args, env) => {
    const dir = cwd();
    const before = smtp.calls.connect;
    const e: Record<string, string> = { ...BRAND, ...env };
    if (e.SMTP_PORT === '0') e.SMTP_PORT = String(smtp.port);
    const r = await runCli(args, { cwd: dir, env: e });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(VERDICT);
    expect(r.stdout).toBe('');
    expect(list(join(dir, '.mailctl', 'outbox'))).toEqual([]);
    expect(list(join(dir, '.mailctl', 'spool', 'incoming'))).toEqual([]);
    expect(smtp.calls.connect).toBe(before);
  });

  it('drain refuses with 78 and leaves the queued job untouched', async () => {
    const dir = cwd();
    const q = await runCli(['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=123456'], {
      cwd: dir,
    });
    expect(q.exitCode).toBe(0);
    const r = await runCli(['drain'], { cwd: dir, env: BRAND });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toMatch(VERDICT);
    expect(list(join(dir, '.mailctl', 'spool', 'incoming'))).toHaveLength(1);
    expect(list(join(dir, '.mailctl', 'outbox'))).toEqual([]);
  });

  it('the library enqueue() throws the same 78', async () => {
    const { enqueue } = (await import(join(ROOT, 'dist', 'index.js'))) as typeof import('../../../src/index.js');
    const dir = cwd();
    await expect(
      enqueue({ type: 'reset-password', to: 'a@example.com', vars: { code: '123456' }, cwd: dir, env: BRAND }),
    ).rejects.toMatchObject({ exitCode: 78, message: expect.stringMatching(VERDICT) as unknown });
    expect(list(join(dir, '.mailctl', 'spool', 'incoming'))).toEqual([]);
  });

  it('preview shows a sample title with a warning, exit 0', async () => {
    const r = await runCli(['preview', 'reset-password', '--format', 'text'], { env: BRAND });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/APPLICATION_TITLE is not set; previewing white-label mail as "Acme Cloud"/);
    expect(r.stdout).toContain('Acme Cloud');
  });
});
