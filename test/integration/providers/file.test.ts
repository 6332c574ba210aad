/** The file provider: one .eml per message, atomically, into the outbox relative to the cwd. */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { DeliveryError } from '../../../src/errors.js';
import { composeMessage } from '../../../src/message/compose.js';
import { emlFileName } from '../../../src/providers/file.js';
import { createProvider, LOCAL_SENDER, senderFor } from '../../../src/providers/index.js';
import { tempDir } from '../../helpers/cli.js';

const clock = { now: () => Date.now(), sleep: async () => {} };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function cwd(): string {
  const d = tempDir('mailctl-file-');
  dirs.push(d);
  return d;
}

const msg = (from = LOCAL_SENDER) =>
  composeMessage({
    rendered: {
      type: 'reset-password',
      lang: 'zh-CN',
      subject: '重置您的 Dify 密码',
      html: '<p>验证码 492817</p>',
      text: '验证码 492817\n',
      category: 'code',
    },
    to: 'ops@example.com',
    from,
    date: new Date('2026-12-01T10:00:00Z'),
  });

describe('file provider', () => {
  // oneShot (`mailctl send`): the same steps as blocking calls, without Node's thread pool.
  it.each([[false], [true]])(
    'is the default: writes one parseable .eml into .mailctl/outbox under the cwd (oneShot %s)',
    async (oneShot) => {
      const dir = cwd();
      const config = resolveConfig({ env: {} }).config;
      expect(senderFor(config)).toBe(LOCAL_SENDER);
      const provider = await createProvider(config, { cwd: dir, clock, oneShot });
      expect(provider.name).toBe('file');
      const m = msg(senderFor(config));
      const delivery = await provider.send(m);
      await provider.close();

      expect(delivery.path).toBe(join(dir, '.mailctl', 'outbox', emlFileName(m)));
      expect(delivery.path).toMatch(/20261201T100000Z-reset-password-.*\.eml$/);
      expect(readdirSync(join(dir, '.mailctl', 'outbox'))).toEqual([emlFileName(m)]); // no temp file left behind
      const parsed = await simpleParser(readFileSync(delivery.path!));
      expect(parsed.subject).toBe('重置您的 Dify 密码');
      expect(parsed.messageId).toBe(m.messageId);
      expect(parsed.from?.text).toContain('no-reply@localhost');
      expect(parsed.text).toContain('492817');
    },
  );

  it('honours MAILCTL_OUTBOX_DIR, relative to the cwd or absolute', async () => {
    const dir = cwd();
    const rel = await createProvider(resolveConfig({ env: { MAILCTL_OUTBOX_DIR: 'out/mail' } }).config, {
      cwd: dir,
      clock,
    });
    expect((await rel.send(msg())).path?.startsWith(join(dir, 'out', 'mail'))).toBe(true);
    const abs = join(cwd(), 'abs');
    const absProvider = await createProvider(resolveConfig({ env: { MAILCTL_OUTBOX_DIR: abs } }).config, {
      cwd: dir,
      clock,
    });
    expect((await absProvider.send(msg())).path?.startsWith(abs)).toBe(true);
  });

  it('a sender is required for real providers, not for file', () => {
    expect(() => senderFor(resolveConfig({ env: { MAIL_TYPE: 'smtp' } }).config)).toThrow(
      /MAIL_DEFAULT_SEND_FROM is required/,
    );
    expect(senderFor(resolveConfig({ env: { MAIL_TYPE: 'smtp' } }).config, 'me@example.com')).toBe('me@example.com');
    expect(senderFor(resolveConfig({ env: { MAIL_DEFAULT_SEND_FROM: 'a@example.com' } }).config)).toBe('a@example.com');
  });

  it.each([[false], [true]])(
    'an outbox path under a file is a DeliveryError (73, cannot create) naming the directory (oneShot %s)',
    async (oneShot) => {
      const dir = cwd();
      const provider = await createProvider(resolveConfig({ env: { MAILCTL_OUTBOX_DIR: 'blocker/outbox' } }).config, {
        cwd: dir,
        clock,
        oneShot,
      });
      writeFileSync(join(dir, 'blocker'), 'not a directory');
      const err = await provider.send(msg()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).exitCode).toBe(73);
      expect((err as DeliveryError).message).toContain(join(dir, 'blocker'));
      expect((err as DeliveryError).message).toMatch(/not a directory/);
    },
  );
});
