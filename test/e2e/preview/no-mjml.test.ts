// `preview` (and `send`, `drain` through renderEmail) render precompiled HTML: mjml must never be
// imported on that path. A module-resolve hook records every resolution of `mjml`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../../helpers/cli.js';

const dir = tempDir('mailctl-nomjml-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function resolvedMjml(args: string[]): { status: number | null; loads: string[] } {
  const log = join(dir, `mjml-${args.join('-').replace(/[^a-z-]/gi, '')}.log`);
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  if (spec === 'mjml' || spec.startsWith('mjml-') || spec.startsWith('mjml/')) appendFileSync(process.env.MJML_LOG, spec + '\\n');
  return next(spec, ctx);
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', MJML_LOG: log },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, loads: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [] };
}

describe('mjml stays off the rendering path', () => {
  it.each([
    [['preview', 'reset-password']],
    [['preview', 'invite-member', '--lang', 'zh-CN', '--format', 'json']],
    [['templates', 'list']],
  ])('%j does not import mjml', (args) => {
    const r = resolvedMjml(args);
    expect(r.status).toBe(0);
    expect(r.loads).toEqual([]);
  });

  it('the hook does see mjml where it is used (templates check)', () => {
    const r = resolvedMjml(['templates', 'check']);
    expect(r.status).toBe(0);
    expect(r.loads).toContain('mjml');
  });
});
