// Renders from dist/compiled (run `npm run build` first; `npm test` does).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/index.js';
import { ConfigError, DataError, ExitCode, UsageError } from '../../../src/errors.js';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { CHECK_BRANDS, DEFAULT_PRODUCT_PATTERN, unrenderedMarkers, visibleHtml } from '../../../src/templates/check.js';
import {
  brandingFromConfig,
  renderEmail,
  validityText,
  type Branding,
  type RenderRequest,
} from '../../../src/templates/render.js';
import { LANGUAGES } from '../../helpers/catalog.js';

const DEFAULT: Branding = { whiteLabel: false };
const WHITE: Branding = {
  whiteLabel: true,
  applicationTitle: 'Acme Cloud',
  logoUrl: 'https://cdn.example.com/acme.png',
  supportEmail: 'help@acme.example',
};

function thrown(fn: () => unknown): Error & { exitCode?: number } {
  try {
    fn();
  } catch (err) {
    return err as Error & { exitCode?: number };
  }
  throw new Error('expected an error');
}

const sample = (type: string): Record<string, unknown> => ({ ...MAIL_TYPE_DEFS.find((d) => d.id === type)!.sample });
const render = (req: Partial<RenderRequest> & { type: string }) =>
  renderEmail({ vars: sample(req.type), branding: DEFAULT, ...req });

describe('every type × language × brand', () => {
  const cases = MAIL_TYPE_DEFS.flatMap((d) =>
    LANGUAGES.flatMap((lang) => CHECK_BRANDS.map((b) => [d.id, lang, b.name, b.branding] as const)),
  );
  it.each(cases)('%s %s %s renders completely', (type, lang, brandName, branding) => {
    const r = renderEmail({ type, lang, vars: {}, branding, useSamples: true });
    expect(r.lang).toBe(lang);
    expect(r.warnings).toEqual([]);
    expect(r.subject.trim()).not.toBe('');
    for (const part of [r.subject, visibleHtml(r.html), r.text]) expect(unrenderedMarkers(part)).toEqual([]);
    expect(r.html).toMatch(/^<!doctype html>/i);
    expect(r.html).toContain(`lang="${lang}"`);
    if (lang === 'zh-CN' && type !== 'custom') expect(r.text).toMatch(/[\u4e00-\u9fff]/);
    // Japanese: kana, not only kanji shared with Chinese.
    if (lang === 'ja-JP' && type !== 'custom') expect(r.text).toMatch(/[\u3040-\u30ff]/);
    if (branding.whiteLabel) {
      // The white-label promise: no default product name, domain or logo anywhere.
      for (const part of [r.subject, r.html, r.text]) expect(part).not.toMatch(DEFAULT_PRODUCT_PATTERN);
      expect(r.html).toContain('Acme Cloud');
    } else {
      expect(r.html).toContain('https://assets.dify.ai/images/logo.png');
    }
    if (brandName === 'white-label') {
      expect(r.html).toContain('https://cdn.example.com/acme/logo.png');
      expect(r.text).toContain('support@acme.example');
    }
  });
});

describe('subjects keep the reference meaning and variables', () => {
  it.each([
    ['reset-password', 'en-US', DEFAULT, 'Set Your Dify Password'],
    ['reset-password', 'zh-CN', DEFAULT, '设置您的 Dify 密码'],
    ['reset-password', 'zh-CN', WHITE, '设置您的 Acme Cloud 密码'],
    ['invite-member', 'en-US', WHITE, 'Join Acme Cloud Workspace Now'],
    ['email-code-login', 'zh-CN', DEFAULT, 'Dify 登录验证码'],
    ['owner-transfer-new-notify', 'en-US', DEFAULT, 'You are now the owner of Acme Research'],
    ['owner-transfer-new-notify', 'zh-CN', DEFAULT, '您现在是 Acme Research 的所有者'],
    ['account-deletion-success', 'en-US', WHITE, 'Your Acme Cloud Account Has Been Successfully Deleted'],
    ['queue-monitor-alert', 'zh-CN', DEFAULT, '警报：mailctl 邮件队列积压 312 封，超过阈值 200'],
    ['queue-monitor-alert', 'en-US', DEFAULT, 'Alert: the mailctl spool holds 312 mails, over its threshold of 200'],
    ['trigger-events-limit-sandbox', 'en-US', DEFAULT, 'You’ve reached your Sandbox Trigger Events limit'],
    ['api-rate-limit-warning-sandbox', 'zh-CN', DEFAULT, '您的 API 速率额度接近上限'],
    ['custom', 'en-US', DEFAULT, 'Scheduled maintenance for Acme Research'],
  ] as const)('%s %s', (type, lang, branding, subject) => {
    expect(renderEmail({ type, lang, vars: sample(type), branding }).subject).toBe(subject);
  });
});

describe('escaping', () => {
  const evil = `<script>alert("x")</script> & 'quotes' "double"`;

  it('HTML-escapes variables in bodies, titles and attributes; text keeps them as typed', () => {
    const r = render({
      type: 'workflow-comment-mention',
      vars: {
        ...sample('workflow-comment-mention'),
        commenter_name: evil,
        comment_content: evil,
        app_url: 'https://x.example/a?b=1&c="2"',
      },
    });
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('"double"');
    expect(r.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quotes&#39;');
    // The link is the parsed URL (WHATWG href): its quotes come out percent-encoded, its & escaped.
    expect(r.html).toContain('href="https://x.example/a?b=1&#38;c=%222%22"');
    expect(r.subject).toBe(`${evil} mentioned you in Support Triage`);
    expect(r.html).toContain(`<title>&#60;script&#62;`);
    expect(r.text).toContain(evil);
  });

  it('never re-interprets a value as a template (no nesting, no markers)', () => {
    const tricky = '$t(common:code_expiry) {{code}} %%v:code%% {application_title}';
    const r = render({ type: 'invite-member', vars: { ...sample('invite-member'), inviter_name: tricky } });
    expect(r.text).toContain(tricky);
    expect(r.text).not.toContain('5 minutes');
  });

  it('custom: substitutions are escaped and single-pass; nothing is executed', () => {
    const r = render({
      type: 'custom',
      vars: {
        subject: 'Hi {{name}}',
        body: 'Line one {{name}}\nline two\n\n<b>{{x}}</b>',
        name: '<img src=x onerror=alert(1)>',
        x: '{{name}}',
      },
    });
    expect(r.subject).toBe('Hi <img src=x onerror=alert(1)>');
    expect(r.html).toContain(
      '<p style="margin:0 0 12px 0;">Line one &#60;img src=x onerror=alert(1)&#62;<br>line two</p>',
    );
    expect(r.html).toContain('&#60;b&#62;{{name}}&#60;/b&#62;');
    expect(r.html).not.toContain('<img src=x');
    expect(r.text).toContain('<b>{{name}}</b>');
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'custom: {{%s}} is a missing substitution, not an object property',
    (name) => {
      const err = thrown(() => render({ type: 'custom', vars: { subject: 's', body: `{{${name}}}` } }));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toContain(`"${name}"`);
    },
  );
});

describe('variables', () => {
  it('a missing required variable is a DataError (65) naming it', () => {
    const err = thrown(() => renderEmail({ type: 'reset-password', vars: {}, branding: DEFAULT }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.exitCode).toBe(ExitCode.DATAERR);
    expect(err.message).toBe('missing template variable "code" for reset-password');
  });

  it('names every missing variable at once, in subjects too', () => {
    const err = thrown(() => renderEmail({ type: 'owner-transfer-new-notify', vars: {}, branding: DEFAULT }));
    expect(err.message).toContain('"WorkspaceName"');
    const err2 = thrown(() =>
      renderEmail({ type: 'invite-member', vars: { url: 'https://a.example' }, branding: DEFAULT }),
    );
    expect(err2.message).toMatch(/"inviter_name", "workspace_name"/);
  });

  it('samples fill in only with useSamples; --var values override them', () => {
    const r = renderEmail({ type: 'reset-password', vars: { code: '000111' }, branding: DEFAULT, useSamples: true });
    expect(r.text).toContain('000111');
    expect(r.text).not.toContain('492817');
  });

  it.each(['javascript:alert(1)', 'data:text/html,x', 'ftp://files.example/x', '/relative', 'not a url', 42])(
    'a link variable %j that is not http(s) is refused (65)',
    (url) => {
      const err = thrown(() => render({ type: 'invite-member', vars: { ...sample('invite-member'), url } }));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toMatch(/^variable "url" of invite-member must be an http\(s\) URL/);
    },
  );

  it.each([
    'https://ok.example/a\n\nURGENT: visit https://evil.example',
    'https://ok.example/a\r\nURGENT',
    'https://ok.example/a\tb',
    'https://ok.example/\u0000',
  ])('a link variable %j with a line break or control character is refused (65), never mended', (url) => {
    const err = thrown(() => render({ type: 'invite-member', vars: { ...sample('invite-member'), url } }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(
      'variable "url" of invite-member must be one http(s) URL, but it holds a line break or another control character',
    );
  });

  it('a link variable is used as parsed: spaces cannot add words to the text part', () => {
    const r = render({
      type: 'invite-member',
      vars: { ...sample('invite-member'), url: 'https://ok.example/a URGENT: visit https://evil.example' },
    });
    expect(r.text).toContain('https://ok.example/a%20URGENT:%20visit%20https://evil.example');
    expect(r.text).not.toMatch(/URGENT: visit/);
  });

  it('numbers are checked; lists render as lists in HTML and text', () => {
    expect(
      thrown(() =>
        render({ type: 'queue-monitor-alert', vars: { ...sample('queue-monitor-alert'), queue_length: 'many' } }),
      ).message,
    ).toMatch(/"queue_length".*must be a number/);
    const r = render({
      type: 'document-clean-notify',
      vars: { ...sample('document-clean-notify'), knowledge_details: 'KB one: 2 documents\nKB <two>: 5 documents' },
    });
    expect(r.html).toMatch(
      /<ul[^>]*><li[^>]*>KB one: 2 documents<\/li><li[^>]*>KB &#60;two&#62;: 5 documents<\/li><\/ul>/,
    );
    expect(r.text).toContain('  - KB one: 2 documents\n  - KB <two>: 5 documents');
  });

  it('warns about variables the type does not use; an i18next option name cannot switch the language', () => {
    const r = render({ type: 'reset-password', vars: { code: '1', lng: 'zh-CN', count: 3 } });
    expect(r.lang).toBe('en-US');
    expect(r.subject).toBe('Set Your Dify Password');
    expect(r.warnings).toEqual([
      'variable "lng" is not used by reset-password (ignored)',
      'variable "count" is not used by reset-password (ignored)',
    ]);
  });

  it('plain text writes links out as URLs', () => {
    const r = render({ type: 'email-register-account-exist' });
    expect(r.text).toContain('Sign in <https://console.example.com/signin>');
    expect(r.text).toContain('Reset password <https://console.example.com/reset-password>');
  });
});

describe('languages, types and branding', () => {
  it('falls back to en-US with a warning; aliases are silent', () => {
    const r = render({ type: 'reset-password', lang: 'de-DE' });
    expect(r.lang).toBe('en-US');
    expect(r.warnings).toEqual(['no de-DE translation (available: en-US, ja-JP, zh-CN); using en-US']);
    expect(render({ type: 'reset-password', lang: 'zh-Hans' })).toMatchObject({ lang: 'zh-CN', warnings: [] });
  });

  it('unknown type and a non-tag language are usage errors (64)', () => {
    expect(thrown(() => renderEmail({ type: 'reset-passwd', vars: {}, branding: DEFAULT }))).toBeInstanceOf(UsageError);
    const err = thrown(() =>
      renderEmail({ type: 'reset-password', lang: '../../etc/passwd', vars: { code: '1' }, branding: DEFAULT }),
    );
    expect(err.exitCode).toBe(ExitCode.USAGE);
  });

  it('white-label without APPLICATION_TITLE: 78 when sending, a sample title with a warning in preview', () => {
    expect(thrown(() => render({ type: 'reset-password', branding: { whiteLabel: true } }))).toBeInstanceOf(
      ConfigError,
    );
    const r = renderEmail({ type: 'reset-password', vars: {}, branding: { whiteLabel: true }, useSamples: true });
    expect(r.subject).toBe('Set Your Acme Cloud Password');
    expect(r.warnings[0]).toMatch(/APPLICATION_TITLE is not set/);
  });

  it('carries category, priority and ttl from the catalog', () => {
    expect(render({ type: 'email-code-login' })).toMatchObject({ category: 'code', priority: 1, ttlMs: 300_000 });
    expect(render({ type: 'queue-monitor-alert' })).toMatchObject({ category: 'alert', priority: 9, ttlMs: undefined });
  });

  it('brandingFromConfig maps the branding keys', () => {
    const config = {
      values: {
        'branding.enabled': true,
        'branding.applicationTitle': 'Acme',
        'branding.logoUrl': 'https://cdn.example.com/l.png',
        'branding.supportEmail': 'help@acme.example',
      },
      sources: {},
      filePath: undefined,
    } as unknown as Config;
    expect(brandingFromConfig(config)).toEqual({
      whiteLabel: true,
      applicationTitle: 'Acme',
      logoUrl: 'https://cdn.example.com/l.png',
      supportEmail: 'help@acme.example',
    });
  });
});

describe('cached i18next instances are side-effect free', () => {
  it('interleaved renders in different languages and with different values do not see each other', () => {
    const a1 = render({
      type: 'invite-member',
      lang: 'zh-CN',
      vars: { ...sample('invite-member'), inviter_name: 'First' },
    });
    const b = render({
      type: 'invite-member',
      lang: 'en-US',
      vars: { ...sample('invite-member'), inviter_name: 'Second' },
    });
    const a2 = render({
      type: 'invite-member',
      lang: 'zh-CN',
      vars: { ...sample('invite-member'), inviter_name: 'Third' },
    });
    expect(a1.text).toContain('First');
    expect(b.text).toContain('Second');
    expect(b.text).not.toMatch(/First|[\u4e00-\u9fff]/);
    expect(a2.text).toBe(a1.text.replace('First', 'Third'));
    // A missing variable is still caught after complete renders used the same instance.
    expect(
      thrown(() =>
        renderEmail({
          type: 'invite-member',
          lang: 'zh-CN',
          vars: { url: 'https://a.example', inviter_name: 'x' },
          branding: DEFAULT,
        }),
      ),
    ).toBeInstanceOf(DataError);
    expect(
      render({ type: 'invite-member', lang: 'zh-CN', vars: { ...sample('invite-member'), inviter_name: 'First' } })
        .html,
    ).toBe(a1.html);
  });
});

describe('the validity a code mail states', () => {
  const text = (req: Partial<RenderRequest> & { type: string }) => render(req).text;
  it("is the type's own TTL by default, in the mail's language", () => {
    expect(text({ type: 'reset-password' })).toContain('This code is valid for 5 minutes.');
    expect(text({ type: 'reset-password', lang: 'zh-CN' })).toContain('验证码 5分钟内有效');
    expect(render({ type: 'email-code-login' }).html).toContain('This code is valid for 5 minutes.');
  });

  it("follows the TTL that is enforced (MAILCTL_CODE_TTL, a job's expiry)", () => {
    expect(text({ type: 'email-code-login', codeTtlMs: 10 * 60_000 })).toContain('valid for 10 minutes.');
    expect(text({ type: 'email-code-login', lang: 'zh-CN', codeTtlMs: 10 * 60_000 })).toContain('验证码 10分钟内有效');
    expect(text({ type: 'change-email-old', codeTtlMs: 3_600_000 })).toContain('valid for 1 hour.');
    expect(text({ type: 'change-email-old', codeTtlMs: 2 * 86_400_000 })).toContain('valid for 2 days.');
  });

  it('rounds down between units and never says 0', () => {
    expect(validityText('en-US', 90_000)).toBe('1 minute');
    expect(validityText('en-US', 90 * 60_000)).toBe('90 minutes');
    expect(validityText('en-US', 30_000)).toBe('30 seconds');
    expect(validityText('en-US', 1)).toBe('1 second');
    expect(validityText('zh-CN', 2 * 3_600_000)).toBe('2小时');
  });
});

describe("the reference's newest variables (a job written by its code renders)", () => {
  const text = (type: string, vars: Record<string, unknown>, branding: Branding = DEFAULT, lang = 'en-US'): string =>
    renderEmail({ type, lang, vars, branding }).text;

  it('trigger-events: only what the reference passes; usageScope, ctaLabel, reset line and recipient from defaults', () => {
    const base = {
      workspaceName: 'Acme',
      planName: 'Sandbox',
      planLimit: 200,
      triggerSources: 'Webhook',
      upgradeUrl: 'https://x.example/up',
    };
    const limit = text('trigger-events-limit-sandbox', base);
    expect(limit).toContain('Trigger Events are paused');
    expect(limit).toContain('The allowance resets at the start of your next billing cycle.');
    expect(limit).toContain('Upgrade your plan <https://x.example/up>');
    const warn = text('trigger-events-usage-warning-sandbox', { ...base, usagePercent: 80 });
    expect(warn).toContain('Hello Acme team,');
    expect(warn).toContain('Upgrade your plan to keep your triggers running without a pause.');
    expect(text('trigger-events-usage-warning-sandbox', { ...base, usagePercent: 80 }, DEFAULT, 'zh-CN')).toContain(
      'Acme 团队，您好：',
    );
  });

  it('trigger-events: the caller’s usageScope, ctaLabel, resetLine, resetDescription, recipientName and upgradeHint win', () => {
    const base = {
      workspaceName: 'Acme',
      planName: 'Team',
      planLimit: 9,
      triggerSources: 'Schedule',
      upgradeUrl: 'https://x.example/up',
      usagePercent: 95,
    };
    const t = text('trigger-events-usage-warning-professional', {
      ...base,
      usageScope: 'Workflow Runs',
      ctaLabel: 'See plans',
      recipientName: 'Ana',
      upgradeHint: 'Talk to sales for more.',
      resetDescription: 'on the 1st',
    });
    expect(t).toContain('Workflow Runs are running low');
    expect(t).toContain('Hello Ana,');
    expect(t).toContain('has used 95% of its 9 Workflow Runs on the Team plan.');
    expect(t).toContain('Talk to sales for more.');
    expect(t).toContain('The allowance resets on the 1st.');
    expect(t).toContain('See plans <https://x.example/up>');
    expect(
      text('trigger-events-limit-professional', { ...base, resetLine: 'Resets Monday.', resetDate: 'ignored' }),
    ).toContain('Resets Monday.');
    expect(text('trigger-events-limit-professional', { ...base, resetDate: 'March 1' })).toContain(
      'The allowance resets on March 1.',
    );
  });

  it('API rate limit: the fixed upgrade URL, no upgradeUrl variable; white-label mail has no link to the default product', () => {
    const vars = {
      recipientName: 'Ana',
      workspaceName: 'Acme',
      planName: 'Sandbox',
      planLimit: 5000,
      resetDate: 'May 1',
    };
    const r = renderEmail({ type: 'api-rate-limit-limit-sandbox', vars, branding: DEFAULT });
    expect(r.text).toContain('Upgrade now <https://cloud.dify.ai/apps?pricing=open>');
    expect(r.text).toContain('(Monthly API Rate Limit)');
    expect(r.warnings).toEqual([]);
    const passed = renderEmail({
      type: 'api-rate-limit-limit-sandbox',
      vars: { ...vars, upgradeUrl: 'https://x.example' },
      branding: DEFAULT,
    });
    expect(passed.warnings).toEqual(['variable "upgradeUrl" is not used by api-rate-limit-limit-sandbox (ignored)']);
    const white = renderEmail({ type: 'api-rate-limit-limit-sandbox', vars, branding: WHITE });
    for (const part of [white.html, white.text]) expect(part).not.toMatch(DEFAULT_PRODUCT_PATTERN);
    expect(white.text).not.toContain('Upgrade now');
    expect(unrenderedMarkers(visibleHtml(white.html))).toEqual([]);
  });

  it('API rate limit warning: "80%" unless usagePercent says otherwise', () => {
    const vars = {
      workspaceName: 'Acme',
      planName: 'Sandbox',
      planLimit: 5000,
      upgradeUrl: 'https://x.example/up',
      ctaLabel: 'Upgrade',
      resetDate: 'May 1',
    };
    expect(text('api-rate-limit-warning-sandbox', vars)).toContain('has used 80% of the 5000 monthly API calls');
    expect(text('api-rate-limit-warning-sandbox', { ...vars, usagePercent: 90 })).toContain('API rate limit at 90%');
  });

  it('workflow-comment-mention without app_url (the reference task does not pass it): no button, no empty link', () => {
    const vars = { mentioned_name: 'Jun', commenter_name: 'Ana', app_name: 'Triage', comment_content: 'Look' };
    const r = renderEmail({ type: 'workflow-comment-mention', vars, branding: DEFAULT });
    expect(r.text).not.toContain('Open the workflow');
    expect(r.html).not.toContain('href=""');
    expect(unrenderedMarkers(visibleHtml(r.html))).toEqual([]);
    expect(
      renderEmail({
        type: 'workflow-comment-mention',
        vars: { ...vars, app_url: 'https://x.example/a' },
        branding: DEFAULT,
      }).text,
    ).toContain('Open the workflow <https://x.example/a>');
  });

  it('queue-monitor-alert is about the mailctl spool, not a dataset queue', () => {
    for (const lang of LANGUAGES) {
      const r = renderEmail({
        type: 'queue-monitor-alert',
        lang,
        vars: sample('queue-monitor-alert'),
        branding: DEFAULT,
      });
      expect(r.subject).toContain('mailctl');
      expect(`${r.subject}${r.text}`).not.toMatch(/dataset|数据集|データセット/i);
      expect(r.text).toContain('2026-12-01 21:00:00 UTC');
    }
  });
});
