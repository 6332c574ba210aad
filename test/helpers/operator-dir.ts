/**
 * An operator's template directory for tests (MAILCTL_TEMPLATES_DIR): one subject overridden
 * (reset-password, en-US, a two-line locale file), one type added (weekly-digest, declared in
 * types.yaml), one language added (ko-KR: the built-in en-US strings, with Korean where a test looks).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const DIGEST_TYPES_YAML = `types:
  - id: weekly-digest
    description: What happened in a workspace this week.
    category: notification
    priority: 6
    ttl: 2d
    variables:
      - name: userName
        kind: text
        required: true
        description: who is addressed
        sample: Ana Lima
      - name: changes
        kind: number
        required: true
        description: how many changes this week
        sample: 12
      - name: digestUrl
        kind: url
        required: true
        description: the full digest
        sample: https://console.example.com/digest
`;

export const DIGEST_MJML = `<mj-text mj-class="heading">%%t:heading%%</mj-text>
<mj-text>%%t:intro%%</mj-text>
<mj-button href="%%u:digestUrl%%">%%t:button%%</mj-button>
`;

const DIGEST_STRINGS: Record<string, Record<string, string>> = {
  'en-US': {
    subject: 'Your week on {{application_title}}',
    heading: 'This week',
    intro: 'Hello {{userName}}, {{changes}} things changed in your workspace.',
    button: 'Read the digest',
  },
  'ja-JP': {
    subject: '{{application_title}} の今週のまとめ',
    heading: '今週のまとめ',
    intro: '{{userName}} さん、今週はワークスペースで {{changes}} 件の変更がありました。',
    button: 'まとめを読む',
  },
  'zh-CN': {
    subject: '您在 {{application_title}} 的本周摘要',
    heading: '本周摘要',
    intro: '{{userName}}，您好！本周您的工作空间有 {{changes}} 项变更。',
    button: '阅读摘要',
  },
  'ko-KR': {
    subject: '{{application_title}} 주간 요약',
    heading: '이번 주',
    intro: '{{userName}}님, 이번 주 워크스페이스에서 {{changes}}건이 변경되었습니다.',
    button: '요약 보기',
  },
};

export const OVERRIDDEN_SUBJECT = 'Your {{application_title}} reset code';

const json = (data: unknown): string => `${JSON.stringify(data, null, 2)}\n`;

/** Writes the directory under `parent` and returns its path. */
export function makeOperatorDir(parent: string): string {
  const dir = join(parent, 'mail-templates');
  mkdirSync(join(dir, 'locales', 'en-US'), { recursive: true });
  writeFileSync(join(dir, 'locales', 'en-US', 'reset-password.json'), `{\n  "subject": "${OVERRIDDEN_SUBJECT}"\n}\n`);
  writeFileSync(join(dir, 'types.yaml'), DIGEST_TYPES_YAML);
  writeFileSync(join(dir, 'weekly-digest.mjml'), DIGEST_MJML);
  // ko-KR: a new language, complete (every built-in type, from en-US) plus the new type.
  cpSync(join(ROOT, 'locales', 'en-US'), join(dir, 'locales', 'ko-KR'), { recursive: true });
  writeFileSync(
    join(dir, 'locales', 'ko-KR', 'reset-password.json'),
    json({ ...readEn('reset-password'), subject: '{{application_title}} 비밀번호 설정' }),
  );
  for (const [lang, strings] of Object.entries(DIGEST_STRINGS)) {
    mkdirSync(join(dir, 'locales', lang), { recursive: true });
    writeFileSync(join(dir, 'locales', lang, 'weekly-digest.json'), json(strings));
  }
  return dir;
}

function readEn(type: string): Record<string, string> {
  return JSON.parse(readFileSync(join(ROOT, 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, string>;
}
