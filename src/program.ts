/**
 * The command tree. Every command and option is declared here; handlers (HANDLERS) are imported
 * lazily when their command runs, so `mailctl --help` and light commands never load mjml, nodemailer or SendGrid.
 * Config-backed options have no commander defaults: a flag the operator did not type overrides
 * nothing (flags > env > file > defaults).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppContext, GlobalOptions } from './context.js';
import { parseRate } from './config/validate.js';
import { parseMailbox } from './message/address.js';
import { ExitCode, UsageError } from './errors.js';
import type { CommandContext, EnvFileSource } from './commands/shared.js';
import { packageRoot } from './templates/store.js';

const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

function parsePositiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1)
      throw new InvalidArgumentError(`${name} takes a whole number of at least 1.`);
    return Number(value);
  };
}

/** A TCP port for listening: 0 (any free port) to 65535. */
function parseListenPort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('--port takes a port number from 0 (a free one) to 65535.');
  return Number(value);
}

function parseRateOption(value: string): string {
  if (parseRate(value) === undefined) throw new InvalidArgumentError('write it as N/s, N/m or N/h, e.g. 10/s.');
  return value;
}

function collectVar(value: string, previous: [string, string][] = []): [string, string][] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('write it as name=value.');
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}

/** `--alert-to a@x,b@y`: every address checked here, so a typo is a usage error (64), not a config one. */
function collectAddresses(value: string, previous: string[] = []): string[] {
  const list = collectList(value, previous);
  const bad = list.find((a) => !parseMailbox(a));
  if (bad !== undefined) throw new InvalidArgumentError(`${JSON.stringify(bad)} is not an e-mail address.`);
  return list;
}

function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

const examples = (lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

function addMessageOptions(cmd: Command): Command {
  return cmd
    .option('--lang <tag>', 'language (BCP 47), e.g. en-US, zh-CN; aliases such as zh-Hans and en-GB map to these')
    .option('--var <name=value>', 'set a template variable (repeatable)', collectVar)
    .option('--vars <file>', 'read template variables from a JSON object file');
}

/** A command's handler: the parsed command (`cmd.args`, `cmd.opts()`) and the run's context. */
type Handler = (cmd: Command, ctx: CommandContext) => Promise<number>;

/**
 * Every command's handler, imported only when that command runs (changesets' cli.ts habit), so
 * `mailctl --help` and light commands never load mjml, nodemailer or SendGrid.
 */
const HANDLERS = {
  'verify-config': async (cmd, ctx) => (await import('./commands/verify-config.js')).run(cmd.opts(), ctx),
  preview: async (cmd, ctx) => (await import('./commands/preview.js')).run(cmd.args[0], cmd.opts(), ctx),
  send: async (cmd, ctx) => (await import('./commands/send.js')).run(cmd.args[0]!, cmd.opts(), ctx),
  enqueue: async (cmd, ctx) => (await import('./commands/enqueue.js')).run(cmd.args[0]!, cmd.opts(), ctx),
  drain: async (cmd, ctx) => (await import('./commands/drain.js')).run(cmd.opts(), ctx),
  'queue status': async (cmd, ctx) => (await import('./commands/queue.js')).status(cmd.opts(), ctx),
  'queue list': async (cmd, ctx) => (await import('./commands/queue.js')).list(cmd.opts(), ctx),
  'queue show': async (cmd, ctx) => (await import('./commands/queue.js')).show(cmd.args[0]!, cmd.opts(), ctx),
  'queue delete': async (cmd, ctx) => (await import('./commands/queue.js')).remove(cmd.args, cmd.opts(), ctx),
  'queue retry': async (cmd, ctx) => (await import('./commands/queue.js')).retry(cmd.args[0], cmd.opts(), ctx),
  'queue hold': async (cmd, ctx) => (await import('./commands/queue.js')).hold(cmd.args, cmd.opts(), ctx),
  'queue release': async (cmd, ctx) => (await import('./commands/queue.js')).release(cmd.args, cmd.opts(), ctx),
  'queue purge': async (cmd, ctx) => (await import('./commands/queue.js')).purge(cmd.opts(), ctx),
  'queue monitor': async (cmd, ctx) => (await import('./commands/queue.js')).monitor(cmd.opts(), ctx),
  'spool migrate': async (cmd, ctx) => (await import('./commands/spool.js')).migrate(cmd.opts(), ctx),
  'templates list': async (cmd, ctx) => (await import('./commands/templates.js')).list(cmd.opts(), ctx),
  'templates check': async (cmd, ctx) => (await import('./commands/templates.js')).check(cmd.opts(), ctx),
  'templates build': async (cmd, ctx) => (await import('./commands/templates.js')).build(cmd.opts(), ctx),
  'templates init': async (cmd, ctx) => (await import('./commands/templates.js')).init(cmd.args[0], cmd.opts(), ctx),
  check: async (cmd, ctx) => (await import('./commands/check.js')).run(cmd.args, cmd.opts(), ctx),
} satisfies Record<string, Handler>;

/** A command as the operator types it, e.g. `queue status`. */
export type CommandName = keyof typeof HANDLERS;

/** Every command, in the order of `mailctl --help`. */
export const COMMANDS = Object.keys(HANDLERS) as readonly CommandName[];

/** Each command's `--help` Examples: test/e2e/ergonomics/help-examples.test.ts runs every one as written. */
const EXAMPLES: Record<CommandName, string[]> = {
  'verify-config': [
    'mailctl verify-config',
    'mailctl verify-config --connect',
    'MAIL_TYPE=smtp SMTP_SERVER=smtp.example.com SMTP_PORT=587 mailctl verify-config --json',
  ],
  preview: [
    'mailctl preview reset-password',
    'mailctl preview invite-member --lang zh-CN --var inviter_name=Ana --open',
    'mailctl preview email-code-login --format text',
    'mailctl preview --serve --port 8025',
  ],
  send: [
    'mailctl send reset-password --lang zh-CN --to ops@example.com',
    'mailctl send invite-member --to new@example.com --var inviter_name=Ana --dry-run',
    'MAIL_TYPE=smtp mailctl send email-code-login --to me@example.com --json',
  ],
  enqueue: [
    'mailctl enqueue reset-password --to user@example.com --var code=123456',
    'mailctl enqueue invite-member --to new@example.com --lang zh-CN --vars invite.json',
  ],
  drain: [
    'mailctl drain',
    'mailctl drain --concurrency 10 --rate 20/s',
    'mailctl drain --watch',
    'mailctl drain --workers 4 --rate 100/s',
    'mailctl drain --flush --json',
  ],
  'queue status': ['mailctl queue status', 'mailctl queue status --json', 'mailctl queue status --format prometheus'],
  'queue list': ['mailctl queue list', 'mailctl queue list --state dead --json'],
  'queue show': [
    'mailctl queue show 01JFQ5K3M8ZR4T6V9X2B7C1D0E',
    'mailctl queue show 01jfq5k3m8zr4t6v9x2b7c1d0e --json',
  ],
  'queue delete': ['mailctl queue delete 01JFQ5K3M8ZR4T6V9X2B7C1D0E 01JFQ5K3M8ZR4T6V9X2B7C1D0F'],
  'queue retry': ['mailctl queue retry --all', 'mailctl queue retry 01JFQ5K3M8ZR4T6V9X2B7C1D0E'],
  'queue hold': [
    'mailctl queue hold 01JFQ5K3M8ZR4T6V9X2B7C1D0E',
    'mailctl queue hold --all --type invite-member --state deferred',
  ],
  'queue release': [
    'mailctl queue release 01JFQ5K3M8ZR4T6V9X2B7C1D0E',
    'mailctl queue release --all --type invite-member',
  ],
  'queue purge': [
    'mailctl queue purge --state dead --older-than 7d --dry-run',
    'mailctl queue purge --state corrupt --json',
  ],
  'queue monitor': [
    'mailctl queue monitor --threshold 200 --alert-to ops@example.com,oncall@example.com',
    'mailctl queue monitor --alert-to ops@example.com --cooldown 30m --json',
  ],
  'spool migrate': [
    'mailctl spool migrate --to redis://127.0.0.1:6379/0',
    'MAILCTL_SPOOL_URL=redis://127.0.0.1:6379/0 mailctl spool migrate --to file:.mailctl/spool --json',
  ],
  'templates list': ['mailctl templates list', 'mailctl templates list --json'],
  'templates check': ['mailctl templates check', 'MAILCTL_TEMPLATES_DIR=mail-templates mailctl templates check --json'],
  'templates build': ['MAILCTL_TEMPLATES_DIR=mail-templates mailctl templates build'],
  'templates init': [
    'mailctl templates init mail-templates --from reset-password',
    'mailctl templates init mail-templates --type weekly-digest',
  ],
  check: [
    'mailctl check .mailctl/outbox/*.eml',
    'mailctl check message.eml --type change-email-completed --json',
    'mailctl send reset-password --to me@example.com --dry-run --check',
  ],
};

/** What commander made of one command line: the command, its operands and options. */
export interface ParsedCommand {
  command: CommandName;
  args: string[];
  opts: Record<string, unknown>;
  /** `--config`, `--env-file`, `--debug`. */
  globals: GlobalOptions;
}

export interface ProgramOptions {
  /** Runs in place of the command's handler (the argv → options table test); returns the exit code. */
  dispatch?: (parsed: ParsedCommand, cmd: Command, ctx: CommandContext) => Promise<number>;
}

const runHandler: NonNullable<ProgramOptions['dispatch']> = (parsed, cmd, ctx) => HANDLERS[parsed.command](cmd, ctx);

/** `queue status` for the `status` command under `queue`. */
function nameOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(HANDLERS, name);
}

export const TOP_LEVEL = [
  'verify-config',
  'preview',
  'send',
  'enqueue',
  'drain',
  'queue',
  'spool',
  'templates',
  'check',
];

/**
 * The top-level command a command line surely names: its first word that is not an option (nor
 * the value of a global option), if that is a command's name and nothing asks for help.
 * Otherwise undefined: every command is declared, for help and for commander's suggestions.
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  if (argv.some((a) => a === 'help' || a === '--help' || a === '-h')) return undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--config' || word === '--env-file') i++;
    else if (!word.startsWith('-')) return TOP_LEVEL.includes(word) ? word : undefined;
  }
  return undefined;
}

export interface ProgramResult {
  exitCode: number;
}

/** Runs one command line. Returns the exit code; throws MailctlError (or a bug) for cli.ts to report. */
export async function runProgram(
  argv: readonly string[],
  app: AppContext,
  options: ProgramOptions = {},
): Promise<number> {
  const result: ProgramResult = { exitCode: ExitCode.OK };
  const program = new Command('mailctl');
  // --env-file is read once, before the action, and layered beneath the real environment.
  let envFile: { env: AppContext['env']; source: EnvFileSource } | undefined;
  const ctxOf = (cmd: Command): CommandContext => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const base = { ...app, debug: g.debug === true, configPath: g.config };
    return envFile ? { ...base, env: envFile.env, envFile: envFile.source } : base;
  };
  const dispatch = options.dispatch ?? runHandler;
  // Only the command the line names is declared (declaring every command's options costs ~1.5 ms
  // of CPU per start); help, an unknown command or none get every command.
  const named = commandNamed(argv);
  const wants = (name: string): boolean => named === undefined || named === name;

  program
    .description("The operator's tool for transactional mail: verify, preview, send, spool and drain.")
    .version(pkg.version, '-V, --version')
    .option('--config <path>', 'read this config file instead of searching the working directory')
    .option('--env-file <path>', 'read a dotenv file (a Dify .env) beneath the real environment')
    .option('--debug', 'show stack traces, protocol transcripts and resolved configuration (secrets masked)')
    .hook('preAction', async (_root, action) => {
      const path = action.optsWithGlobals<GlobalOptions>().envFile;
      if (path === undefined) return;
      const { readEnvFile, layerEnvFile } = await import('./config/env-file.js');
      const layered = layerEnvFile(app.env, await readEnvFile(path, app.cwd));
      envFile = { env: layered.env, source: { path, names: layered.fromFile } };
    })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => app.io.out(s),
      writeErr: (s) => app.io.err(s),
      // Commander's own error lines are re-thrown as UsageError and printed once by cli.ts.
      outputError: () => {},
    })
    .addHelpText(
      'after',
      examples([
        'mailctl verify-config --connect',
        'mailctl preview invite-member --lang zh-CN --open',
        'mailctl send reset-password --lang zh-CN --to ops@example.com',
        'mailctl drain --watch',
        'mailctl drain --workers 4 --rate 100/s',
        'mailctl queue status --json',
      ]),
    );

  if (wants('verify-config')) {
    program
      .command('verify-config')
      .description('check the provider configuration; with --connect, really connect and log in')
      .option('--connect', 'connect to the provider: SMTP greeting, EHLO, TLS, AUTH, MAIL FROM; SendGrid key scopes')
      .option('--dns', "check SPF, DKIM, DMARC and MX of the sender's domain")
      .option('--json', 'print one JSON object');
  }

  if (wants('preview')) {
    addMessageOptions(program.command('preview').argument('[type]', 'mail type (see `mailctl templates list`)'))
      .description('render a mail without sending it: to stdout, a browser, or a live gallery')
      .addOption(new Option('--format <format>', 'output format').choices(['html', 'text', 'eml', 'json']))
      .option('--no-brand', 'render the white-label variant (no default product brand)')
      .option('--open', 'write the page to a temporary file and open it in the browser ($BROWSER honoured)')
      .option('--serve', 'serve a gallery of every type and language on 127.0.0.1, with live reload')
      .option('--port <n>', 'port for --serve (default: a free one)', parseListenPort);
  }

  if (wants('send')) {
    addMessageOptions(program.command('send').argument('<type>', 'mail type (see `mailctl templates list`)'))
      .description('send one mail of any type now through the configured provider')
      .requiredOption('--to <addr>', 'recipient address')
      .option('--from <addr>', 'sender for this mail (default: MAIL_DEFAULT_SEND_FROM)')
      .option('--dry-run', 'render, validate and print the MIME message; send nothing')
      .option('--check', 'with --dry-run: lint the message as `mailctl check` does')
      .option('--queue', 'put it into the spool instead of sending (as `enqueue`)')
      .option('--priority <n>', 'with --queue: lower is sooner (as `enqueue`)', parsePositiveInt('--priority'))
      .option('--ttl <duration>', 'with --queue: give up if not delivered within this time, e.g. 10m')
      .option('--spool <dir>', 'with --queue: spool directory (MAILCTL_SPOOL_DIR)')
      .option('--json', "print the provider's answer as JSON")
      .option('--transcript', 'print the SMTP dialogue on stderr, as swaks does (AUTH masked); --debug does too');
  }

  if (wants('enqueue')) {
    addMessageOptions(program.command('enqueue').argument('<type>', 'mail type (see `mailctl templates list`)'))
      .description('write one job into the spool for `drain` to deliver')
      .requiredOption('--to <addr>', 'recipient address')
      .option('--from <addr>', 'sender for this mail (default: MAIL_DEFAULT_SEND_FROM)')
      .option(
        '--priority <n>',
        'lower is sooner (default: by category: codes 1, notifications 5, alerts 9)',
        parsePositiveInt('--priority'),
      )
      .option(
        '--ttl <duration>',
        "give up if not delivered within this time, e.g. 10m (default: the type's own for codes)",
      )
      .option('--spool <dir>', 'spool directory (MAILCTL_SPOOL_DIR)')
      .option('--json', 'print the job id and path as JSON');
  }

  if (wants('drain')) {
    program
      .command('drain')
      .description('deliver every job that is due in the spool, with retries, backoff and dead letters')
      .option('--spool <dir>', 'spool directory (MAILCTL_SPOOL_DIR)')
      .option(
        '--concurrency <n>',
        'deliveries in flight at once (MAILCTL_CONCURRENCY)',
        parsePositiveInt('--concurrency'),
      )
      .option(
        '--max-attempts <n>',
        'attempts before a job goes to dead (MAILCTL_MAX_ATTEMPTS)',
        parsePositiveInt('--max-attempts'),
      )
      .option('--rate <n/s>', 'global rate limit, e.g. 10/s or 600/m (MAILCTL_RATE)', parseRateOption)
      .option('--flush', 'also try deferred jobs whose next attempt is not due yet (as postqueue -f)')
      .option(
        '--workers <n>',
        'processes sharing the spool (default: one per CPU in a file spool, never more than the due jobs; --concurrency, the pool and --rate are divided among them)',
        parsePositiveInt('--workers'),
      )
      .addOption(
        new Option('--as-worker', 'run as one worker of `drain --workers` (stops when its parent dies)').hideHelp(),
      )
      .option('--watch', 'keep delivering new jobs until SIGINT or SIGTERM')
      .option('--json', 'print the summary as JSON');
  }

  if (wants('queue')) {
    const queue = program.command('queue').description('show and manage the spool (as postqueue and postsuper do)');
    const spoolOption = (c: Command): Command => c.option('--spool <dir>', 'spool directory (MAILCTL_SPOOL_DIR)');
    spoolOption(queue.command('status'))
      .description('counts per state, the age of the oldest job, counts per type')
      .option('--json', 'print JSON (the same as --format json)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'prometheus']));
    spoolOption(queue.command('list'))
      .description('list jobs (JSON lines with --json, as postqueue -j)')
      .option('--state <state>', 'only this state: incoming, active, deferred, hold, dead, corrupt')
      .option('--json', 'one JSON object per line');
    spoolOption(queue.command('show').argument('<id>', 'job id (any case)'))
      .description(
        'one job: envelope, headers, attempts with each provider reply, next attempt, expiry (as postcat -q)',
      )
      .option('--json', 'print one JSON object');
    spoolOption(queue.command('delete').argument('<id...>', 'job ids (any case)')).description(
      'delete jobs by id, in any state but active (as postsuper -d)',
    );
    spoolOption(queue.command('retry').argument('[id]', 'job id (any case)'))
      .description('make a deferred or dead job due now (as postqueue -i / postsuper -r)')
      .option('--all', 'every deferred and dead job');
    const selectOptions = (c: Command, states: string): Command =>
      spoolOption(c)
        .option('--all', 'every job that fits (narrowed by --type and --state)')
        .option('--type <type>', 'with --all: only this mail type')
        .option('--state <state>', `with --all: only this state (${states})`);
    selectOptions(queue.command('hold').argument('[id...]', 'job ids (any case)'), 'incoming or deferred').description(
      'put jobs on hold: drain leaves them alone (as postsuper -h)',
    );
    selectOptions(queue.command('release').argument('[id...]', 'job ids (any case)'), 'hold').description(
      'release held jobs; a job that is not held is left as it is (as postsuper -H)',
    );
    spoolOption(queue.command('purge'))
      .description('delete every job of a state (as postsuper -d ALL STATE)')
      .requiredOption('--state <state>', 'state to purge, e.g. dead or corrupt')
      .option('--older-than <duration>', 'only jobs older than this, e.g. 7d')
      .option('--dry-run', 'count what would be deleted; delete nothing')
      .option('--json', 'print the count as JSON');
    spoolOption(queue.command('monitor'))
      .description('alert by mail when the backlog reaches a threshold; exits 75 while it is over')
      .option('--threshold <n>', 'backlog that triggers the alert (QUEUE_MONITOR_THRESHOLD)')
      .option('--alert-to <addrs>', 'comma-separated recipients (QUEUE_MONITOR_ALERT_EMAILS)', collectAddresses)
      .option('--cooldown <duration>', 'least time between alerts (MAILCTL_MONITOR_COOLDOWN)')
      .option('--json', 'print the result as JSON');
  }

  if (wants('spool')) {
    const spool = program.command('spool').description('move the spool between backends (file, Redis)');
    spool
      .command('migrate')
      .description('move every job, with its state, attempts and history, to another spool; safe to run again')
      .requiredOption('--to <url>', 'target spool: redis://host:6379/0, rediss://…, or file:DIR')
      .option('--spool <dir>', 'source file spool directory (MAILCTL_SPOOL_DIR), when MAILCTL_SPOOL_URL is not set')
      .option('--json', 'print the summary as JSON');
  }

  if (wants('templates')) {
    const templates = program.command('templates').description('list, check, build and start mail templates');
    templates.command('list').description('types, languages, variables and category').option('--json', 'print JSON');
    templates
      .command('check')
      .description('CI: every type x language x brand renders; exit 78 on problems')
      .option('--json', 'print JSON');
    templates
      .command('build')
      .description('compile MAILCTL_TEMPLATES_DIR into .mailctl/compiled now (else done on first use)');
    templates
      .command('init')
      .argument('[dir]', 'the directory to create (default: mail-templates)')
      .description('start your own template directory (MAILCTL_TEMPLATES_DIR)')
      .option('--from <type>', 'copy this built-in type (its body and strings) to change its wording')
      .option('--type <id>', 'the id of the new type written without --from (default: welcome-note)');
  }

  if (wants('check')) {
    program
      .command('check')
      .argument('<file...>', '.eml files')
      .description('lint messages: structure, headers, DKIM, List-Unsubscribe, links; exits with the worst result')
      .option(
        '--type <type>',
        'the mail type it is (e.g. reset-password): List-Unsubscribe is then checked against its category',
      )
      .option('--json', 'print JSON');
  }

  // Every leaf command gets its examples and one action: dispatch by name to its handler.
  const leaves = (c: Command): Command[] => (c.commands.length === 0 ? [c] : c.commands.flatMap(leaves));
  for (const leaf of program.commands.flatMap(leaves)) {
    const name = nameOf(leaf);
    if (!isCommandName(name)) throw new Error(`no handler for the command ${name}`);
    leaf.addHelpText('after', examples(EXAMPLES[name]));
    leaf.action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const parsed: ParsedCommand = {
        command: name,
        args: cmd.args,
        opts: cmd.opts(),
        globals: program.opts<GlobalOptions>(),
      };
      result.exitCode = await dispatch(parsed, cmd, ctxOf(cmd));
    });
  }

  try {
    // `mailctl -v` prints the version as -V does (what most tools answer to; commander takes one flag).
    const args = argv[0] === '-v' ? ['-V', ...argv.slice(1)] : [...argv];
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.OK;
    // `mailctl help send` asked for help (0); a bare `mailctl` gets it instead of a command (64).
    if (err.code === 'commander.help' && err.exitCode === 0) return ExitCode.OK;
    if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') {
      return ExitCode.USAGE;
    }
    const message = err.message.replace(/^error: /, '');
    throw new UsageError(message, { hint: 'run `mailctl --help` (or `mailctl COMMAND --help`) for usage', cause: err });
  }
  return result.exitCode;
}
