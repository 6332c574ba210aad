/**
 * The fault suite as a list: one entry per row of the README's "Failure modes" table (matched by
 * the start of its first cell), the test files that show it, and how the fault is made there:
 * `real` (a real server that redirects, trickles or echoes credentials; a real tmpfs, /dev/full,
 * FIFO, symlink, chmod + uid 65534, read-only mount; a real config file, signal or umask) or
 * `injected` (an errno or a value handed to the code, where this machine cannot make the fault).
 * `root` says what needs root; without it those tests skip and print why (`SKIPPED …: not root`).
 * test/unit/fault-suite.test.ts keeps this list, the table and the figure under it in step.
 */
export type Made = 'real' | 'injected';

export interface Fault {
  row: string;
  made: Made;
  tests: string[];
  root?: string;
}

const NOT_ROOT_UID = 'to run the binary as uid 65534';
const NOT_ROOT_MOUNT = 'to mount a tmpfs';

export const FAULTS: Fault[] = [
  { row: 'a `drain --workers` worker is killed', made: 'real', tests: ['e2e/spool/workers.test.ts'] },
  {
    row: 'SendGrid/Resend answers a redirect',
    made: 'real',
    tests: ['e2e/send/http-acceptance.test.ts', 'unit/providers/classify.test.ts'],
  },
  {
    row: 'SendGrid answers anything but 202',
    made: 'real',
    tests: ['e2e/send/http-acceptance.test.ts', 'integration/providers/http-providers.test.ts'],
  },
  {
    row: 'A request to `preview --serve` with a `Host`',
    made: 'real',
    tests: ['integration/preview/serve.test.ts', 'unit/preview/loopback-host.test.ts'],
  },
  {
    row: 'HTTP 429 (or SMTP 421) asking for an absurd wait',
    made: 'real',
    tests: ['e2e/spool/retry-after.test.ts', 'unit/spool/after-failure.test.ts', 'unit/providers/classify.test.ts'],
  },
  {
    row: 'An SMTP server that trickles',
    made: 'real',
    tests: ['e2e/deadlines.test.ts', 'unit/providers/deadline.test.ts', 'integration/providers/smtp-pipelined.test.ts'],
  },
  {
    row: 'the SMTP server closes an idle `drain` connection',
    made: 'real',
    tests: ['integration/providers/smtp-pipelined.test.ts'],
  },
  {
    row: 'the SMTP connection is lost (a close, or a `421`) after',
    made: 'real',
    tests: ['integration/providers/smtp-pipelined.test.ts', 'integration/providers/smtp.test.ts'],
  },
  { row: 'A SendGrid/Resend answer trickled', made: 'real', tests: ['e2e/deadlines.test.ts'] },
  {
    row: 'SIGTERM/SIGINT while a delivery is stuck',
    made: 'real',
    tests: ['e2e/deadlines.test.ts', 'unit/spool/shutdown.test.ts'],
  },
  {
    row: 'the SMTP server quotes the credentials',
    made: 'real',
    tests: ['e2e/secrets.test.ts', 'unit/config/redact.test.ts'],
  },
  { row: 'a config file that runs code', made: 'real', tests: ['e2e/config-files.test.ts'] },
  { row: 'cosmiconfig meta-config', made: 'real', tests: ['e2e/config-files.test.ts'] },
  {
    row: 'a config file in the working directory that the user cannot',
    made: 'real',
    tests: ['e2e/config-files.test.ts'],
    root: NOT_ROOT_UID,
  },
  { row: 'a config file with `$import`', made: 'real', tests: ['e2e/config-files.test.ts'] },
  { row: 'a YAML config file whose aliases expand', made: 'real', tests: ['e2e/config-files.test.ts'] },
  {
    row: 'a config file with a syntax error',
    made: 'real',
    tests: ['e2e/config-files.test.ts', 'unit/config/load.test.ts'],
  },
  { row: 'the reader of stdout goes away', made: 'real', tests: ['e2e/terminal.test.ts'] },
  { row: 'stdout on a full disk or a failing device', made: 'real', tests: ['e2e/output-full.test.ts'] },
  {
    row: 'stdout is a non-blocking pipe that fills up',
    made: 'real',
    tests: ['e2e/terminal.test.ts', 'unit/output/fd-writer.test.ts'],
  },
  {
    row: 'a drain with a progress bar ends any way at all',
    made: 'real',
    tests: ['e2e/terminal.test.ts', 'unit/output/terminal.test.ts'],
  },
  {
    row: 'a url variable with a line break',
    made: 'real',
    tests: ['e2e/url-variable.test.ts', 'unit/templates/render.test.ts'],
  },
  {
    row: 'a duration too long to count in milliseconds',
    made: 'injected',
    tests: ['unit/config/parse.property.test.ts'],
  },
  {
    row: 'a password that contains `@` in a spool URL',
    made: 'injected',
    tests: ['unit/config/redact.test.ts', 'unit/config/spool-url.test.ts'],
  },
  {
    row: 'a spool URL whose user name or password has a `%`',
    made: 'injected',
    tests: ['unit/config/spool-url.property.test.ts'],
  },
  {
    row: 'A configuration value with CR, LF or NUL',
    made: 'real',
    tests: ['e2e/config-injection.test.ts', 'unit/config/line-breaks.test.ts'],
  },
  {
    row: 'disk full (ENOSPC, EDQUOT) while `drain` rewrites',
    made: 'real',
    tests: ['e2e/spool/disk-full.test.ts', 'unit/durable-write.test.ts'],
    root: NOT_ROOT_MOUNT,
  },
  { row: 'disk full while enqueueing', made: 'real', tests: ['e2e/spool/disk-full.test.ts'], root: NOT_ROOT_MOUNT },
  { row: 'a FIFO, a directory named `*.json`', made: 'real', tests: ['e2e/spool/bad-entries.test.ts'] },
  {
    row: 'the spool belongs to another user',
    made: 'real',
    tests: ['e2e/spool/fs-errors.test.ts'],
    root: NOT_ROOT_UID,
  },
  { row: 'the spool path is a file', made: 'real', tests: ['e2e/spool/fs-errors.test.ts'] },
  {
    row: "the spool's file system is read-only (EROFS)",
    made: 'real',
    tests: ['e2e/spool/fs-errors.test.ts'],
    root: NOT_ROOT_MOUNT,
  },
  { row: 'the disk fails a read or write (EIO)', made: 'injected', tests: ['unit/errors.test.ts'] },
  {
    row: 'the outbox (`MAILCTL_OUTBOX_DIR`) cannot be written',
    made: 'real',
    tests: ['e2e/spool/fs-errors.test.ts'],
    root: NOT_ROOT_UID,
  },
  { row: '`--config` names a directory (EISDIR)', made: 'real', tests: ['e2e/spool/fs-errors.test.ts'] },
  { row: 'the spool directory does not exist', made: 'real', tests: ['e2e/spool/fs-errors.test.ts'] },
  { row: 'a job bigger than `MAILCTL_MAX_JOB_SIZE`', made: 'real', tests: ['e2e/spool/bad-entries.test.ts'] },
  { row: 'a job field with control characters', made: 'real', tests: ['e2e/spool/job-fields.test.ts'] },
  {
    row: 'a job whose `createdAt` lies in the future',
    made: 'real',
    tests: ['e2e/spool/job-fields.test.ts', 'e2e/spool/future-ttl-umask.test.ts'],
  },
  {
    row: 'disk full while the `file` provider writes',
    made: 'real',
    tests: ['e2e/spool/disk-full.test.ts'],
    root: NOT_ROOT_MOUNT,
  },
  {
    row: 'a permissive umask',
    made: 'real',
    tests: ['e2e/send/outbox-mode.test.ts', 'e2e/spool/future-ttl-umask.test.ts'],
  },
  { row: '`--env-file PATH` does not exist', made: 'real', tests: ['e2e/ergonomics/env-file.test.ts'] },
  {
    row: '`--env-file PATH` cannot be read (EACCES)',
    made: 'real',
    tests: ['e2e/ergonomics/env-file.test.ts'],
    root: NOT_ROOT_UID,
  },
  { row: 'a value with surrounding whitespace', made: 'real', tests: ['e2e/ergonomics/env-file.test.ts'] },
  {
    row: 'the OAuth2 token endpoint refuses the credentials',
    made: 'real',
    tests: ['e2e/send/send-oauth2.test.ts', 'integration/providers/smtp-oauth2.test.ts'],
  },
  {
    row: 'the OAuth2 token endpoint cannot be reached',
    made: 'real',
    tests: ['integration/providers/smtp-oauth2.test.ts'],
  },
  {
    row: 'the OAuth2 token endpoint answers HTTP 5xx',
    made: 'real',
    tests: ['integration/providers/smtp-oauth2.test.ts', 'unit/providers/classify.test.ts'],
  },
  { row: 'the OAuth2 token endpoint redirects', made: 'injected', tests: ['unit/providers/classify.test.ts'] },
  {
    row: 'the SMTP server refuses the access token',
    made: 'real',
    tests: ['integration/providers/smtp-oauth2.test.ts'],
  },
  { row: 'an access token lapses during a long `drain`', made: 'real', tests: ['e2e/spool/drain-oauth2.test.ts'] },
  {
    row: '`MAILCTL_TEMPLATES_DIR` missing or not a directory',
    made: 'real',
    tests: ['e2e/templates/operator-dir.test.ts'],
  },
  {
    row: 'template directory: types file, MJML or locale file broken',
    made: 'real',
    tests: ['e2e/templates/operator-dir.test.ts'],
  },
  {
    row: 'template directory edited during a drain',
    made: 'real',
    tests: ['e2e/spool/no-mjml.test.ts', 'e2e/templates/operator-dir.test.ts'],
  },
];

/** The sentence under the README's "Failure modes" heading: the suite as a figure. */
export function faultFigure(faults: readonly Fault[] = FAULTS): string {
  const real = faults.filter((f) => f.made === 'real').length;
  const rootOnly = faults.filter((f) => f.root !== undefined);
  const needs = [...new Set(rootOnly.map((f) => f.root))].join(', or ');
  return (
    `**${faults.length} faults, each shown by a test**: ${real} made for real, ` +
    `${faults.length - real} injected; ${rootOnly.length} need root (${needs}) ` +
    `and, run as another user, skip with a printed reason.`
  );
}
