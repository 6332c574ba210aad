// `templates check` on copies of templates/ and locales/: the real files are never modified.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTemplates } from '../../../src/templates/check.js';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { defaultDirs, discoverLanguages } from '../../../src/templates/store.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function copyTree(): { templatesDir: string; localesDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mailctl-check-'));
  made.push(dir);
  const { templatesDir, localesDir } = defaultDirs();
  cpSync(templatesDir, join(dir, 'templates'), { recursive: true });
  cpSync(localesDir, join(dir, 'locales'), { recursive: true });
  return { templatesDir: join(dir, 'templates'), localesDir: join(dir, 'locales') };
}

function editJson(file: string, edit: (data: Record<string, unknown>) => void): void {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(data);
  writeFileSync(file, JSON.stringify(data));
}

const messages = (r: { problems: { message: string }[] }): string[] => r.problems.map((p) => p.message);

describe('checkTemplates', () => {
  it('passes on the real tree: every type × every language folder × 3 brands', async () => {
    const r = await checkTemplates(defaultDirs());
    expect(r.problems).toEqual([]);
    const languages = discoverLanguages(defaultDirs().localesDir);
    expect(languages).toEqual(expect.arrayContaining(['en-US', 'ja-JP', 'zh-CN']));
    expect(r).toMatchObject({
      ok: true,
      types: MAIL_TYPE_DEFS.length,
      languages,
      rendered: MAIL_TYPE_DEFS.length * languages.length * 3,
    });
  });

  it('catches a deleted locale key, naming language, namespace and key', async () => {
    const dirs = copyTree();
    editJson(join(dirs.localesDir, 'zh-CN', 'reset-password.json'), (d) => delete d.intro);
    const r = await checkTemplates(dirs);
    expect(r.ok).toBe(false);
    expect(messages(r)).toContain('missing locale key zh-CN/reset-password:intro');
    expect(r.problems.find((p) => p.message.includes('missing locale key'))).toMatchObject({
      lang: 'zh-CN',
      type: 'reset-password',
    });
  });

  it('catches an unused key, an undeclared variable, a Python-style placeholder and a missing subject', async () => {
    const dirs = copyTree();
    editJson(join(dirs.localesDir, 'en-US', 'invite-member.json'), (d) => {
      d.leftover = 'nobody uses me';
      d.intro = 'Hello {{recipient}}, {inviter_name} invited you.';
    });
    editJson(join(dirs.localesDir, 'zh-CN', 'email-register.json'), (d) => delete d.subject);
    const r = await checkTemplates(dirs);
    const all = messages(r);
    expect(all).toContain('unused locale key en-US/invite-member:leftover (no template refers to it)');
    expect(all).toContain(
      'locale key en-US/invite-member:intro uses {{recipient}}, which invite-member does not declare',
    );
    expect(all).toContain('locale key en-US/invite-member:intro has {inviter_name}; write variables as {{name}}');
    expect(all).toContain('missing locale key zh-CN/email-register:subject');
  });

  it('catches MJML that strict validation refuses, and a default product name in white-label mail', async () => {
    const dirs = copyTree();
    const body = join(dirs.templatesDir, 'email-code-login.mjml');
    writeFileSync(
      body,
      readFileSync(body, 'utf8').replace('<mj-text mj-class="heading">', '<mj-text mj-class="heading" colour="red">'),
    );
    const other = join(dirs.templatesDir, 'change-email-new.mjml');
    writeFileSync(other, `${readFileSync(other, 'utf8')}<mj-text>Powered by Dify</mj-text>\n`);
    const r = await checkTemplates(dirs);
    const all = r.problems.map((p) => `${p.type} ${p.brand ?? ''} ${p.message}`);
    expect(all.some((m) => m.startsWith('email-code-login') && /MJML \(logo\):.*colour/.test(m))).toBe(true);
    expect(all).toContain('change-email-new white-label white-label html names the default product ("Dify")');
    expect(all).toContain('change-email-new white-label white-label text names the default product ("Dify")');
    // A strict failure still compiles softly: the type's keys are not all reported unused.
    expect(all.filter((m) => m.includes('unused locale key'))).toEqual([]);
  });

  it('catches an unrendered marker and a locale file that belongs to no type', async () => {
    const dirs = copyTree();
    const body = join(dirs.templatesDir, 'reset-password.mjml');
    writeFileSync(body, `${readFileSync(body, 'utf8')}<mj-text>{{code}} and {code}</mj-text>\n`);
    writeFileSync(join(dirs.localesDir, 'zh-CN', 'old-type.json'), '{}');
    const r = await checkTemplates(dirs);
    const all = messages(r);
    expect(all).toContain('unrendered markers in html: {{ }} {code}');
    expect(all).toContain('locale file zh-CN/old-type.json belongs to no mail type (unused)');
  });
});
