/**
 * The errors of the pipelined client, in the shape nodemailer's SMTP connection gives them
 * (`code`, `response`, `responseCode`, `command`, `originalCode`; the reply appended to the message),
 * so that classify.ts turns the same server behaviour into the same DeliveryError — exit code,
 * kind, retry-after, hint and words — whichever client met it.
 */

export interface SmtpFailure extends Error {
  /** nodemailer's error class: EENVELOPE, EMESSAGE, EAUTH, ETLS, EPROTOCOL, ECONNECTION, ESOCKET, ETIMEDOUT. */
  code: string;
  /** The errno of a system error this wraps (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT…). */
  originalCode?: string;
  response?: string;
  responseCode?: number;
  /** The SMTP command the reply answered (`MAIL FROM`, `RCPT TO`, `DATA`, `AUTH PLAIN`), or CONN. */
  command: string;
  timeoutType?: string;
}

/** nodemailer's `_formatError`: wraps `cause` (an Error keeps its own message and code as originalCode). */
export function smtpFailure(
  cause: string | Error,
  code: string,
  response: string | undefined,
  command: string,
): SmtpFailure {
  const err = (typeof cause === 'string' ? new Error(cause) : cause) as SmtpFailure;
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string' && own !== code && err.originalCode === undefined) err.originalCode = own;
  err.code = code;
  if (response) {
    err.response = response;
    err.message += `: ${response}`;
    const n = Number(/^\d+/.exec(response)?.[0]);
    if (n) err.responseCode = n;
  }
  err.command = command;
  return err;
}

/** A timeout, as nodemailer reports one (ETIMEDOUT; `timeoutType` says which). */
export function timeoutFailure(message: string, timeoutType: string): SmtpFailure {
  const err = smtpFailure(message, 'ETIMEDOUT', undefined, 'CONN');
  err.timeoutType = timeoutType;
  return err;
}

/** The caller's signal (drain's shutdown grace) or the total deadline ended the send. */
export function abortFailure(): SmtpFailure {
  const err = smtpFailure('sending was aborted', 'ABORT_ERR', undefined, 'CONN');
  err.name = 'AbortError';
  return err;
}

/** Whether a failure means "this connection was already gone", before the message was offered. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as Partial<SmtpFailure> | undefined;
  return e?.code === 'ECONNECTION' || e?.code === 'ESOCKET' || e?.responseCode === 421;
}
