/**
 * The catalog of mail types: every `EmailType` of the reference system (Dify's
 * `api/libs/email_i18n.py`, 24 values plus the newer WORKFLOW_COMMENT_MENTION) in kebab-case,
 * plus `custom` (the reference's enterprise/inner raw mail). Variable names are the reference's
 * own (`code`, `inviter_name`, `WorkspaceName`…) so an application written against Dify's
 * tasks can pass the same context. `application_title` is injected by the renderer, never
 * required from the caller.
 *
 * Pure data: importing this module reads no file.
 */
import type { Category } from '../message/types.js';
import { closest } from '../config/resolve.js';
import { UsageError } from '../errors.js';

export interface VariableDef {
  name: string;
  description: string;
  required: boolean;
  /** `url` values must be http(s) URLs (they become link targets); `list` values render as lists. */
  kind: 'text' | 'url' | 'number' | 'list';
  /**
   * For an optional variable the caller left out: strings of the type's locale file, tried in order;
   * the first whose `{{placeholders}}` are all known becomes the value (so a default is translated,
   * and may use other variables, e.g. recipientName = "{{workspaceName}} team").
   */
  fallback?: readonly string[] | undefined;
  /** For an optional variable the caller left out, when it has no `fallback`: this value. */
  default?: string | undefined;
}

export interface MailTypeDef {
  /** kebab-case, e.g. `reset-password` */
  id: string;
  description: string;
  category: Category;
  /** lower is sooner: 1 for mails a person is waiting for (codes, resets, invites), 5 notifications, 9 alerts */
  priority: number;
  /** default time-to-live for code types (ms), e.g. 5 min like Dify's token expiry; undefined = no expiry */
  ttlMs?: number | undefined;
  /**
   * Security and account notices (password, e-mail, ownership, deletion): a person cannot opt out
   * of being told their account changed, so they never carry List-Unsubscribe.
   */
  security?: boolean | undefined;
  variables: VariableDef[];
  /** so every type renders with no input */
  sample: Record<string, unknown>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Dify's RESET_PASSWORD / EMAIL_CODE_LOGIN / CHANGE_EMAIL / OWNER_TRANSFER token expiry: 5 minutes. */
const CODE_TTL = 5 * MINUTE;
/** Dify's INVITE_EXPIRY_HOURS default: 72 hours. */
const INVITE_TTL = 72 * HOUR;

/** A variable of one kind: `text('workspace', 'the workspace name')`. */
const variable =
  (kind: VariableDef['kind']) =>
  (name: string, description: string, required = true): VariableDef => ({ name, description, required, kind });
const text = variable('text');
const url = variable('url');
const num = variable('number');
const list = variable('list');

const code = text('code', 'the one-time verification code (6 digits)');

/**
 * A mail that carries a one-time code: a person is waiting for it (priority 1), and it lapses
 * with the code (CODE_TTL). `more` adds variables and sample values after the code.
 */
const codeMail = (
  id: string,
  description: string,
  sampleCode: string,
  more: { variables?: VariableDef[]; sample?: Record<string, unknown> } = {},
): MailTypeDef => ({
  id,
  description,
  category: 'code',
  priority: 1,
  ttlMs: CODE_TTL,
  variables: [code, ...(more.variables ?? [])],
  sample: { code: sampleCode, ...more.sample },
});

/** A security or account notice: never List-Unsubscribe (see `security`); priority 5 unless a person waits for it. */
const securityNotice = (
  id: string,
  description: string,
  variables: VariableDef[],
  sample: Record<string, unknown>,
  priority = 5,
): MailTypeDef => ({ id, description, category: 'notification', priority, security: true, variables, sample });

/** Optional, as the reference's templates treat them: a value the caller leaves out comes from `fallback`. */
const optional = (v: VariableDef, fallback?: readonly string[], value?: string): VariableDef => ({
  ...v,
  required: false,
  ...(fallback ? { fallback } : {}),
  ...(value !== undefined ? { default: value } : {}),
});

/**
 * The reference's newest usage mails (trigger events, API rate limit) take a usage scope, a CTA
 * label and a reset line (else a reset description, else the reset date); all optional there.
 */
const usageVars = (): VariableDef[] => [
  optional(text('usageScope', 'what is limited, e.g. "Trigger Events"'), ['usage_scope']),
  optional(text('ctaLabel', 'the button label, e.g. "Upgrade now"'), ['button']),
  optional(text('resetDate', 'when the allowance resets, e.g. "December 1, 2026"')),
  optional(text('resetDescription', 'when it resets, as a phrase, e.g. "on December 1"'), [
    'reset_on_date',
    'reset_next_cycle',
  ]),
  optional(text('resetLine', 'the whole reset sentence, instead of the built-in one'), ['reset']),
];

const recipientVar = (): VariableDef =>
  optional(text('recipientName', "who is addressed; default: the workspace's team"), ['recipient_default']);
const upgradeHintVar = (): VariableDef =>
  optional(text('upgradeHint', 'a sentence on why to upgrade'), ['upgrade_hint']);

const triggerLimitVars = (): VariableDef[] => [
  text('workspaceName', 'the workspace that reached its limit'),
  text('planName', 'the subscription plan, e.g. Sandbox'),
  num('planLimit', 'the number of trigger events the plan allows'),
  text('triggerSources', 'which triggers were paused, e.g. "Schedule, Webhook"'),
  url('upgradeUrl', 'where to upgrade the plan'),
  ...usageVars(),
];

const triggerLimitSample = (plan: string): Record<string, unknown> => ({
  workspaceName: 'Acme Research',
  planName: plan,
  planLimit: plan === 'Sandbox' ? 200 : 5000,
  triggerSources: 'Schedule, Webhook, Plugin',
  resetDate: 'January 1, 2027',
  upgradeUrl: 'https://console.example.com/billing?plan=upgrade',
});

/** The reference's fixed upgrade link of the API-rate-limit mail (default product only). */
export const PRODUCT_UPGRADE_URL = 'https://cloud.dify.ai/apps?pricing=open';

export const MAIL_TYPE_DEFS: readonly MailTypeDef[] = [
  codeMail('reset-password', 'Password reset code for an existing account.', '492817'),
  securityNotice(
    'reset-password-account-not-exist',
    'Someone asked to reset a password for an address with no account; invites them to sign up.',
    [url('sign_up_url', 'the sign-up page, e.g. {CONSOLE_WEB_URL}/signup')],
    { sign_up_url: 'https://console.example.com/signup' },
    1,
  ),
  securityNotice(
    'reset-password-account-not-exist-no-register',
    'Someone asked to reset a password for an address with no account; sign-up is closed.',
    [],
    {},
    1,
  ),
  {
    id: 'invite-member',
    description: 'Invitation to join a workspace, with an activation link.',
    category: 'code',
    priority: 1,
    ttlMs: INVITE_TTL,
    variables: [
      text('inviter_name', 'who sent the invitation'),
      text('workspace_name', 'the workspace the recipient is invited to'),
      url('url', 'the activation link, {CONSOLE_WEB_URL}/activate?token=…'),
    ],
    sample: {
      inviter_name: 'Ana Lima',
      workspace_name: 'Acme Research',
      url: 'https://console.example.com/activate?token=7f1c2d9e-0b5a-4c3e-9d21-5e8f6a7b3c40',
    },
  },
  codeMail('email-code-login', 'Sign-in code sent by e-mail.', '730415'),
  codeMail('change-email-old', 'Code sent to the current address to confirm an e-mail change.', '118204'),
  codeMail('change-email-new', 'Code sent to the new address to confirm an e-mail change.', '560932'),
  securityNotice(
    'change-email-completed',
    'Notice that the login e-mail address has been changed.',
    [text('email', 'the new login e-mail address')],
    { email: 'ana.lima@example.com' },
  ),
  codeMail('owner-transfer-confirm', 'Code to confirm the transfer of a workspace to a new owner.', '904571', {
    variables: [text('WorkspaceName', 'the workspace being transferred')],
    sample: { WorkspaceName: 'Acme Research' },
  }),
  securityNotice(
    'owner-transfer-old-notify',
    'Notice to the former owner that the workspace has been transferred.',
    [
      text('WorkspaceName', 'the workspace that was transferred'),
      text('NewOwnerEmail', "the new owner's e-mail address"),
    ],
    { WorkspaceName: 'Acme Research', NewOwnerEmail: 'jun.chen@example.com' },
  ),
  securityNotice(
    'owner-transfer-new-notify',
    'Notice to the new owner that they now own the workspace.',
    [text('WorkspaceName', 'the workspace now owned by the recipient')],
    { WorkspaceName: 'Acme Research' },
  ),
  securityNotice(
    'account-deletion-success',
    'Confirmation that an account has been deleted.',
    [text('email', 'the address of the deleted account')],
    { email: 'ana.lima@example.com' },
  ),
  codeMail('account-deletion-verification', 'Code to confirm the deletion of an account.', '381926'),
  {
    id: 'queue-monitor-alert',
    description: 'Operator alert (queue monitor): the mailctl spool holds more mails than its threshold.',
    category: 'alert',
    priority: 9,
    variables: [
      text('queue_name', 'the spool, e.g. /srv/mail/.mailctl/spool or redis://mq:6379/0'),
      num('queue_length', 'mails waiting now'),
      num('threshold', 'the alert threshold (QUEUE_MONITOR_THRESHOLD)'),
      text('alert_time', 'when the check ran, YYYY-MM-DD HH:MM:SS UTC'),
    ],
    sample: {
      queue_name: '/srv/mail/.mailctl/spool',
      queue_length: 312,
      threshold: 200,
      alert_time: '2026-12-01 21:00:00 UTC',
    },
  },
  {
    id: 'document-clean-notify',
    description: 'Notice that unused knowledge-base documents were disabled automatically.',
    category: 'notification',
    priority: 5,
    variables: [
      text('userName', "who is addressed (the owner's e-mail address in the reference)"),
      list('knowledge_details', 'one line per knowledge base, e.g. "Knowledge base Manuals: 12 documents"'),
      url('url', 'the knowledge-base list, {CONSOLE_WEB_URL}/datasets'),
    ],
    sample: {
      userName: 'ana.lima@example.com',
      knowledge_details: ['Knowledge base Manuals: 12 documents', 'Knowledge base Support FAQ: 3 documents'],
      url: 'https://console.example.com/datasets',
    },
  },
  codeMail('email-register', 'Code to confirm a new account registration.', '257309'),
  securityNotice(
    'email-register-account-exist',
    'Someone tried to register an address that already has an account.',
    [
      text('account_name', "the existing account's name"),
      url('login_url', 'the sign-in page, {CONSOLE_WEB_URL}/signin'),
      url('reset_password_url', 'the password reset page, {CONSOLE_WEB_URL}/reset-password'),
    ],
    {
      account_name: 'Ana Lima',
      login_url: 'https://console.example.com/signin',
      reset_password_url: 'https://console.example.com/reset-password',
    },
    1,
  ),
  {
    id: 'trigger-events-limit-sandbox',
    description: "The Sandbox plan's trigger-event allowance is used up; triggers are paused.",
    category: 'notification',
    priority: 5,
    variables: triggerLimitVars(),
    sample: triggerLimitSample('Sandbox'),
  },
  {
    id: 'trigger-events-limit-professional',
    description: 'The monthly trigger-event allowance is used up; triggers are paused.',
    category: 'notification',
    priority: 5,
    variables: triggerLimitVars(),
    sample: triggerLimitSample('Professional'),
  },
  {
    id: 'trigger-events-usage-warning-sandbox',
    description: "The Sandbox plan's trigger-event allowance is nearly used up.",
    category: 'notification',
    priority: 5,
    variables: [
      recipientVar(),
      ...triggerLimitVars(),
      num('usagePercent', 'share of the allowance used, e.g. 80'),
      upgradeHintVar(),
    ],
    sample: { ...triggerLimitSample('Sandbox'), usagePercent: 80 },
  },
  {
    id: 'trigger-events-usage-warning-professional',
    description: 'The monthly trigger-event allowance is nearly used up.',
    category: 'notification',
    priority: 5,
    variables: [
      recipientVar(),
      ...triggerLimitVars(),
      num('usagePercent', 'share of the allowance used, e.g. 80'),
      upgradeHintVar(),
    ],
    sample: { ...triggerLimitSample('Professional'), usagePercent: 90 },
  },
  {
    id: 'api-rate-limit-limit-sandbox',
    description:
      "The Sandbox plan's monthly API rate limit is reached (its upgrade link is the reference's fixed one).",
    category: 'notification',
    priority: 5,
    variables: [
      recipientVar(),
      text('workspaceName', 'the workspace that reached its limit'),
      text('planName', 'the subscription plan, e.g. Sandbox'),
      num('planLimit', 'API calls the plan allows per month'),
      ...usageVars(),
      upgradeHintVar(),
    ],
    sample: {
      recipientName: 'Acme Research team',
      workspaceName: 'Acme Research',
      planName: 'Sandbox',
      planLimit: 5000,
      resetDate: 'January 1, 2027',
    },
  },
  {
    id: 'api-rate-limit-warning-sandbox',
    description:
      "The Sandbox plan's monthly API rate limit is nearly reached (80% unless usagePercent says otherwise).",
    category: 'notification',
    priority: 5,
    variables: [
      recipientVar(),
      text('workspaceName', 'the workspace near its limit'),
      text('planName', 'the subscription plan, e.g. Sandbox'),
      num('planLimit', 'API calls the plan allows per month'),
      url('upgradeUrl', 'where to upgrade the plan'),
      optional(num('usagePercent', 'share of the limit used'), undefined, '80'),
      ...usageVars(),
      upgradeHintVar(),
    ],
    sample: {
      workspaceName: 'Acme Research',
      planName: 'Sandbox',
      planLimit: 5000,
      resetDate: 'January 1, 2027',
      upgradeUrl: 'https://console.example.com/apps?pricing=open',
    },
  },
  {
    id: 'workflow-comment-mention',
    description: 'Someone mentioned the recipient in a workflow comment.',
    category: 'notification',
    priority: 5,
    variables: [
      text('mentioned_name', "the recipient's name"),
      text('commenter_name', 'who wrote the comment'),
      text('app_name', 'the app whose workflow has the comment'),
      text('comment_content', 'the comment text'),
      // The reference's task does not pass it: without it the mail has no button.
      { ...url('app_url', 'link to the workflow'), required: false },
    ],
    sample: {
      mentioned_name: 'Jun Chen',
      commenter_name: 'Ana Lima',
      app_name: 'Support Triage',
      comment_content: "Can you check the retry branch before Friday's release?",
      app_url: 'https://console.example.com/app/3f0a/workflow',
    },
  },
  {
    id: 'custom',
    description:
      "Caller-supplied subject and plain-text body with {{name}} substitutions (the reference's enterprise/inner mail), rendered inside the layout; values are escaped, nothing is executed.",
    category: 'notification',
    priority: 5,
    variables: [
      text('subject', 'the subject line; may contain {{name}} substitutions'),
      text('body', 'plain text; blank lines separate paragraphs; may contain {{name}} substitutions'),
    ],
    sample: {
      subject: 'Scheduled maintenance for {{workspace}}',
      body: 'Hello {{name}},\n\n{{workspace}} will be read-only on {{date}} from 02:00 to 03:00 UTC while we upgrade the database.\n\nNo action is needed.',
      name: 'Ana',
      workspace: 'Acme Research',
      date: 'December 5',
    },
  },
];

const BY_ID: ReadonlyMap<string, MailTypeDef> = new Map(MAIL_TYPE_DEFS.map((d) => [d.id, d]));

export function getMailType(id: string): MailTypeDef | undefined {
  return BY_ID.get(id);
}

/** The type named `id`, or a usage error (64) with "did you mean" for a mistyped one. */
export function requireMailType(id: string, what = 'mail type', defs?: readonly MailTypeDef[]): MailTypeDef {
  // `defs`: an operator's merged catalog (the built-in types and theirs) instead of the built-in one.
  const byId = defs ? new Map(defs.map((d) => [d.id, d])) : BY_ID;
  const def = byId.get(id);
  if (def) return def;
  const guess = closest(id, [...byId.keys()]) ?? [...byId.keys()].find((k) => k.startsWith(id) || id.startsWith(k));
  throw new UsageError(
    `unknown ${what} ${JSON.stringify(id)}${guess ? `; did you mean ${guess}?` : ''}`,
    { hint: 'run `mailctl templates list` to see every type' },
    'usage.type',
  );
}

/**
 * Whether the type carries a one-time code (a `code` variable): MAILCTL_CODE_TTL applies to these
 * and they state their validity. Not invitations, whose link lives for days (category `code` only
 * for their delivery priority).
 */
export function carriesCode(def: MailTypeDef): boolean {
  return def.variables.some((v) => v.name === 'code');
}

/** Variables the renderer adds to every mail; callers never have to pass them. */
export const INJECTED_VARIABLES = [
  'application_title',
  'support_email',
  'code_validity',
  'product_upgrade_url',
] as const;
