/**
 * The one error model. Every failure that mailctl expects is a {@link MailctlError} carrying a
 * sysexits exit code (as sendmail and Postfix use them); anything else is a bug and exits 70.
 * Only `cli.ts` turns an error into an exit code.
 */

/** sysexits.h codes used by mailctl (see the README's exit-code table). */
export const ExitCode = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  TEMPFAIL: 75,
  PROTOCOL: 76,
  NOPERM: 77,
  CONFIG: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface MailctlErrorOptions {
  /** The next step for the operator, printed after `hint:`. */
  hint?: string | undefined;
  /** Extra lines shown with `--debug` only. */
  detail?: string | undefined;
  cause?: unknown;
}

export class MailctlError extends Error {
  /** A stable machine-readable code, e.g. `config.invalid`. */
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly detail: string | undefined;

  constructor(code: string, exitCode: ExitCode, message: string, options: MailctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.detail = options.detail;
  }
}

/** 64: unknown command, option, type or language; a missing required option. */
export class UsageError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'usage') {
    super(code, ExitCode.USAGE, message, options);
  }
}

/** 65: bad input data: invalid address, missing template variable, header injection. */
export class DataError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'data') {
    super(code, ExitCode.DATAERR, message, options);
  }
}

/** 78: the configuration is invalid or a command cannot start with it. */
export class ConfigError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'config') {
    super(code, ExitCode.CONFIG, message, options);
  }
}

/** 69: a service cannot be reached (connect, DNS, TLS) or refused permanently. */
export class UnavailableError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'unavailable') {
    super(code, ExitCode.UNAVAILABLE, message, options);
  }
}

/** 75: a temporary failure; trying again later may succeed. */
export class TemporaryError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'temporary') {
    super(code, ExitCode.TEMPFAIL, message, options);
  }
}

/** 76: the peer answered something the protocol does not allow. */
export class ProtocolError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'protocol') {
    super(code, ExitCode.PROTOCOL, message, options);
  }
}

/** 77: authentication was refused (SMTP 535, HTTP 401/403). */
export class AuthError extends MailctlError {
  constructor(message: string, options?: MailctlErrorOptions, code = 'auth') {
    super(code, ExitCode.NOPERM, message, options);
  }
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

  constructor(message: string, options: DeliveryErrorOptions, code = 'delivery') {
    super(code, options.exitCode, message, options);
    this.kind = options.kind;
    this.reply = options.reply;
    this.retryAfterMs = options.retryAfterMs;
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/** The exit code for any thrown value: a MailctlError's own, else 70 (a bug in mailctl). */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof MailctlError ? err.exitCode : ExitCode.SOFTWARE;
}
