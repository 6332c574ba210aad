/**
 * `queue monitor`: the reference's queue monitor (dify-mail.md §8), without its gaps: the alert
 * goes out once per cooldown rather than on every run, a recovery mail follows when the backlog
 * falls back, and the state lives in the spool (`monitor.json`). The decision is pure.
 */

export interface MonitorState {
  version: 1;
  /** Whether the last run was over the threshold and alerted. */
  alerting: boolean;
  /** ISO time of the last alert sent. */
  lastAlertAt?: string | undefined;
  /** ISO time the backlog first reached the threshold in this episode. */
  since?: string | undefined;
}

export type MonitorAction = 'alert' | 'recover' | 'none';

export interface MonitorDecision {
  action: MonitorAction;
  over: boolean;
}

export const MONITOR_STATE_FILE = 'monitor.json';

export function parseMonitorState(data: unknown): MonitorState {
  if (data && typeof data === 'object' && (data as { version?: unknown }).version === 1) {
    const d = data as Record<string, unknown>;
    const state: MonitorState = { version: 1, alerting: d.alerting === true };
    if (typeof d.lastAlertAt === 'string') state.lastAlertAt = d.lastAlertAt;
    if (typeof d.since === 'string') state.since = d.since;
    return state;
  }
  return { version: 1, alerting: false };
}

/** Over the threshold (backlog >= threshold): alert unless one went out within the cooldown. */
export function decideMonitor(
  state: MonitorState,
  backlog: number,
  threshold: number,
  now: number,
  cooldownMs: number,
): MonitorDecision {
  const over = backlog >= threshold;
  if (over) {
    const last = state.lastAlertAt ? Date.parse(state.lastAlertAt) : Number.NEGATIVE_INFINITY;
    return { action: !state.alerting || now - last >= cooldownMs ? 'alert' : 'none', over };
  }
  return { action: state.alerting ? 'recover' : 'none', over };
}

/** The state after a run; `sent` says whether the mail of `action` went out. */
export function nextMonitorState(
  state: MonitorState,
  decision: MonitorDecision,
  now: number,
  sent: boolean,
): MonitorState {
  const at = new Date(now).toISOString();
  if (decision.action === 'alert') {
    if (!sent) return state; // try again on the next run
    return { version: 1, alerting: true, lastAlertAt: at, since: state.alerting ? (state.since ?? at) : at };
  }
  if (decision.action === 'recover')
    return sent
      ? { version: 1, alerting: false, ...(state.lastAlertAt ? { lastAlertAt: state.lastAlertAt } : {}) }
      : state;
  return state;
}

/** `YYYY-MM-DD HH:MM:SS UTC`, the reference's alert_time format made unambiguous. */
export function alertTime(now: number): string {
  return `${new Date(now).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
