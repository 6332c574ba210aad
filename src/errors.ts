/**
 * The one error model. Every failure that mailctl expects is a {@link MailctlError} carrying a
 * sysexits exit code (as sendmail and Postfix use them); anything else is a bug and exits 70.
 * Only `cli.ts` turns an error into an exit code.
 */

import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** sysexits.h codes used by mailctl (see the README's exit-code table). */
export const ExitCode = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CANTCREAT: 73,
  IOERR: 74,
  TEMPFAIL: 75,
  PROTOCOL: 76,
  NOPERM: 77,
  CONFIG: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Every error code mailctl throws, in one table (as nodemailer's lib/errors.js): the exit code it
 * carries and when it is used. A code is `family` or `family.detail`; a detail code carries its
 * family's exit code. `MailctlError` accepts only these codes, so a new one is added here first.
 * `test/unit/errors.test.ts` checks the table against the classes that throw each code.
 */
export const ERROR_CODES = {
  usage: { exit: ExitCode.USAGE, means: 'a bad command line: unknown command or option, a missing argument' },
  'usage.type': { exit: ExitCode.USAGE, means: 'an unknown mail type' },
  'usage.language': { exit: ExitCode.USAGE, means: 'an unknown or unsupported language' },
  'usage.option': { exit: ExitCode.USAGE, means: 'options that cannot be used together' },
  data: { exit: ExitCode.DATAERR, means: 'bad input data' },
  'data.address': { exit: ExitCode.DATAERR, means: 'a sender or recipient address that does not parse' },
  'data.variable': { exit: ExitCode.DATAERR, means: 'a template variable missing or of the wrong kind' },
  'data.subject': { exit: ExitCode.DATAERR, means: 'a template rendered an empty subject' },
  'data.date': { exit: ExitCode.DATAERR, means: 'the message date is not a date' },
  'data.message-id': { exit: ExitCode.DATAERR, means: 'a Message-ID that is not <local@domain>' },
  'data.unsubscribe': { exit: ExitCode.DATAERR, means: 'a List-Unsubscribe target that is not a URL' },
  'data.header-injection': { exit: ExitCode.DATAERR, means: 'CR or LF in a header value' },
  'data.header-name': { exit: ExitCode.DATAERR, means: 'a header name that is not a token' },
  'data.header-reserved': { exit: ExitCode.DATAERR, means: 'a header mailctl sets itself' },
  'data.mjml': { exit: ExitCode.DATAERR, means: 'an MJML template that does not compile' },
  'data.job': { exit: ExitCode.DATAERR, means: 'a spool job that is unknown or cannot be read' },
  'data.size': { exit: ExitCode.DATAERR, means: 'a job larger than MAILCTL_MAX_JOB_SIZE' },
  config: { exit: ExitCode.CONFIG, means: 'the configuration is invalid for this command' },
  'config.invalid': { exit: ExitCode.CONFIG, means: 'verify-config found errors' },
  'config.branding': { exit: ExitCode.CONFIG, means: 'a branding value that cannot be used' },
  'config.templates': { exit: ExitCode.CONFIG, means: 'MAILCTL_TEMPLATES_DIR, or a file in it, cannot be used' },
  unavailable: { exit: ExitCode.UNAVAILABLE, means: 'a service cannot be reached, or refused permanently' },
  'unavailable.browser': { exit: ExitCode.UNAVAILABLE, means: 'no browser could be launched' },
  'unavailable.listen': { exit: ExitCode.UNAVAILABLE, means: 'the preview server cannot listen' },
  temporary: { exit: ExitCode.TEMPFAIL, means: 'a temporary failure; later may succeed' },
  protocol: { exit: ExitCode.PROTOCOL, means: 'the peer answered outside its protocol' },
  auth: { exit: ExitCode.NOPERM, means: 'authentication was refused' },
  'fs.full': { exit: ExitCode.TEMPFAIL, means: 'the disk or quota is full' },
  'fs.busy': { exit: ExitCode.TEMPFAIL, means: 'too many open files, or a busy file' },
  'fs.create': { exit: ExitCode.CANTCREAT, means: 'a file or directory cannot be created or used' },
  'fs.io': { exit: ExitCode.IOERR, means: 'the disk failed a read or write' },
  'fs.access': { exit: ExitCode.NOPERM, means: 'the operating system refused access' },
  // The exit code of these follows the provider's answer (69, 75, 76 or 77): see providers/classify.ts.
  delivery: { exit: 'classified', means: "a delivery failed; the provider's words are on the error" },
  'delivery.transient': {
    exit: 'classified',
    means: 'a delivery failed for a reason that may pass (75, or 69 unreachable)',
  },
  'delivery.permanent': { exit: 'classified', means: 'a delivery the provider refused for good' },
  probe: { exit: 'classified', means: 'a verify-config --connect stage failed' },
  wire: { exit: ExitCode.PROTOCOL, means: "the SMTP probe's reader: timeout, close, socket error or bad reply" },
  dns: { exit: ExitCode.TEMPFAIL, means: 'a DNS query failed (not an empty answer)' },
} as const satisfies Record<string, { exit: ExitCode | 'classified'; means: string }>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

export interface MailctlErrorOptions {
  /** The next step for the operator, printed after `hint:`. */
  hint?: string | undefined;
  /** Extra lines shown with `--debug` only. */
  detail?: string | undefined;
  cause?: unknown;
}

export class MailctlError extends Error {
  /** A stable machine-readable code from {@link ERROR_CODES}, e.g. `config.invalid`. */
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, exitCode: ExitCode, message: string, options: MailctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.detail = options.detail;
  }
}

/**
 * The base of the errors below: one exit code, and a default code from {@link ERROR_CODES} that a
 * thrower may narrow (`new UsageError(msg, { hint }, 'usage.type')`).
 */
export function mailctlErrorKind(exitCode: ExitCode, defaultCode: ErrorCode) {
  return class extends MailctlError {
    constructor(message: string, options?: MailctlErrorOptions, code: ErrorCode = defaultCode) {
      super(code, exitCode, message, options);
    }
  };
}

/** 64: unknown command, option, type or language; a missing required option. */
export class UsageError extends mailctlErrorKind(ExitCode.USAGE, 'usage') {}

/** 65: bad input data: invalid address, missing template variable, header injection. */
export class DataError extends mailctlErrorKind(ExitCode.DATAERR, 'data') {}

/** 78: the configuration is invalid or a command cannot start with it. */
export class ConfigError extends mailctlErrorKind(ExitCode.CONFIG, 'config') {}

/** 69: a service cannot be reached (connect, DNS, TLS) or refused permanently. */
export class UnavailableError extends mailctlErrorKind(ExitCode.UNAVAILABLE, 'unavailable') {}

/** 75: a temporary failure; trying again later may succeed. */
export class TemporaryError extends mailctlErrorKind(ExitCode.TEMPFAIL, 'temporary') {}

/** 76: the peer answered something the protocol does not allow. */
export class ProtocolError extends mailctlErrorKind(ExitCode.PROTOCOL, 'protocol') {}

/** 77: authentication was refused (SMTP 535, HTTP 401/403). */
export class AuthError extends mailctlErrorKind(ExitCode.NOPERM, 'auth') {}

/** 73: the spool, outbox or another output cannot be created or written (not a directory, read-only). */
export class CannotCreateError extends mailctlErrorKind(ExitCode.CANTCREAT, 'fs.create') {}

/** 74: the disk failed a read or write (EIO). */
export class IoError extends mailctlErrorKind(ExitCode.IOERR, 'fs.io') {}

/** 77: the operating system refused access to a file or directory (EACCES, EPERM). */
export class AccessError extends mailctlErrorKind(ExitCode.NOPERM, 'fs.access') {}

/** errno codes of a file-system fault: the machine's, never a bug in mailctl. */
const FS_ERRNO = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'EISDIR',
  'EIO',
  'ELOOP',
  'EMFILE',
  'ENFILE',
  'ENAMETOOLONG',
  'EEXIST',
  'ENOENT',
  'EBUSY',
  'ETXTBSY',
  'EFBIG',
]);

/** Whether a thrown value is a Node file-system error (has an errno code we map). */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    FS_ERRNO.has((err as NodeJS.ErrnoException).code!) &&
    typeof (err as NodeJS.ErrnoException).syscall === 'string'
  );
}

/**
 * A file-system error → one sentence naming the path and the fix, with the contract's exit code:
 * disk full 75, permission 77, cannot create (read-only, not a directory) 73, EIO 74.
 * `what` names the thing, e.g. `the spool directory`; `path` defaults to the error's own path.
 */
export function fileSystemError(err: NodeJS.ErrnoException, what: string, path = err.path ?? '?'): MailctlError {
  err = realMkdirError(err);
  const options = { cause: err, detail: `${err.syscall ?? 'fs'} ${err.code}: ${err.message}` };
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new TemporaryError(
        `cannot write ${what} ${path}: the disk is full (${err.code})`,
        {
          ...options,
          hint: 'free space on that file system (or raise the quota), then run the command again; nothing was lost',
        },
        'fs.full',
      );
    case 'EMFILE':
    case 'ENFILE':
    case 'EBUSY':
    case 'ETXTBSY':
      return new TemporaryError(
        `cannot open ${what} ${path}: ${err.code}`,
        { ...options, hint: 'too many open files or the file is busy; try again, or raise the limit (ulimit -n)' },
        'fs.busy',
      );
    case 'EACCES':
    case 'EPERM':
      return new AccessError(`permission denied on ${what} ${path} (${err.code})`, {
        ...options,
        hint: `run as the user that owns ${path}, or change its owner or mode (chown/chmod)`,
      });
    case 'EIO':
      return new IoError(`the disk failed a ${err.syscall ?? 'read or write'} on ${what} ${path} (EIO)`, {
        ...options,
        hint: 'check the disk and the kernel log (dmesg); the job files were not changed',
      });
    case 'EROFS':
      return new CannotCreateError(`cannot write ${what} ${path}: the file system is read-only`, {
        ...options,
        hint: 'point mailctl at a writable directory, or remount the file system read-write',
      });
    case 'ENOTDIR':
      return new CannotCreateError(`cannot use ${what} ${path}: a part of the path is a file, not a directory`, {
        ...options,
        hint: 'remove or rename that file, or choose another directory',
      });
    case 'EISDIR':
      return new CannotCreateError(`cannot use ${what} ${path}: it is a directory, not a file`, {
        ...options,
        hint: 'name a file, not a directory',
      });
    case 'ELOOP':
      return new CannotCreateError(
        `cannot use ${what} ${path}: too many symbolic links, or a link where none is followed`,
        { ...options, hint: 'replace the link with the real file or directory' },
      );
    case 'ENAMETOOLONG':
      return new CannotCreateError(`cannot use ${what} ${path}: the path is too long`, {
        ...options,
        hint: 'choose a shorter path',
      });
    case 'EEXIST':
      return new CannotCreateError(`cannot create ${what} ${path}: something else already exists there`, {
        ...options,
        hint: 'remove it or choose another path',
      });
    default:
      return new CannotCreateError(`cannot use ${what} ${path}: ${err.code ?? err.message}`, {
        ...options,
        hint: 'check that the path exists and is a directory you can write',
      });
  }
}

/**
 * Node's recursive mkdir reports ENOENT when the real cause is EROFS, EACCES, etc. (it stats the
 * path after the failed mkdir). Makes the first missing directory once more, non-recursively, to
 * learn the real cause; removes it again if that mkdir succeeds. Any other error is returned as is.
 */
function realMkdirError(err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (err.code !== 'ENOENT' || err.syscall !== 'mkdir' || typeof err.path !== 'string') return err;
  let missing = err.path;
  while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
  try {
    mkdirSync(missing);
  } catch (again) {
    const code = (again as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'EEXIST' ? err : (again as NodeJS.ErrnoException);
  }
  rmdirSync(missing);
  return err;
}

/** Whether retrying a failed delivery later can succeed. */
export type FailureKind = 'transient' | 'permanent';

/** What a provider said, kept on the error so that it can be printed and stored in the spool. */
export interface ProviderReply {
  provider: string;
  /** SMTP reply code (e.g. 451) */
  responseCode?: number | undefined;
  /** SMTP enhanced status code (e.g. `4.7.1`) */
  enhancedStatus?: string | undefined;
  /** The provider's own words: the SMTP reply line or the HTTP error messages. */
  reply?: string | undefined;
  /** The SMTP command that got the reply (e.g. `RCPT TO`). */
  command?: string | undefined;
  /** HTTP status */
  status?: number | undefined;
  /** Socket or library error code (e.g. `ECONNREFUSED`, `ETIMEDOUT`). */
  errno?: string | undefined;
}

export interface DeliveryErrorOptions extends MailctlErrorOptions {
  kind: FailureKind;
  exitCode: ExitCode;
  reply: ProviderReply;
  /** How long the provider asked us to wait (HTTP 429 reset, SMTP 421), in milliseconds. */
  retryAfterMs?: number | undefined;
}

/** A delivery that failed, classified by `providers/classify.ts`; `send` and `drain` share it. */
export class DeliveryError extends MailctlError {
  readonly kind: FailureKind;
  readonly reply: ProviderReply;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: DeliveryErrorOptions, code: ErrorCode = 'delivery') {
    super(code, options.exitCode, message, options);
    this.kind = options.kind;
    this.reply = options.reply;
    this.retryAfterMs = options.retryAfterMs;
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/**
 * A `verify-config --connect` stage that failed: the sentence, the next step, the exit code of the
 * contract (69 unreachable, 75 temporary, 76 protocol, 77 auth) and what to show as the stage's reply.
 */
export class ProbeFailure extends MailctlError {
  /** What to show as the failed stage's reply (the server's words, or the socket error). */
  readonly reply: string | undefined;
  constructor(exitCode: ExitCode, message: string, hint?: string, reply?: string) {
    super('probe', exitCode, message, { hint });
    this.reply = reply;
  }
}

/** Why a wait on the SMTP wire ended without a reply. */
export type WireFailureKind = 'timeout' | 'closed' | 'error' | 'aborted' | 'protocol';

/** The SMTP probe's reader gave up; the probe maps it to a {@link ProbeFailure} for the stage. */
export class WireError extends MailctlError {
  readonly kind: WireFailureKind;
  /** The socket error's code, e.g. `ECONNRESET`. */
  readonly errno: string | undefined;
  constructor(kind: WireFailureKind, message: string, errno?: string) {
    super('wire', ExitCode.PROTOCOL, message);
    this.kind = kind;
    this.errno = errno;
  }
}

/** A DNS query that failed (SERVFAIL, timeout, refused): not the same as an empty answer. */
export class DnsLookupError extends MailctlError {
  /** The resolver's code, e.g. `ESERVFAIL`, `ETIMEOUT`. */
  readonly rcode: string;
  constructor(rcode: string, message: string) {
    super('dns', ExitCode.TEMPFAIL, message);
    this.rcode = rcode;
  }
}

/** The exit code for any thrown value: a MailctlError's own, else 70 (a bug in mailctl). */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof MailctlError) return err.exitCode;
  // A file-system fault that escaped a domain module is still the machine's, not a bug.
  if (isFileSystemError(err)) return fileSystemError(err, 'a file').exitCode;
  return ExitCode.SOFTWARE;
}
