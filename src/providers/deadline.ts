/**
 * Total deadlines for one delivery. An idle timeout (SMTP_SOCKET_TIMEOUT, axios' socket timeout)
 * restarts with every byte, so a peer that trickles a `250-` line a second or a body a byte a
 * second holds a send forever; a deadline counts from the start and is not reset by anything.
 * Postfix has the same distinction (smtp_*_timeout vs smtp_per_record_deadline).
 */
import { DeliveryError, ExitCode } from '../errors.js';

export interface Deadline {
  /** Aborts when the deadline passes or the caller's own signal aborts. */
  signal: AbortSignal;
  /** Whether the deadline (not the caller) ended the wait. */
  readonly expired: boolean;
  readonly ms: number;
  /** The delivery is over: stop the timer and let go of the caller's signal. Call it in `finally`. */
  end(): void;
}

/**
 * One controller, one timer and one listener, all released by `end()`. Not AbortSignal.timeout +
 * AbortSignal.any: those cost ~33 µs per delivery here, and each timeout's timer lives until it
 * fires (minutes for SMTP), so a drain kept thousands of them and their weak references alive.
 */
export function startDeadline(ms: number, caller?: AbortSignal | undefined): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  const onCaller = (): void => controller.abort(caller?.reason);
  if (caller?.aborted) onCaller();
  else caller?.addEventListener('abort', onCaller, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    ms,
    end() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCaller);
    },
  };
}

/**
 * The SMTP deadline for one message: the connect and greeting timeouts, then one socket timeout
 * for each command a transaction can need (EHLO, STARTTLS, EHLO again, AUTH in two steps,
 * MAIL FROM, DATA, the end of the data) and one for each RCPT TO.
 */
export function smtpDeadlineMs(
  timeouts: { connect: number; greeting: number; socket: number },
  recipients: number,
): number {
  return timeouts.connect + timeouts.greeting + timeouts.socket * (7 + Math.max(1, recipients));
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** The deadline passed: a temporary failure (75) that names the peer and the key that sets it. */
export function deadlineError(provider: string, peer: string, ms: number, keys: string): DeliveryError {
  return new DeliveryError(
    `${peer} did not finish the delivery within ${seconds(ms)}, a total deadline that a slow trickle of data does not reset`,
    {
      exitCode: ExitCode.TEMPFAIL,
      kind: 'transient',
      reply: { provider, errno: 'ETIMEDOUT' },
      hint: `the server is overloaded or holds the connection open; try again later (${keys} set the deadline)`,
    },
    'delivery.transient',
  );
}
