// The start-up build (scripts/bundle.js, bin/load-cli.js): one CommonJS bundle with V8's code
// cache. What it must not change: heavy packages load only on the path that uses them, --debug
// stack traces name src/ files, and the code cache written by the build is the one V8 accepts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';

const dir = tempDir('mailctl-start-up-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Both loaders: the bundle require()s the packages its modules import statically, and import()s
// the ones its modules import lazily (mjml, cosmiconfig, …); each hook logs the package names.
writeFileSync(
  join(dir, 'require-log.cjs'),
  `process.on('exit', () => require('node:fs').appendFileSync(process.env.LOAD_LOG,
  Object.keys(require.cache).map((f) => f + '\\n').join('')));\n`,
);
writeFileSync(
  join(dir, 'import-hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  appendFileSync(process.env.LOAD_LOG, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  join(dir, 'import-log.mjs'),
  `import { register } from 'node:module';\nregister('./import-hooks.mjs', import.meta.url);\n`,
);

/** The npm packages (by name) a command loaded from node_modules. */
function packagesLoaded(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; packages: string[] } {
  const log = join(dir, `load-${args.join('-').replace(/[^a-z-]/gi, '')}.log`);
  rmSync(log, { force: true });
  const r = spawnSync(
    process.execPath,
    ['-r', join(dir, 'require-log.cjs'), '--import', join(dir, 'import-log.mjs'), '--', BIN, ...args],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', LOAD_LOG: log, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  const names = lines
    .map((l) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  return { status: r.status, packages: [...new Set(names)].sort() };
}

/** Packages only some commands need: never loaded by the commands below that do not. */
const OPTIONAL = ['playwright-core', 'bullmq', 'ioredis', 'mailauth', 'mailparser', '@sendgrid/mail', 'tldts'];

describe('start-up: the bundle loads only what a command uses', () => {
  it.each([[['--help']], [['verify-config']], [['preview', 'reset-password', '--lang', 'zh-CN']]])(
    '%j loads nothing from node_modules',
    (args) => {
      const r = packagesLoaded(args);
      expect(r.status).toBe(0);
      expect(r.packages).toEqual([]);
    },
  );

  it.each([[['templates', 'list']], [['queue', 'status']]])(
    '%j loads at most yaml (an operator types file)',
    (args) => {
      const r = packagesLoaded(args);
      expect(r.status).toBe(0);
      expect(r.packages.filter((p) => p !== 'yaml')).toEqual([]);
    },
  );

  it('send through the file provider loads nothing from node_modules (the MIME helpers are bundled)', () => {
    const r = packagesLoaded(['send', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456'], {
      MAILCTL_OUTBOX_DIR: join(dir, 'outbox'),
      MAIL_DEFAULT_SEND_FROM: 'a@example.com',
    });
    expect(r.status).toBe(0);
    expect(r.packages).toEqual([]);
  });

  it('send through smtp loads nodemailer (the bundle require()s it: that hook is listening)', () => {
    // port 1 on loopback: refused at once, exit 69
    const r = packagesLoaded(['send', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456'], {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: '1',
      MAIL_DEFAULT_SEND_FROM: 'a@example.com',
    });
    expect(r.status).toBe(69);
    expect(r.packages).toContain('nodemailer');
    expect(r.packages.filter((p) => OPTIONAL.includes(p))).toEqual([]);
  });

  it('drain through smtp loads nothing from node_modules (it sends with its own client, not nodemailer)', () => {
    const env = {
      MAIL_TYPE: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: '1',
      MAIL_DEFAULT_SEND_FROM: 'a@example.com',
      MAILCTL_SPOOL_DIR: join(dir, 'spool'),
    };
    const queued = packagesLoaded(['enqueue', 'reset-password', '--to', 'user@example.com', '--var', 'code=1'], env);
    expect(queued.status).toBe(0);
    // port 1 on loopback: refused at once, the job deferred
    const r = packagesLoaded(['drain', '--json'], env);
    expect(r.status).not.toBeNull();
    expect(r.packages).toEqual([]);
  });

  it('templates check loads mjml (through import(): that hook is listening too), and nothing optional', () => {
    const r = packagesLoaded(['templates', 'check']);
    expect(r.status).toBe(0);
    expect(r.packages).toContain('mjml');
    expect(r.packages.filter((p) => OPTIONAL.includes(p))).toEqual([]);
  });
});

// Node's own modules a command loaded, as process.moduleLoadList has them ("NativeModule net").
writeFileSync(
  join(dir, 'builtin-log.cjs'),
  `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOAD_LOG,
  process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join('\\n')));\n`,
);

/**
 * Node's built-in modules a command loaded, its stdout and stderr on /dev/null (a pipe or a
 * terminal loads node:net for itself).
 */
function builtinsLoaded(args: string[]): { status: number | null; builtins: string[] } {
  const log = join(dir, `builtins-${args.join('-').replace(/[^a-z-]/gi, '')}.log`);
  rmSync(log, { force: true });
  const r = spawnSync(process.execPath, ['-r', join(dir, 'builtin-log.cjs'), '--', BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', LOAD_LOG: log },
    stdio: 'ignore',
    timeout: 60_000,
  });
  return { status: r.status, builtins: existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [] };
}

/** Built-ins that cost 1.5–3 ms of CPU each to load, which these commands do not need. */
const COSTLY_BUILTINS = ['net', 'tty', 'fs/promises', 'crypto'];
/** What Node's stdout or stderr stream loads when first touched (~1.5–3 ms of CPU). */
const STREAMS = ['stream', 'internal/streams/writable', 'internal/fs/sync_write_stream'];

describe('start-up: Node built-ins', () => {
  it.each([[['verify-config']], [['preview', 'reset-password', '--lang', 'zh-CN']]])(
    '%j loads neither node:net, node:tty, node:fs/promises nor node:crypto',
    (args) => {
      const r = builtinsLoaded(args);
      expect(r.status).toBe(0);
      expect(r.builtins).toContain('vm');
      expect(r.builtins.filter((b) => COSTLY_BUILTINS.includes(b))).toEqual([]);
      // stdout and stderr are written with write(2) (src/output/fd-writer.ts); /dev/null is no terminal
      expect(r.builtins.filter((b) => STREAMS.includes(b))).toEqual([]);
    },
  );

  it('send through the file provider loads none of them either, nor any stream module', () => {
    const r = builtinsLoaded(['send', 'reset-password', '--to', 'user@example.com', '--var', 'code=123456']);
    expect(r.status).toBe(0);
    expect(r.builtins).toContain('vm');
    expect(r.builtins.filter((b) => COSTLY_BUILTINS.includes(b))).toEqual([]);
    // stdout and stderr are written with write(2) (src/output/fd-writer.ts): no Node stream at all
    expect(r.builtins.filter((b) => STREAMS.includes(b))).toEqual([]);
  });
});

describe('start-up: the build output', () => {
  it('the code cache written by the build is accepted by this Node', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { loadCli } = await import(${JSON.stringify(join(ROOT, 'bin', 'load-cli.js'))});
const { script } = await loadCli();
console.log(JSON.stringify({ script: script !== undefined, rejected: script?.cachedDataRejected }));`,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ script: true, rejected: false });
  });

  it('--debug stack traces name the src/ files (source maps), not the bundle', () => {
    const r = spawnSync(process.execPath, ['--', BIN, 'send', 'no-such-type', '--to', 'a@example.com', '--debug'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/at requireMailType \(.*src\/templates\/catalog\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toContain('mailctl.cjs');
  });

  it('the published files hold the bundle, its loader and its cache', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const f of ['bin/mailctl.js', 'bin/load-cli.js', 'dist/cli/mailctl.cjs', 'dist/cli/mailctl.cjs.v8-cache']) {
      expect(existsSync(join(ROOT, f))).toBe(true);
      expect(pkg.files.some((p) => f === p || f.startsWith(`${p}/`))).toBe(true);
    }
  });
});
