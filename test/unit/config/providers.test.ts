// The provider specs as data: what registering one adds to the configuration, what it refuses,
// and that its undo leaves the built-in table as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { allKeys, KEYS, MAIL_TYPES, registerProviderSpec } from '../../../src/config/keys.js';
import { providerSpec, type ProviderSpec } from '../../../src/config/providers.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { validateConfig } from '../../../src/config/validate.js';
import { describeTransport } from '../../../src/config/describe.js';

const SPEC: ProviderSpec = {
  label: 'Post Office',
  keys: [
    { env: 'POSTOFFICE_TOKEN', path: 'postoffice.token', type: 'string', secret: true, description: 'Token.' },
    {
      env: 'POSTOFFICE_URL',
      path: 'postoffice.url',
      type: 'url',
      default: 'https://api.postoffice.test',
      description: 'Base URL.',
    },
    { env: 'POSTOFFICE_TIMEOUT', path: 'postoffice.timeout', type: 'duration', default: 5000, description: 'Wait.' },
  ],
  required: [{ path: 'postoffice.token', hint: 'ask the post office' }],
  http: { apiKey: 'postoffice.token', baseUrl: 'postoffice.url', timeout: 'postoffice.timeout' },
  signsDkim: false,
};

let undo: (() => void) | undefined;
afterEach(() => {
  undo?.();
  undo = undefined;
});

function check(env: Record<string, string>) {
  const { config, problems } = resolveConfig({ env });
  return { config, problems: [...problems, ...validateConfig(config, new Set(problems.map((p) => p.key)))] };
}

describe('registerProviderSpec', () => {
  it('adds the name to MAIL_TYPE and the keys to the table; the undo takes both away', () => {
    const before = { types: [...MAIL_TYPES], keys: allKeys().length };
    undo = registerProviderSpec('postoffice', SPEC);
    expect(MAIL_TYPES).toEqual([...before.types, 'postoffice']);
    expect(allKeys().map((k) => k.env)).toEqual([
      ...KEYS.map((k) => k.env),
      'POSTOFFICE_TOKEN',
      'POSTOFFICE_URL',
      'POSTOFFICE_TIMEOUT',
    ]);
    expect(providerSpec('postoffice')?.label).toBe('Post Office');
    undo();
    undo = undefined;
    expect([...MAIL_TYPES]).toEqual(before.types);
    expect(allKeys()).toHaveLength(before.keys);
    expect(providerSpec('postoffice')).toBeUndefined();
  });

  it.each<[string, string, ProviderSpec, RegExp]>([
    ['a built-in name', 'sendgrid', SPEC, /provider sendgrid is already registered/],
    [
      'a key of the table',
      'postoffice',
      { ...SPEC, keys: [{ env: 'SENDGRID_API_KEY', path: 'x.y', type: 'string', description: '' }] },
      /keys already in the table: SENDGRID_API_KEY/,
    ],
  ])('refuses %s', (_what, name, spec, error) => {
    expect(() => registerProviderSpec(name, spec)).toThrow(error);
    expect(MAIL_TYPES).not.toContain('postoffice');
  });

  it('its required key, defaults and description come from the spec', () => {
    undo = registerProviderSpec('postoffice', SPEC);
    const missing = check({ MAIL_TYPE: 'postoffice', MAIL_DEFAULT_SEND_FROM: 'a@example.com' });
    expect(missing.problems).toEqual([
      {
        key: 'POSTOFFICE_TOKEN',
        severity: 'error',
        message: 'POSTOFFICE_TOKEN is required for MAIL_TYPE=postoffice',
        source: 'not set',
        hint: 'ask the post office',
      },
    ]);
    const good = check({ MAIL_TYPE: 'postoffice', MAIL_DEFAULT_SEND_FROM: 'a@example.com', POSTOFFICE_TOKEN: 't0ken' });
    expect(good.problems).toEqual([]);
    expect(describeTransport(good.config)).toBe('postoffice https://api.postoffice.test');
  });
});
