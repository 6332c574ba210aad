// MAILCTL_TEMPLATES_DIR through the built binary: one subject overridden, one type and one language
// added; preview, send (file provider), enqueue + drain (recompiled when a file changes), list,
// check catching broken overrides, init.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { runCli, tempDir, type CliResult } from '../../helpers/cli.js';
import { makeOperatorDir } from '../../helpers/operator-dir.js';
import { checkPassedLine, languagesWith } from '../../helpers/catalog.js';

// Each test spawns the binary several times and compiles MJML on a shared, loaded machine.
vi.setConfig({ testTimeout: 180_000 });

let cwd = '';
let dir = '';
const made: string[] = [];
const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { cwd, env: { MAILCTL_TEMPLATES_DIR: dir, ...env }, timeoutMs: 60_000 });
const NOTICE = /^mailctl: templates: compiled \d+ type\(s\) of .+ into .+\.mailctl\/compiled\/[0-9a-f]{24} in \d+ ms$/m;

beforeAll(() => {
  cwd = tempDir('mailctl-opdir-');
  made.push(cwd);
  dir = makeOperatorDir(cwd);
});
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const emlIn = (outbox: string): string[] =>
  existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')) : [];

describe('an operator template directory', () => {
  it('preview: the overridden subject, the other strings built in; compiled once with a notice', async () => {
    const first = await run(['preview', 'reset-password', '--format', 'json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(NOTICE);
    const j = JSON.parse(first.stdout) as { subject: string; text: string };
    expect(j.subject).toBe('Your Dify reset code');
    expect(j.text).toContain('Use this code to set a new password for your Dify account');
    const again = await run(['preview', 'reset-password', '--lang', 'zh-CN', '--format', 'json']);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toMatchObject({ subject: '设置您的 Dify 密码' });
  });

  it('preview: the new type in the new language, found by its short tag', async () => {
    const r = await run(['preview', 'weekly-digest', '--lang', 'ko', '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: 'weekly-digest',
      lang: 'ko-KR',
      subject: 'Dify 주간 요약',
      priority: 6,
      ttlMs: 2 * 86_400_000,
      category: 'notification',
    });
    const ko = await run(['preview', 'reset-password', '--lang', 'ko-KR', '--format', 'json']);
    expect(JSON.parse(ko.stdout)).toMatchObject({ lang: 'ko-KR', subject: 'Dify 비밀번호 설정' });
  });

  it('templates list says where each type and string comes from', async () => {
    const text = await run(['templates', 'list']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^weekly-digest +notification +6 +48h +userName, changes:number, digestUrl:url$/m);
    expect(text.stdout).toContain(
      `languages: ${languagesWith('ko-KR')
        .map((l) => (l === 'ko-KR' ? `${l} (from the directory)` : l))
        .join(', ')}`,
    );
    expect(text.stdout).toContain(`from ${dir} (MAILCTL_TEMPLATES_DIR); everything else is built in:`);
    expect(text.stdout).toContain('  reset-password: strings en-US subject; ko-KR ');
    expect(text.stdout).toContain(
      `  weekly-digest: declared in ${join(dir, 'types.yaml')}; body ${join(dir, 'weekly-digest.mjml')}; strings en-US subject, heading, intro, button;`,
    );
    const j = JSON.parse((await run(['templates', 'list', '--json'])).stdout) as {
      templatesDir: string;
      layout: string;
      languages: string[];
      languagesFromDir: string[];
      types: { type: string; source: { type: string; body: string; strings: Record<string, string[]> } }[];
    };
    expect(j).toMatchObject({ templatesDir: dir, layout: 'built-in', languages: languagesWith('ko-KR') });
    expect(j.types).toHaveLength(MAIL_TYPE_DEFS.length + 1);
    expect(j.types.find((t) => t.type === 'reset-password')!.source).toMatchObject({
      type: 'built-in',
      body: 'built-in',
      strings: { 'en-US': ['subject'] },
    });
    expect(j.types.find((t) => t.type === 'weekly-digest')!.source).toMatchObject({
      type: join(dir, 'types.yaml'),
      body: join(dir, 'weekly-digest.mjml'),
    });
    expect(j.types.find((t) => t.type === 'invite-member')!.source).toEqual({
      type: 'built-in',
      body: 'built-in',
      strings: expect.objectContaining({}),
    });
  });

  it('send with the file provider writes the new type', async () => {
    const outbox = join(cwd, 'outbox-send');
    const r = await run(
      [
        'send',
        'weekly-digest',
        '--to',
        'ana@example.com',
        '--var',
        'userName=Ana',
        '--var',
        'changes=3',
        '--var',
        'digestUrl=https://console.example.com/d/1',
      ],
      {
        MAILCTL_OUTBOX_DIR: outbox,
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const [file] = emlIn(outbox);
    const eml = readFileSync(join(outbox, file!), 'utf8');
    expect(eml).toContain('Subject: Your week on Dify');
    expect(eml).toContain('Hello Ana, 3 things changed in your workspace.');
  });

  it('enqueue + drain deliver it; an edit between them is recompiled, never sent stale', async () => {
    const outbox = join(cwd, 'outbox-drain');
    const env = { MAILCTL_OUTBOX_DIR: outbox };
    // A declared required variable is required: nothing is queued without it.
    const q = await run(['enqueue', 'weekly-digest', '--to', 'ana@example.com'], env);
    expect(q.exitCode).toBe(65);
    expect(q.stderr).toContain('missing template variables "userName", "changes", "digestUrl" for weekly-digest');
    const ok = await run(
      [
        'enqueue',
        'weekly-digest',
        '--to',
        'ana@example.com',
        '--var',
        'userName=Ana',
        '--var',
        'changes=7',
        '--var',
        'digestUrl=https://console.example.com/d/2',
      ],
      env,
    );
    expect(ok.exitCode, ok.stderr).toBe(0);
    const job = JSON.parse(readFileSync(ok.stdout.trim().split(' ').pop()!, 'utf8')) as {
      priority: number;
      expiresAt: string;
      createdAt: string;
    };
    expect(job.priority).toBe(6);
    expect(Date.parse(job.expiresAt) - Date.parse(job.createdAt)).toBe(2 * 86_400_000);

    // The body changes after the job was queued: the drain compiles the new one first.
    const body = join(dir, 'weekly-digest.mjml');
    const before = readFileSync(body, 'utf8');
    writeFileSync(body, `${before}<mj-text>Edited after enqueue.</mj-text>\n`);
    try {
      const d = await run(['drain', '--json'], env);
      expect(d.exitCode, d.stderr).toBe(0);
      expect(d.stderr).toMatch(NOTICE);
      expect(JSON.parse(d.stdout)).toMatchObject({ delivered: 1 });
      const [file] = emlIn(outbox);
      const eml = readFileSync(join(outbox, file!), 'utf8');
      expect(eml).toContain('Hello Ana, 7 things changed in your workspace.');
      expect(eml).toContain('Edited after enqueue.');
    } finally {
      writeFileSync(body, before);
    }
  });

  it("templates check passes on the directory, and names the operator's file for a broken override", async () => {
    const ok = await run(['templates', 'check']);
    const n = MAIL_TYPE_DEFS.length + 1;
    expect(ok.stdout).toBe(checkPassedLine(n, languagesWith('ko-KR')));
    expect(ok.exitCode).toBe(0);

    const broken = makeOperatorDir(tempDir('mailctl-opdir-broken-'));
    made.push(join(broken, '..'));
    const mjml = join(broken, 'reset-password.mjml');
    writeFileSync(
      mjml,
      '<mj-text mj-class="heading" colour="red">%%t:heading%%</mj-text>\n<mj-text>%%v:code%%</mj-text>\n',
    );
    const locale = join(broken, 'locales', 'en-US', 'reset-password.json');
    writeFileSync(locale, '{ "subject": "Reset for {{user}}" }\n');
    const r = await runCli(['templates', 'check'], { cwd, env: { MAILCTL_TEMPLATES_DIR: broken }, timeoutMs: 60_000 });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toMatch(
      new RegExp(
        `error reset-password: MJML \\(logo\\): <mj-text> line 1: .*colour.* \\(${mjml.replace(/[.]/g, '\\.')}\\)`,
      ),
    );
    expect(r.stdout).toContain(
      `error reset-password / en-US: locale key en-US/reset-password:subject uses {{user}}, which reset-password does not declare (${locale})`,
    );
    const j = JSON.parse(
      (
        await runCli(['templates', 'check', '--json'], {
          cwd,
          env: { MAILCTL_TEMPLATES_DIR: broken },
          timeoutMs: 60_000,
        })
      ).stdout,
    ) as { problems: { file: string; message: string }[] };
    expect(j.problems.find((p) => p.message.includes('{{user}}'))!.file).toBe(locale);

    // Sending from the broken directory stops with 78 naming the file; nothing is written.
    const send = await runCli(['send', 'reset-password', '--to', 'a@example.com'], {
      cwd,
      env: { MAILCTL_TEMPLATES_DIR: broken, MAILCTL_OUTBOX_DIR: join(cwd, 'never') },
      timeoutMs: 60_000,
    });
    expect(send.exitCode).toBe(78);
    expect(send.stderr).toContain(`mailctl: ${mjml}: MJML <mj-text> line 1:`);
    expect(existsSync(join(cwd, 'never'))).toBe(false);
  });

  it('a types file with a mistake is a 78 naming file and line, for every command', async () => {
    const bad = makeOperatorDir(tempDir('mailctl-opdir-types-'));
    made.push(join(bad, '..'));
    writeFileSync(
      join(bad, 'types.yaml'),
      `types:\n  - id: weekly-digest\n    description: x\n    category: newsletter\n    priority: 5\n`,
    );
    const r = await runCli(['enqueue', 'weekly-digest', '--to', 'a@example.com'], {
      cwd,
      env: { MAILCTL_TEMPLATES_DIR: bad },
      timeoutMs: 60_000,
    });
    expect(r.exitCode).toBe(78);
    expect(r.stderr.split('\n')[0]).toBe(
      `mailctl: ${join(bad, 'types.yaml')}:4: category must be one of code, notification, alert`,
    );
    const check = await runCli(['templates', 'check'], { cwd, env: { MAILCTL_TEMPLATES_DIR: bad }, timeoutMs: 60_000 });
    expect(check.exitCode).toBe(78);
    expect(check.stdout).toContain(
      `error ${join(bad, 'types.yaml')}:4: category must be one of code, notification, alert`,
    );
    const missing = await runCli(['preview', 'reset-password'], {
      cwd,
      env: { MAILCTL_TEMPLATES_DIR: join(cwd, 'nope') },
    });
    expect(missing.exitCode).toBe(78);
    expect(missing.stderr).toContain(`mailctl: MAILCTL_TEMPLATES_DIR ${join(cwd, 'nope')} is not a directory`);
  });
});

describe('mailctl templates init', () => {
  it('--from copies a built-in type and prints the next commands; the copy checks clean', async () => {
    const home = tempDir('mailctl-init-');
    made.push(home);
    const r = await runCli(['templates', 'init', 'tpl', '--from', 'reset-password'], { cwd: home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `created ${join(home, 'tpl')}:\n  reset-password.mjml\n  locales/en-US/reset-password.json\n`,
    );
    expect(r.stdout).toContain(`  export MAILCTL_TEMPLATES_DIR=${join(home, 'tpl')}\n`);
    expect(r.stdout).toContain('  mailctl preview reset-password --lang zh-CN --open');
    const again = await runCli(['templates', 'init', 'tpl'], { cwd: home });
    expect(again.exitCode).toBe(73);
    expect(again.stderr).toContain(`mailctl: ${join(home, 'tpl')} exists and is not empty`);
  });

  it('without --from writes a new type that previews in zh-CN and passes check', async () => {
    const home = tempDir('mailctl-init-new-');
    made.push(home);
    const r = await runCli(['templates', 'init'], { cwd: home });
    expect(r.exitCode, r.stderr).toBe(0);
    const env = { MAILCTL_TEMPLATES_DIR: join(home, 'mail-templates') };
    const p = await runCli(['preview', 'welcome-note', '--lang', 'zh-CN', '--format', 'json'], {
      cwd: home,
      env,
      timeoutMs: 60_000,
    });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ subject: '欢迎加入 Dify，Ana Lima' });
    const c = await runCli(['templates', 'check'], { cwd: home, env, timeoutMs: 60_000 });
    expect(c.stdout).toMatch(/^ok /);
    expect(c.exitCode).toBe(0);
    const bad = await runCli(['templates', 'init', 'x', '--from', 'no-such-type'], { cwd: home });
    expect(bad.exitCode).toBe(64);
  });
});
