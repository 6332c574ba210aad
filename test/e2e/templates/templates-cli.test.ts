import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { copyPackage } from '../../helpers/package-copy.js';
import { checkPassedLine, LANGUAGES, languagesWith } from '../../helpers/catalog.js';

// templates check renders every type × language × brand (three languages now) on a shared, loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Runs a copied package's binary the way runCli runs the real one. */
function runCopy(pkg: string, args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const cwd = tempDir();
  made.push(cwd);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(pkg, 'bin', 'mailctl.js'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}

describe('mailctl templates', { timeout: 120_000 }, () => {
  it('list prints every type with category, ttl and variables', async () => {
    const r = await runCli(['templates', 'list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^TYPE +CATEGORY +PRIO +TTL +VARIABLES$/m);
    expect(r.stdout).toMatch(/^invite-member +code +1 +72h +inviter_name, workspace_name, url:url$/m);
    expect(r.stdout).toMatch(
      /^queue-monitor-alert +alert +9 +- +queue_name, queue_length:number, threshold:number, alert_time$/m,
    );
    expect(r.stdout).toContain(`languages: ${LANGUAGES.join(', ')}`);
  });

  it('list --json', async () => {
    const r = await runCli(['templates', 'list', '--json']);
    const j = JSON.parse(r.stdout) as {
      languages: string[];
      types: { type: string; ttlMs: number | null; variables: { name: string; required: boolean }[] }[];
    };
    expect(j.languages).toEqual(LANGUAGES);
    expect(j.types).toHaveLength(MAIL_TYPE_DEFS.length);
    expect(j.types.find((t) => t.type === 'reset-password')).toMatchObject({
      ttlMs: 300_000,
      security: false,
      variables: [{ name: 'code', required: true, kind: 'text' }],
    });
    expect(j.types.find((t) => t.type === 'change-email-completed')).toMatchObject({
      category: 'notification',
      security: true,
    });
  });

  it('check passes on the shipped templates (exit 0)', async () => {
    const r = await runCli(['templates', 'check']);
    expect(r.stderr).toBe('');
    const n = MAIL_TYPE_DEFS.length;
    expect(r.stdout).toBe(checkPassedLine(n, LANGUAGES));
    expect(r.exitCode).toBe(0);
  });

  it('check on a copy with a deleted locale key exits 78 naming it; --json lists it', async () => {
    const pkg = copyPackage();
    made.push(pkg);
    const file = join(pkg, 'locales', 'zh-CN', 'invite-member.json');
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    delete data.button;
    writeFileSync(file, JSON.stringify(data));
    const r = await runCopy(pkg, ['templates', 'check']);
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toContain('error invite-member / zh-CN: missing locale key zh-CN/invite-member:button');
    expect(r.stdout).toMatch(/; 1 problem\n$/);
    const j = JSON.parse((await runCopy(pkg, ['templates', 'check', '--json'])).stdout) as {
      ok: boolean;
      problems: { message: string }[];
    };
    expect(j.ok).toBe(false);
    expect(j.problems.map((p) => p.message)).toContain('missing locale key zh-CN/invite-member:button');
  });

  it('a language is added by dropping in a locales folder: listed, resolved by its short tag, checked', async () => {
    const pkg = copyPackage();
    made.push(pkg);
    cpSync(join(pkg, 'locales', 'en-US'), join(pkg, 'locales', 'ko-KR'), { recursive: true });
    const file = join(pkg, 'locales', 'ko-KR', 'reset-password.json');
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    data.subject = '{{application_title}} 비밀번호 설정';
    writeFileSync(file, JSON.stringify(data));
    expect((await runCopy(pkg, ['templates', 'list'])).stdout).toContain(
      `languages: ${languagesWith('ko-KR').join(', ')}`,
    );
    const r = await runCopy(pkg, ['preview', 'reset-password', '--lang', 'ko', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ lang: 'ko-KR', subject: 'Dify 비밀번호 설정' });
    const check = await runCopy(pkg, ['templates', 'check']);
    const n = MAIL_TYPE_DEFS.length;
    expect(check.stdout).toContain(checkPassedLine(n, languagesWith('ko-KR')));
    expect(check.exitCode).toBe(0);
  });
});
