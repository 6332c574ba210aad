import { describe, expect, it } from 'vitest';
import { resolveConfig, describeSource } from '../../../src/config/resolve.js';
import { parseBoolean, parseDuration } from '../../../src/config/parse.js';

describe('booleans are strict', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Yes', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    ['NO', false],
  ])('%s → %s', (raw, expected) => {
    expect(parseBoolean(raw)).toEqual({ ok: true, value: expected });
  });
  it.each(['on', 'off', 'y', 'treu', '2', 'enabled'])('%s is an error, never a silent false', (raw) => {
    expect(parseBoolean(raw).ok).toBe(false);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['10', 10_000],
    ['1.5s', 1500],
  ])('%s → %d ms', (raw, ms) => expect(parseDuration(raw)).toEqual({ ok: true, value: ms }));
  it.each(['', 'soon', '5 minutes', '-1s'])('%s is an error', (raw) => expect(parseDuration(raw).ok).toBe(false));
});

describe('precedence: flags > env > file > defaults', () => {
  const file = {
    path: '/etc/mailctl.config.json',
    data: { mailType: 'smtp', spool: { dir: '/from/file' }, smtp: { port: 2525, server: 'file.example.com' } },
  };

  it('takes defaults when nothing is set, and says so', () => {
    const { config, problems } = resolveConfig({ env: {} });
    expect(problems).toEqual([]);
    expect(config.values.mailType).toBe('file');
    expect(config.values['spool.dir']).toBe('.mailctl/spool');
    expect(describeSource(config.sources.mailType)).toBe('default');
    expect(describeSource(config.sources['smtp.server'])).toBe('not set');
  });

  it('file beats defaults; env beats file; flags beat env', () => {
    const { config } = resolveConfig({
      env: { SMTP_PORT: '587', MAILCTL_SPOOL_DIR: '/from/env' },
      file,
      flags: { 'spool.dir': { value: '/from/flag', flag: '--spool' } },
    });
    expect(config.values['smtp.server']).toBe('file.example.com');
    expect(describeSource(config.sources['smtp.server'])).toBe('/etc/mailctl.config.json (smtp.server)');
    expect(config.values['smtp.port']).toBe(587);
    expect(describeSource(config.sources['smtp.port'])).toBe('env SMTP_PORT');
    expect(config.values['spool.dir']).toBe('/from/flag');
    expect(describeSource(config.sources['spool.dir'])).toBe('flag --spool');
  });

  it('treats an empty env value (a Dify .env line like SMTP_USERNAME=) as unset', () => {
    const { config } = resolveConfig({ env: { SMTP_USERNAME: '', SMTP_PORT: ' ' }, file });
    expect(config.values['smtp.username']).toBeUndefined();
    expect(config.values['smtp.port']).toBe(2525);
  });

  it('a key with a default is present with nothing set; a bad value is an error and keeps the default', () => {
    const { config } = resolveConfig({ env: {} });
    // Typed as present: no `?? 200` or `?? '.mailctl/spool'` at the call sites.
    const present: [string, number, number] = [
      config.values['spool.dir'],
      config.values['monitor.threshold'],
      config.values['drain.concurrency'],
    ];
    expect(present).toEqual(['.mailctl/spool', 200, 5]);
    const bad = resolveConfig({ env: { MAILCTL_CONCURRENCY: 'many' } });
    expect(bad.config.values['drain.concurrency']).toBe(5);
    expect(describeSource(bad.config.sources['drain.concurrency'])).toBe('env MAILCTL_CONCURRENCY');
    expect(bad.problems).toEqual([expect.objectContaining({ key: 'MAILCTL_CONCURRENCY', severity: 'error' })]);
  });

  it('a flag the operator did not type overrides nothing', () => {
    const { config } = resolveConfig({ env: { MAILCTL_CONCURRENCY: '3' }, flags: {} });
    expect(config.values['drain.concurrency']).toBe(3);
  });

  it('a bad value is an error naming the key and its source, not a fallback to a lower source', () => {
    const { config, problems } = resolveConfig({ env: { SMTP_PORT: '70000' }, file });
    expect(config.values['smtp.port']).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({
        key: 'SMTP_PORT',
        severity: 'error',
        source: 'env SMTP_PORT',
        message: expect.stringContaining('out of range'),
      }),
    ]);
  });

  it('names a bad file value by its file key', () => {
    const { problems } = resolveConfig({ env: {}, file: { path: '/x.json', data: { smtp: { useTls: 'maybe' } } } });
    expect(problems[0]).toMatchObject({ key: 'SMTP_USE_TLS', source: '/x.json (smtp.useTls)' });
    expect(problems[0]!.message).toMatch(/^smtp\.useTls: "maybe" is not a boolean/);
  });

  it('accepts typed file values (numbers, booleans, arrays)', () => {
    const { config, problems } = resolveConfig({
      env: {},
      file: {
        path: '/x.json',
        data: { smtp: { useTls: true, port: 465 }, monitor: { alertEmails: ['a@example.com', 'b@example.com'] } },
      },
    });
    expect(problems).toEqual([]);
    expect(config.values['smtp.useTls']).toBe(true);
    expect(config.values['smtp.port']).toBe(465);
    expect(config.values['monitor.alertEmails']).toEqual(['a@example.com', 'b@example.com']);
  });

  it('accepts MAIL_TYPE in any case (Dify documents "sendGrid")', () => {
    expect(resolveConfig({ env: { MAIL_TYPE: 'sendGrid' } }).config.values.mailType).toBe('sendgrid');
  });

  it('lists the allowed values for an unknown MAIL_TYPE', () => {
    const { problems } = resolveConfig({ env: { MAIL_TYPE: 'mailgun' } });
    expect(problems[0]!.message).toContain('file, smtp, sendgrid, resend');
  });

  it('warns about unknown file keys and mistyped env names, with a suggestion', () => {
    const { problems } = resolveConfig({
      env: { SMTP_PASWORD: 'x' },
      file: { path: '/x.json', data: { smtp: { sever: 'a' } } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: 'smtp.sever',
          severity: 'warning',
          message: expect.stringContaining('did you mean "smtp.server"'),
        }),
        expect.objectContaining({
          key: 'SMTP_PASWORD',
          severity: 'warning',
          message: expect.stringContaining('did you mean SMTP_PASSWORD'),
        }),
      ]),
    );
  });

  it('refuses a config file that is not an object', () => {
    const { problems } = resolveConfig({ env: {}, file: { path: '/x.json', data: [1, 2] } });
    expect(problems[0]).toMatchObject({ severity: 'error', source: '/x.json' });
  });
});
