/**
 * enqueue, drain and queue render from precompiled templates: mjml (about 290 ms of start-up) is
 * never imported on their path. A module-resolve hook records every resolution of an mjml module.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../../helpers/cli.js';
import { makeOperatorDir } from '../../helpers/operator-dir.js';

const dir = tempDir('mailctl-spool-nomjml-');
writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  if (/^mjml($|[-/])/.test(spec)) appendFileSync(process.env.MJML_LOG, spec + '\\n');
  return next(spec, ctx);
}
`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
);

function run(
  args: string[],
  extraEnv: Record<string, string> = {},
): { status: number | null; stderr: string; loads: string[] } {
  const log = join(dir, 'mjml.log');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', MJML_LOG: log, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    status: r.status,
    stderr: r.stderr,
    loads: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [],
  };
}

describe('mjml stays off the spool path', () => {
  it.each([
    [['enqueue', 'reset-password', '--to', 'a@example.com', '--var', 'code=123456']],
    [['drain', '--json']],
    [['queue', 'status']],
  ])('%j does not import mjml', (args) => {
    const r = run(args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.loads).toEqual([]);
  });
});

describe('with MAILCTL_TEMPLATES_DIR, mjml stays off send, enqueue and drain', () => {
  const env = { MAILCTL_TEMPLATES_DIR: makeOperatorDir(tempDir('mailctl-nomjml-dir-')) };
  const digest = ['--var', 'userName=Ana', '--var', 'changes=2', '--var', 'digestUrl=https://example.com/d'];

  it('the first use compiles, and that is when mjml is loaded (the hook sees it)', () => {
    const r = run(['templates', 'build'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^mailctl: templates: compiled 1 type\(s\) of /);
    expect(r.loads).toContain('mjml');
  });

  it.each([
    [['send', 'weekly-digest', '--to', 'a@example.com', ...digest]],
    [['send', 'reset-password', '--to', 'a@example.com', '--var', 'code=123456']],
    [['enqueue', 'weekly-digest', '--to', 'a@example.com', ...digest]],
    [['drain', '--json']],
  ])('%j does not import mjml', (args) => {
    const r = run(args, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('compiled');
    expect(r.loads).toEqual([]);
  });
});
