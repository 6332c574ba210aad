import { describe, expect, it } from 'vitest';
import { getMailType, MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';

// The reference's 24 EmailType values (ENTERPRISE_CUSTOM is `custom`) plus WORKFLOW_COMMENT_MENTION.
const REFERENCE = [
  'reset-password',
  'reset-password-account-not-exist',
  'reset-password-account-not-exist-no-register',
  'invite-member',
  'email-code-login',
  'change-email-old',
  'change-email-new',
  'change-email-completed',
  'owner-transfer-confirm',
  'owner-transfer-old-notify',
  'owner-transfer-new-notify',
  'account-deletion-verification',
  'account-deletion-success',
  'queue-monitor-alert',
  'document-clean-notify',
  'email-register',
  'email-register-account-exist',
  'trigger-events-limit-sandbox',
  'trigger-events-limit-professional',
  'trigger-events-usage-warning-sandbox',
  'trigger-events-usage-warning-professional',
  'api-rate-limit-limit-sandbox',
  'api-rate-limit-warning-sandbox',
  'workflow-comment-mention',
  'custom',
];

describe('catalog', () => {
  it('has exactly the reference types, in kebab-case, once each', () => {
    const ids = MAIL_TYPE_DEFS.map((d) => d.id);
    expect([...ids].sort()).toEqual([...REFERENCE].sort());
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it.each(MAIL_TYPE_DEFS.map((d) => [d.id, d] as const))(
    '%s has samples for every variable and a consistent category',
    (_id, def) => {
      // Required variables have a sample; optional ones a sample, a fallback string or a default.
      for (const v of def.variables) {
        if (v.required) expect(def.sample[v.name], v.name).toBeDefined();
        else expect(def.sample[v.name] ?? v.fallback ?? v.default, v.name).toBeDefined();
      }
      expect(['code', 'notification', 'alert']).toContain(def.category);
      if (def.category === 'code') {
        expect(def.ttlMs).toBeGreaterThan(0);
        expect(def.priority).toBe(1);
      } else {
        expect(def.ttlMs).toBeUndefined();
      }
      if (def.category === 'alert') expect(def.priority).toBe(9);
      // application_title is injected, never asked of the caller.
      expect(def.variables.map((v) => v.name)).not.toContain('application_title');
    },
  );

  it('keeps the reference variable names', () => {
    const names = (id: string): string[] => getMailType(id)!.variables.map((v) => v.name);
    expect(names('invite-member')).toEqual(['inviter_name', 'workspace_name', 'url']);
    expect(names('owner-transfer-old-notify')).toEqual(['WorkspaceName', 'NewOwnerEmail']);
    expect(names('document-clean-notify')).toEqual(['userName', 'knowledge_details', 'url']);
    expect(getMailType('reset-password')!.ttlMs).toBe(5 * 60_000);
    expect(getMailType('nope')).toBeUndefined();
  });

  it('samples never name the default product (they are shown in white-label previews)', () => {
    expect(JSON.stringify(MAIL_TYPE_DEFS.map((d) => d.sample))).not.toMatch(/dify/i);
  });
});
