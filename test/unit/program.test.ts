/**
 * The CLI surface in-process (changesets' cli.test.ts habit): every command line goes through the
 * real commander program, and a stand-in for the handlers records what it would have been given.
 * Spawning the binary is kept for what needs a process (exit codes end to end, signals, stdio).
 */
import { describe, expect, it } from 'vitest';
import { systemClock, type AppContext } from '../../src/context.js';
import { UsageError } from '../../src/errors.js';
import { commandNamed, COMMANDS, runProgram, TOP_LEVEL, type ParsedCommand } from '../../src/program.js';

function app(): AppContext & { printed: () => string } {
  let printed = '';
  const write = (s: string): void => void (printed += s);
  return {
    env: {},
    cwd: '/nonexistent/mailctl-program-test',
    io: { out: write, err: write, outIsTTY: false, errIsTTY: false },
    clock: systemClock(),
    random: () => 0.5,
    pid: 4242,
    hostname: 'test-host',
    signal: new AbortController().signal,
    printed: () => printed,
  };
}

/** What the command line parses to; no handler runs. */
async function parse(argv: string[]): Promise<{ exitCode: number; parsed: ParsedCommand | undefined }> {
  let parsed: ParsedCommand | undefined;
  const exitCode = await runProgram(argv, app(), {
    dispatch: async (p) => {
      parsed = p;
      return 0;
    },
  });
  return { exitCode, parsed };
}

type Row = [line: string, command: ParsedCommand['command'], args: string[], opts: Record<string, unknown>];

// One row or more per command: each option in its parsed, normalised form (numbers, lists, pairs).
const TABLE: Row[] = [
  ['verify-config', 'verify-config', [], {}],
  ['verify-config --connect --dns --json', 'verify-config', [], { connect: true, dns: true, json: true }],
  // --no-brand gives commander's one default: brand is true unless the flag is typed.
  ['preview', 'preview', [], { brand: true }],
  [
    'preview invite-member --lang zh-CN --var a=1 --var b=x=y --vars v.json --format text --no-brand --open',
    'preview',
    ['invite-member'],
    {
      lang: 'zh-CN',
      var: [
        ['a', '1'],
        ['b', 'x=y'],
      ],
      vars: 'v.json',
      format: 'text',
      brand: false,
      open: true,
    },
  ],
  ['preview --serve --port 0', 'preview', [], { brand: true, serve: true, port: 0 }],
  ['send reset-password --to ops@example.com', 'send', ['reset-password'], { to: 'ops@example.com' }],
  [
    'send invite-member --to a@x.io --from b@y.io --dry-run --check --queue --priority 3 --ttl 10m --spool sp --json --transcript --lang ja-JP',
    'send',
    ['invite-member'],
    {
      to: 'a@x.io',
      from: 'b@y.io',
      dryRun: true,
      check: true,
      queue: true,
      priority: 3,
      ttl: '10m',
      spool: 'sp',
      json: true,
      transcript: true,
      lang: 'ja-JP',
    },
  ],
  [
    'enqueue reset-password --to u@example.com --var code=1 --priority 2 --ttl 5m --spool sp --json --from f@example.com',
    'enqueue',
    ['reset-password'],
    {
      to: 'u@example.com',
      var: [['code', '1']],
      priority: 2,
      ttl: '5m',
      spool: 'sp',
      json: true,
      from: 'f@example.com',
    },
  ],
  // Config-backed options have no commander defaults: a flag not typed is absent, not a default.
  ['drain', 'drain', [], {}],
  [
    'drain --spool sp --concurrency 4 --max-attempts 3 --rate 10/s --flush --workers 2 --as-worker --watch --json',
    'drain',
    [],
    {
      spool: 'sp',
      concurrency: 4,
      maxAttempts: 3,
      rate: '10/s',
      flush: true,
      workers: 2,
      asWorker: true,
      watch: true,
      json: true,
    },
  ],
  ['queue status', 'queue status', [], {}],
  [
    'queue status --json --format prometheus --spool sp',
    'queue status',
    [],
    { json: true, format: 'prometheus', spool: 'sp' },
  ],
  ['queue list --state dead --json --spool sp', 'queue list', [], { state: 'dead', json: true, spool: 'sp' }],
  ['queue show 01ABC --json', 'queue show', ['01ABC'], { json: true }],
  ['queue delete 01A 01B', 'queue delete', ['01A', '01B'], {}],
  ['queue retry', 'queue retry', [], {}],
  ['queue retry 01A --all', 'queue retry', ['01A'], { all: true }],
  ['queue hold 01A 01B', 'queue hold', ['01A', '01B'], {}],
  [
    'queue hold --all --type invite-member --state deferred',
    'queue hold',
    [],
    { all: true, type: 'invite-member', state: 'deferred' },
  ],
  ['queue release --all --state hold --spool sp', 'queue release', [], { all: true, state: 'hold', spool: 'sp' }],
  [
    'queue purge --state dead --older-than 7d --dry-run --json',
    'queue purge',
    [],
    { state: 'dead', olderThan: '7d', dryRun: true, json: true },
  ],
  [
    'queue monitor --threshold 200 --alert-to a@x.io,b@y.io --alert-to c@z.io --cooldown 30m --json',
    'queue monitor',
    [],
    { threshold: '200', alertTo: ['a@x.io', 'b@y.io', 'c@z.io'], cooldown: '30m', json: true },
  ],
  [
    'spool migrate --to redis://127.0.0.1:6379/0 --spool sp --json',
    'spool migrate',
    [],
    { to: 'redis://127.0.0.1:6379/0', spool: 'sp', json: true },
  ],
  ['templates list --json', 'templates list', [], { json: true }],
  ['templates check --json', 'templates check', [], { json: true }],
  ['templates build', 'templates build', [], {}],
  ['templates init', 'templates init', [], {}],
  [
    'templates init tpl --from reset-password --type weekly-digest',
    'templates init',
    ['tpl'],
    { from: 'reset-password', type: 'weekly-digest' },
  ],
  [
    'check a.eml b.eml --type reset-password --json',
    'check',
    ['a.eml', 'b.eml'],
    { type: 'reset-password', json: true },
  ],
];

describe('argv → parsed command, for every command', () => {
  it.each(TABLE)('%s', async (line, command, args, opts) => {
    const { exitCode, parsed } = await parse(line.split(' '));
    expect(exitCode).toBe(0);
    expect(parsed).toEqual({ command, args, opts, globals: {} });
  });

  it('the table has a row for every command the program declares', () => {
    const covered = new Set(TABLE.map(([, command]) => command));
    expect(COMMANDS.filter((c) => !covered.has(c))).toEqual([]);
  });

  it('global options, before or after the command, reach the handler as globals', async () => {
    expect((await parse(['--config', 'c.json', '--debug', 'queue', 'status'])).parsed).toEqual({
      command: 'queue status',
      args: [],
      opts: {},
      globals: { config: 'c.json', debug: true },
    });
    expect((await parse(['queue', 'status', '--config', 'c.json'])).parsed?.globals).toEqual({ config: 'c.json' });
  });
});

describe('command lines that never reach a handler', () => {
  it.each([
    ['send reset-password --to a@x.io --priority 0', /--priority takes a whole number of at least 1/],
    ['drain --concurrency two', /--concurrency takes a whole number of at least 1/],
    ['drain --rate fast', /write it as N\/s, N\/m or N\/h/],
    ['preview --port 70000', /--port takes a port number from 0/],
    ['preview --var novalue', /write it as name=value/],
    ['preview --format pdf', /argument 'pdf' is invalid/],
    ['queue monitor --alert-to ops@', /"ops@" is not an e-mail address/],
    ['send reset-password', /required option '--to <addr>' not specified/],
    ['send --to a@x.io', /missing required argument 'type'/],
    ['drain --bogus', /unknown option '--bogus'/],
    ['bogus', /unknown command 'bogus'/],
  ])('%s: a usage error (64) with one line', async (line, message) => {
    const err = await parse(line.split(' ')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(64);
    expect((err as UsageError).message).toMatch(message);
    expect((err as UsageError).message).not.toContain('\n');
  });

  it.each([
    ['--help', 0],
    ['send --help', 0],
    ['help', 0],
    ['-V', 0],
    ['-v', 0],
    ['queue', 64],
    ['', 64],
  ])('%j prints and exits %i without running a command', async (line, code) => {
    const ctx = app();
    let ran = false;
    const exitCode = await runProgram(line === '' ? [] : line.split(' '), ctx, {
      dispatch: async () => {
        ran = true;
        return 0;
      },
    });
    expect([exitCode, ran]).toEqual([code, false]);
    expect(ctx.printed()).not.toBe('');
  });
});

describe('only the command a line names is declared (start-up)', () => {
  it.each([
    ['send reset-password --to a@x.io', 'send'],
    ['--config c.json --debug queue status', 'queue'],
    ['--env-file .env templates list', 'templates'],
    ['--debug verify-config --json', 'verify-config'],
    ['send --help', undefined],
    ['help send', undefined],
    ['queue status -h', undefined],
    ['bogus', undefined],
    ['--config send', undefined],
    ['', undefined],
  ])('%j → %s', (line, expected) => {
    expect(commandNamed(line === '' ? [] : line.split(' '))).toBe(expected);
  });

  it('the top-level names are exactly those of the declared commands', () => {
    expect([...TOP_LEVEL].sort()).toEqual([...new Set(COMMANDS.map((c) => c.split(' ')[0]))].sort());
  });

  it('an unknown command still gets suggestions from every command', async () => {
    const err = await parse(['sned']).catch((e: unknown) => e);
    expect((err as UsageError).message).toMatch(/unknown command 'sned'\s+\(Did you mean send\?\)/);
  });
});
