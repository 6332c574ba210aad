/** The queue monitor's decision is pure: alert once per cooldown, recover once, state after each run. */
import { describe, expect, it } from 'vitest';
import {
  alertTime,
  decideMonitor,
  nextMonitorState,
  parseMonitorState,
  type MonitorState,
} from '../../../src/spool/monitor.js';

const H = 3_600_000;
const quiet: MonitorState = { version: 1, alerting: false };
const alerted = (at: number): MonitorState => ({
  version: 1,
  alerting: true,
  lastAlertAt: new Date(at).toISOString(),
  since: new Date(at).toISOString(),
});

describe('decideMonitor', () => {
  it.each([
    // state, backlog, threshold, now, cooldown → action, over
    ['quiet, under', quiet, 5, 10, 0, H, 'none', false],
    ['quiet, at the threshold', quiet, 10, 10, 0, H, 'alert', true],
    ['quiet, over', quiet, 50, 10, 0, H, 'alert', true],
    ['alerted, still over, within cooldown', alerted(0), 50, 10, H - 1, H, 'none', true],
    ['alerted, still over, cooldown passed', alerted(0), 50, 10, H, H, 'alert', true],
    ['alerted, back under', alerted(0), 9, 10, 60_000, H, 'recover', false],
    ['threshold 0 always alerts once', quiet, 0, 0, 0, H, 'alert', true],
  ] as const)('%s', (_name, state, backlog, threshold, now, cooldown, action, over) => {
    expect(decideMonitor(state, backlog, threshold, now, cooldown)).toEqual({ action, over });
  });
});

describe('nextMonitorState', () => {
  it('records an alert that went out', () => {
    const s = nextMonitorState(quiet, { action: 'alert', over: true }, 1000, true);
    expect(s).toEqual({
      version: 1,
      alerting: true,
      lastAlertAt: '1970-01-01T00:00:01.000Z',
      since: '1970-01-01T00:00:01.000Z',
    });
  });
  it('keeps the start of the episode on a repeated alert', () => {
    const s = nextMonitorState(alerted(0), { action: 'alert', over: true }, H, true);
    expect(s.since).toBe('1970-01-01T00:00:00.000Z');
    expect(s.lastAlertAt).toBe(new Date(H).toISOString());
  });
  it('an alert that could not be sent is tried again on the next run', () => {
    expect(nextMonitorState(quiet, { action: 'alert', over: true }, 1000, false)).toEqual(quiet);
  });
  it('a sent recovery ends the episode; an unsent one is retried', () => {
    expect(nextMonitorState(alerted(0), { action: 'recover', over: false }, 5, true).alerting).toBe(false);
    expect(nextMonitorState(alerted(0), { action: 'recover', over: false }, 5, false).alerting).toBe(true);
  });
  it('parses only its own version; anything else starts quiet', () => {
    expect(parseMonitorState(undefined)).toEqual(quiet);
    expect(parseMonitorState({ version: 2, alerting: true })).toEqual(quiet);
    expect(parseMonitorState(alerted(0))).toEqual(alerted(0));
  });
  it('formats the alert time in UTC, unambiguously', () => {
    expect(alertTime(Date.UTC(2026, 11, 1, 21, 0, 5))).toBe('2026-12-01 21:00:05 UTC');
  });
});
