import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../../src/message/compose.js';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { renderEmail } from '../../../src/templates/render.js';

const URL = 'https://example.com/unsubscribe?u=1';
const SECURITY = [
  'reset-password-account-not-exist',
  'reset-password-account-not-exist-no-register',
  'change-email-completed',
  'owner-transfer-old-notify',
  'owner-transfer-new-notify',
  'account-deletion-success',
  'email-register-account-exist',
];

describe('List-Unsubscribe policy: notifications only, never codes, alerts or security notices', () => {
  it.each(MAIL_TYPE_DEFS.map((d) => [d.id, d.category]))('%s (%s)', (type) => {
    const rendered = renderEmail({ type, vars: {}, branding: { whiteLabel: false }, useSamples: true });
    const message = composeMessage({
      rendered,
      to: 'user@example.com',
      from: 'App <no-reply@example.com>',
      unsubscribeUrl: URL,
    });
    const expected = rendered.category === 'notification' && !SECURITY.includes(type);
    expect(rendered.unsubscribable).toBe(expected);
    expect(message.headers['List-Unsubscribe']).toBe(expected ? `<${URL}>` : undefined);
    expect(message.headers['List-Unsubscribe-Post']).toBe(expected ? 'List-Unsubscribe=One-Click' : undefined);
  });

  it('marks exactly the account and security notices', () => {
    expect(
      MAIL_TYPE_DEFS.filter((d) => d.security)
        .map((d) => d.id)
        .sort(),
    ).toEqual([...SECURITY].sort());
  });
});
