/** An error → what the operator reads on stderr: one sentence and a hint; stacks with --debug. */
import { MailctlError, DeliveryError, fileSystemError, isFileSystemError } from '../errors.js';

/** `redact` masks secrets in the result: a server may echo credentials into an error, a stack may quote them. */
export function formatError(err: unknown, debug: boolean, redact: (text: string) => string = (t) => t): string {
  return redact(formatUnredacted(err, debug));
}

function formatUnredacted(err: unknown, debug: boolean): string {
  // Safety net: a file-system fault that escaped its module is one sentence with its code, not a bug report.
  if (isFileSystemError(err)) err = fileSystemError(err, 'a file');
  if (!(err instanceof MailctlError)) {
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return [
      `mailctl: internal error: ${err instanceof Error ? err.message : String(err)}`,
      stack,
      'This is a bug in mailctl. Please report it with the command you ran and the output above.',
    ].join('\n');
  }
  const lines = [`mailctl: ${err.message}`];
  if (err instanceof DeliveryError && err.reply.reply && !err.message.includes(err.reply.reply)) {
    lines.push(`  ${err.reply.provider} said: ${err.reply.reply}`);
  }
  if (err.hint) lines.push(`hint: ${err.hint}`);
  if (debug) {
    if (err.detail) lines.push(err.detail);
    if (err.stack) lines.push(err.stack);
    let cause = err.cause;
    while (cause instanceof Error) {
      lines.push(`caused by: ${cause.stack ?? cause.message}`);
      cause = cause.cause;
    }
  }
  return lines.join('\n');
}
