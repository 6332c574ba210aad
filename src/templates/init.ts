/**
 * `mailctl templates init [DIR]`: starts an operator template directory, either with a copy of a
 * built-in type (`--from reset-password`: its body and its strings in every shipped language) or
 * with a minimal new type declared in types.yaml, with strings in every shipped language (en-US,
 * ja-JP, zh-CN: `templates check` wants a type complete in every language).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CannotCreateError, UsageError, fileSystemError } from '../errors.js';
import { getMailType, requireMailType } from './catalog.js';
import { TYPE_ID } from './layers.js';
import { defaultDirs, discoverLanguages, type Dirs } from './store.js';

export interface InitRequest {
  /** Absolute path of the directory to create (it must not exist, or be empty). */
  dir: string;
  /** A built-in type to copy. */
  from?: string | undefined;
  /** The id of the new type (without `from`). @defaultValue welcome-note */
  type?: string | undefined;
}

export interface InitResult {
  dir: string;
  /** The type to preview next. */
  type: string;
  /** Files written, relative to `dir`. */
  files: string[];
}

const NEW_TYPE_YAML = (
  id: string,
): string => `# The mail types this directory adds. Each needs a body (${id}.mjml) and strings (locales/<lang>/${id}.json).
types:
  - id: ${id}
    description: A welcome note for a new member of a workspace.
    category: notification # code | notification | alert
    priority: 5 # 0-99, lower is sooner
    # ttl: 2d # optional: an undelivered job goes to dead after this
    variables:
      - name: userName
        kind: text # text | url | number | list
        required: true
        description: who is welcomed
        sample: Ana Lima
      - name: workspaceUrl
        kind: url
        required: true
        description: link to the workspace
        sample: https://console.example.com/workspace
`;

const NEW_TYPE_MJML = `<mj-text mj-class="heading">%%t:heading%%</mj-text>
<mj-text>%%t:intro%%</mj-text>
<mj-button href="%%u:workspaceUrl%%">%%t:button%%</mj-button>
<mj-text mj-class="muted">%%t:common:link_fallback%%<br /><a href="%%u:workspaceUrl%%" style="color:#155AEF;word-break:break-all;">%%u:workspaceUrl%%</a></mj-text>
`;

const NEW_TYPE_STRINGS: Record<string, Record<string, string>> = {
  'en-US': {
    subject: 'Welcome to {{application_title}}, {{userName}}',
    heading: 'Welcome aboard',
    intro: 'Hello {{userName}}, your workspace on {{application_title}} is ready.',
    button: 'Open the workspace',
  },
  'ja-JP': {
    subject: '{{userName}} さん、{{application_title}} へようこそ',
    heading: 'ようこそ',
    intro: '{{userName}} さん、{{application_title}} のワークスペースの準備ができました。',
    button: 'ワークスペースを開く',
  },
  'zh-CN': {
    subject: '欢迎加入 {{application_title}}，{{userName}}',
    heading: '欢迎加入',
    intro: '{{userName}}，您好！您在 {{application_title}} 上的工作空间已经准备就绪。',
    button: '打开工作空间',
  },
};

export function initTemplateDir(req: InitRequest, builtin: Dirs = defaultDirs()): InitResult {
  if (req.from !== undefined && req.type !== undefined)
    throw new UsageError('--from copies a built-in type; --type names a new one: give one of them');
  // A mistyped --from gets "did you mean", as every other place that takes a type.
  const from = req.from === undefined ? undefined : requireMailType(req.from, 'built-in type');
  const id = from?.id ?? req.type ?? 'welcome-note';
  if (!TYPE_ID.test(id))
    throw new UsageError(`--type ${JSON.stringify(id)} must be kebab-case letters and digits, e.g. welcome-note`);
  if (!from && getMailType(id))
    throw new UsageError(`--type ${id} is a built-in type`, {
      hint: `copy it with --from ${id}, or choose another name`,
    });

  try {
    if (existsSync(req.dir) && readdirSync(req.dir).length > 0)
      throw new CannotCreateError(
        `${req.dir} exists and is not empty`,
        {
          hint: 'choose a new DIR; add files to an existing directory by hand',
        },
        'fs.create',
      );
    const files: string[] = [];
    const write = (rel: string, text: string): void => {
      mkdirSync(join(req.dir, rel, '..'), { recursive: true });
      writeFileSync(join(req.dir, rel), text, { flag: 'wx' });
      files.push(rel);
    };
    if (from) {
      mkdirSync(req.dir, { recursive: true });
      copyFileSync(join(builtin.templatesDir, `${from.id}.mjml`), join(req.dir, `${from.id}.mjml`));
      files.push(`${from.id}.mjml`);
      for (const lang of discoverLanguages(builtin.localesDir)) {
        const src = join(builtin.localesDir, lang, `${from.id}.json`);
        if (!existsSync(src)) continue;
        mkdirSync(join(req.dir, 'locales', lang), { recursive: true });
        copyFileSync(src, join(req.dir, 'locales', lang, `${from.id}.json`));
        files.push(join('locales', lang, `${from.id}.json`));
      }
    } else {
      write('types.yaml', NEW_TYPE_YAML(id));
      write(`${id}.mjml`, NEW_TYPE_MJML);
      for (const [lang, strings] of Object.entries(NEW_TYPE_STRINGS))
        write(join('locales', lang, `${id}.json`), `${JSON.stringify(strings, null, 2)}\n`);
    }
    return { dir: req.dir, type: id, files };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && typeof e.syscall === 'string')
      throw fileSystemError(e, 'the template directory', req.dir);
    throw err;
  }
}
