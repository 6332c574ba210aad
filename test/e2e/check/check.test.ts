/** `mailctl check FILE.eml` end to end: the built binary, a clean env, a dns2 server for DKIM keys. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../src/message/types.js';
import { buildMime } from '../../../src/providers/mime.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startDns, type DnsHandle } from '../../helpers/dns-server.js';
import { KEY, ZONE } from '../../fixtures/dns/zone.js';

let dns: DnsHandle;
const cwd = tempDir('mailctl-check-');
const keyBody = KEY.privatePem.split('\n')[1]!;

const msg: OutgoingMessage = {
  from: { name: 'Example', address: 'no-reply@good.example' },
  to: [{ address: 'ops@example.net' }],
  subject: 'Reset your password',
  html: '<p>Reset: <a href="https://app.good.example/reset?t=1">reset</a></p>',
  text: 'Reset: https://app.good.example/reset?t=1\n',
  messageId: '<reset-1@good.example>',
  date: new Date('2026-12-01T21:00:00Z'),
  headers: { 'Auto-Submitted': 'auto-generated' },
  type: 'reset-password',
  category: 'code',
  lang: 'en-US',
};

beforeAll(async () => {
  dns = await startDns(ZONE);
  writeFileSync(
    join(cwd, 'good.eml'),
    await buildMime(msg, { dkim: { domainName: 'good.example', keySelector: 'mail', privateKey: KEY.privatePem } }),
  );
  writeFileSync(
    join(cwd, 'bad.eml'),
    await buildMime({
      ...msg,
      subject: 'Hello {{name}}',
      html: '<p><a href="http://localhost:3000/reset">reset</a></p>',
    }),
  );
  writeFileSync(join(cwd, 'dkim.pem'), KEY.privatePem);
  const signed = { dkim: { domainName: 'good.example', keySelector: 'mail', privateKey: KEY.privatePem } };
  writeFileSync(
    join(cwd, 'notice.eml'),
    await buildMime(
      {
        ...msg,
        subject: 'Your login email has been changed',
        type: 'change-email-completed',
        category: 'notification',
      },
      signed,
    ),
  );
  const unsubscribe = {
    'List-Unsubscribe': '<https://app.good.example/u?t=1>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
  writeFileSync(
    join(cwd, 'code-unsub.eml'),
    await buildMime({ ...msg, headers: { ...msg.headers, ...unsubscribe } }, signed),
  );
  writeFileSync(
    join(cwd, 'digest.eml'),
    await buildMime({ ...msg, subject: 'Some documents were cleaned up', headers: { ...msg.headers } }, signed),
  );
});
afterAll(async () => {
  await dns.close();
});

const env = (): Record<string, string> => ({
  MAILCTL_DNS_SERVERS: dns.server,
  DKIM_DOMAIN: 'good.example',
  DKIM_SELECTOR: 'mail',
  DKIM_PRIVATE_KEY_PATH: 'dkim.pem',
  MAIL_DEFAULT_SEND_FROM: 'no-reply@good.example',
});

describe('mailctl check', () => {
  it('a good signed message: exit 0, a line per finding, nothing on stderr', async () => {
    const r = await runCli(['check', 'good.eml'], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe('mailctl check: good.eml "Reset your password"');
    expect(r.stdout).toMatch(/^  ok +structure +multipart\/alternative with text\/plain and text\/html$/m);
    expect(r.stdout).toMatch(/^  ok +dkim +DKIM signature d=good\.example s=mail verifies against DNS$/m);
    expect(r.stdout).toMatch(
      /^  ok +dkim +DKIM signature d=good\.example s=mail verifies against the configured key \(offline\)$/m,
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe('ok: 0 errors, 0 warnings');
    expect(r.stdout + r.stderr).not.toContain(keyBody);
  });

  it('a bad message: exit 65, findings with fixes, the first error on stderr', async () => {
    const r = await runCli(['check', 'bad.eml'], { cwd, env: env() });
    expect(r.exitCode).toBe(65);
    expect(r.stdout).toMatch(/^  error +template +the subject has an unrendered template marker "\{\{name\}\}"$/m);
    expect(r.stdout).toMatch(/^  error +dkim +not DKIM-signed, though DKIM is configured/m);
    expect(r.stdout).toMatch(/^  warning links +link is not https: http:\/\/localhost:3000\/reset$/m);
    expect(r.stdout).toMatch(/^ +fix: /m);
    expect(r.stderr).toMatch(/^mailctl: bad\.eml: .* \(and \d+ more\)\nhint: /);
  });

  it('--json: {file, ok, exitCode, size, subject, findings}', async () => {
    const r = await runCli(['check', 'good.eml', '--json'], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as {
      file: string;
      ok: boolean;
      exitCode: number;
      size: number;
      subject: string;
      findings: { check: string; severity: string; message: string }[];
      queries?: unknown;
    };
    expect(json).toMatchObject({ file: join(cwd, 'good.eml'), ok: true, exitCode: 0, subject: 'Reset your password' });
    expect(json.size).toBeGreaterThan(500);
    expect(json.queries).toBeUndefined();
    expect(new Set(json.findings.map((f) => f.check))).toEqual(
      new Set(['structure', 'headers', 'subject', 'size', 'dkim', 'unsubscribe', 'template', 'links']),
    );
  });

  it('--debug shows the DKIM key query on stderr', async () => {
    const r = await runCli(['--debug', 'check', 'good.eml'], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^dns: TXT mail\._domainkey\.good\.example \(\d+ ms\) -> "v=DKIM1; k=rsa; p=MII/m);
  });

  it("--type settles List-Unsubscribe by the type's category", async () => {
    // a bare .eml cannot say what it is: a missing List-Unsubscribe is only information
    let r = await runCli(['check', 'digest.eml'], { cwd, env: env() });
    expect(r.stdout).toMatch(
      /^  info +unsubscribe +no List-Unsubscribe: right for codes and security mail; notifications need one$/m,
    );
    // an ordinary notification needs one
    r = await runCli(['check', 'digest.eml', '--type', 'document-clean-notify'], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^  warning unsubscribe +a notification without List-Unsubscribe/m);
    // a security notice must not have one, and needs none
    r = await runCli(['check', 'notice.eml', '--type', 'change-email-completed'], { cwd, env: env() });
    expect(r.stdout).toMatch(/^  info +unsubscribe +no List-Unsubscribe \(right for a security notice\)$/m);
    r = await runCli(['check', 'code-unsub.eml', '--type', 'reset-password'], { cwd, env: env() });
    expect(r.stdout).toMatch(
      /^  warning unsubscribe +List-Unsubscribe on code mail: nobody should be able to opt out of it$/m,
    );
    r = await runCli(['check', 'code-unsub.eml'], { cwd, env: env() });
    expect(r.stdout).not.toMatch(/opt out/);
  });

  it('an unknown --type is a usage error (64)', async () => {
    const r = await runCli(['check', 'good.eml', '--type', 'reset-passwd'], { cwd, env: env() });
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^mailctl: unknown mail type "reset-passwd"; did you mean reset-password\?\nhint: run `mailctl templates list`/,
    );
  });

  it('several files: each is reported, and the exit code is the worst result', async () => {
    const clean = await runCli(['check', 'good.eml', 'notice.eml', '--type', 'change-email-completed'], {
      cwd,
      env: env(),
    });
    const both = await runCli(['check', 'good.eml', 'bad.eml'], { cwd, env: env() });
    expect(both.exitCode).toBe(65);
    expect(both.stdout).toContain('good.eml');
    expect(both.stdout).toContain('bad.eml');
    expect(both.stderr).toMatch(/^mailctl: bad\.eml: /m);
    const missing = await runCli(['check', 'good.eml', 'nope.eml', '--json'], { cwd, env: env() });
    expect(missing.exitCode).toBe(64);
    expect(missing.stderr).toMatch(/^mailctl: cannot read nope\.eml: ENOENT\nhint: /m);
    const lines = missing.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ file: join(cwd, 'good.eml') });
    expect(clean.stdout).toContain('notice.eml');
  });

  it('a missing file is a usage error (64) with one sentence', async () => {
    const r = await runCli(['check', 'nope.eml'], { cwd, env: env() });
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mailctl: cannot read nope\.eml: ENOENT\nhint: /);
  });
});
