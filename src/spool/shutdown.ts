/**
 * A delivery during shutdown. SIGTERM stops claiming at once; what is in flight gets
 * SHUTDOWN_GRACE_MS to finish, then it is abandoned and its job put back, as Postfix's master
 * stops a delivery agent and leaves the message in the queue. Without this a stuck delivery (a
 * server that trickles) would hold the drain, and the claim, until the provider's own deadline.
 */
import type { Clock } from '../context.js';
import type { OutgoingMessage } from '../message/types.js';
import type { Provider } from '../providers/types.js';

/** How long an in-flight delivery may go on after SIGTERM/SIGINT. */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The shutdown state of one drain, shared by all its deliveries: one `abandon` signal and at most
 * one grace timer, instead of a controller, a listener and a timer per message (the drain's CPU
 * profile: ~5 µs per message, and garbage). The grace counts from the shutdown, as before; it is
 * cancelled when nothing is in flight, so that a finished drain does not wait for it.
 */
interface Grace {
  abandon: AbortController;
  inFlight: number;
  timer: AbortController | undefined;
  start(): void;
}

const graces = new WeakMap<AbortSignal, Grace>();

function graceOf(shutdown: AbortSignal, clock: Clock, graceMs: number): Grace {
  let grace = graces.get(shutdown);
  if (grace) return grace;
  const g: Grace = {
    abandon: new AbortController(),
    inFlight: 0,
    timer: undefined,
    start() {
      if (g.timer || g.inFlight === 0 || g.abandon.signal.aborted) return;
      const timer = (g.timer = new AbortController());
      void clock.sleep(graceMs, timer.signal).then(() => {
        if (!timer.signal.aborted) g.abandon.abort();
      });
    },
  };
  shutdown.addEventListener('abort', () => g.start(), { once: true });
  graces.set(shutdown, (grace = g));
  return grace;
}

/**
 * Sends `message`; true when delivered, false when shutdown abandoned it (the caller releases
 * the job: it was not delivered as far as we know, and a retry keeps its Message-ID). Any other
 * failure is thrown as the provider threw it.
 */
export async function sendUnlessShutdown(
  provider: Provider,
  message: OutgoingMessage,
  shutdown: AbortSignal,
  clock: Clock,
  graceMs: number = SHUTDOWN_GRACE_MS,
): Promise<boolean> {
  const grace = graceOf(shutdown, clock, graceMs);
  const abandon = grace.abandon.signal;
  grace.inFlight += 1;
  if (shutdown.aborted) grace.start();
  try {
    await provider.send(message, { signal: abandon });
    return true;
  } catch (err) {
    if (abandon.aborted) return false;
    throw err;
  } finally {
    grace.inFlight -= 1;
    if (grace.inFlight === 0) {
      grace.timer?.abort();
      grace.timer = undefined;
    }
  }
}
