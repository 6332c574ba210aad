/**
 * The library export, as a Node application imports it: `import { enqueue } from 'mailctl'`
 * resolves through package.json "exports" to the built dist/index.js, writes the same job as
 * `mailctl enqueue`, and refuses bad input with the contract's exit code and nothing written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';
import { makeOperatorDir } from '../../helpers/operator-dir.js';

function runNode(
  code: string,
  extraEnv: Record<string, string> = {},
  timeout = 20_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...extraEnv },
    timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("import { enqueue } from 'mailctl'", () => {
  it('writes a job that drain delivers', async () => {
    const cwd = tempDir();
    const spool = join(cwd, 'spool');
    const r = runNode(`
      import { enqueue } from 'mailctl';
      const job = await enqueue({ type: 'invite-member', to: 'new@example.com', lang: 'zh-CN',
        vars: { inviter_name: 'Ana', workspace_name: 'Acme', url: 'https://console.example.com/activate?token=t' },
        env: { MAILCTL_SPOOL_DIR: ${JSON.stringify(spool)} } });
      console.log(JSON.stringify(job));`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const job = JSON.parse(r.stdout) as {
      id: string;
      path: string;
      messageId: string;
      priority: number;
      expiresAt: string;
    };
    expect(job).toMatchObject({ priority: 1, messageId: `<${job.id.toLowerCase()}@localhost>` });
    expect(job.path).toBe(join(spool, 'incoming', readdirSync(join(spool, 'incoming'))[0]!));

    const d = await runCli(['drain', '--spool', spool, '--json'], { cwd });
    expect(JSON.parse(d.stdout)).toMatchObject({ delivered: 1 });
  });

  it('throws a MailctlError with the exit code, and writes nothing', () => {
    const cwd = tempDir();
    const r = runNode(`
      import { enqueue, MailctlError } from 'mailctl';
      for (const bad of [{ type: 'nope', to: 'a@example.com' }, { type: 'reset-password', to: 'not an address', vars: { code: '1' } }, { type: 'reset-password', to: 'a@example.com' }]) {
        try { await enqueue({ ...bad, cwd: ${JSON.stringify(cwd)} }); console.log('written'); }
        catch (e) { console.log(e instanceof MailctlError, e.exitCode); }
      }`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['true 64', 'true 65', 'true 65']);
    expect(
      existsSync(join(cwd, '.mailctl/spool/incoming')) ? readdirSync(join(cwd, '.mailctl/spool/incoming')) : [],
    ).toEqual([]);
  });

  it("reads the application's environment by default, as the CLI does; env: {} opts out", () => {
    const cwd = tempDir();
    const spool = join(cwd, 'srv-spool');
    const code = (extra: string) => `
      import { enqueue } from 'mailctl';
      const job = await enqueue({ type: 'reset-password', to: 'a@example.com', vars: { code: '123456' },
        cwd: ${JSON.stringify(cwd)}${extra} });
      console.log(job.path);`;
    const r = runNode(code(''), { MAILCTL_SPOOL_DIR: spool });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(join(spool, 'incoming', readdirSync(join(spool, 'incoming'))[0]!));

    const own = runNode(code(', env: {}'), { MAILCTL_SPOOL_DIR: spool });
    expect(own.stderr).toBe('');
    expect(own.stdout.trim().startsWith(join(cwd, '.mailctl', 'spool', 'incoming'))).toBe(true);
  });
});

describe("enqueue() with MAILCTL_TEMPLATES_DIR: the same merged catalog as the CLI's", () => {
  it("queues the directory's own type (compiled on first use, the notice through `log`), and drain delivers it", async () => {
    const cwd = tempDir('mailctl-lib-dir-');
    const dir = makeOperatorDir(cwd);
    const env = {
      MAILCTL_SPOOL_DIR: join(cwd, 'spool'),
      MAILCTL_TEMPLATES_DIR: dir,
      MAILCTL_OUTBOX_DIR: join(cwd, 'out'),
    };
    const r = runNode(
      `
      import { enqueue } from 'mailctl';
      const lines = [];
      const job = await enqueue({ type: 'weekly-digest', to: 'ana@example.com', lang: 'ko',
        vars: { userName: 'Ana', changes: 4, digestUrl: 'https://console.example.com/d' },
        env: ${JSON.stringify(env)}, cwd: ${JSON.stringify(cwd)}, log: (l) => lines.push(l) });
      console.log(JSON.stringify({ priority: job.priority, lines }));`,
      {},
      60_000,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { priority: number; lines: string[] };
    expect(out.priority).toBe(6);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^mailctl: templates: compiled 1 type\(s\) of .+ in \d+ ms$/);
    const d = await runCli(['drain', '--json'], { cwd, env, timeoutMs: 60_000 });
    expect(d.exitCode, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ delivered: 1 });
    const [eml] = readdirSync(join(cwd, 'out'));
    expect(readFileSync(join(cwd, 'out', eml!), 'utf8')).toContain('Subject: =?UTF-8?');
  }, 120_000);
});
