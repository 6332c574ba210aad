/**
 * The stage recorder every `verify-config --connect` probe shares (smtp, the HTTP providers, the
 * outbox): each stage with its timing, a thrown ProbeFailure recorded as the failed stage.
 */
import { ExitCode, ProbeFailure } from '../../errors.js';
import type { ProbeReport, ProbeStage } from '../types.js';

/** Records stages with their timing; a stage that throws is recorded as failed. */
export class StageRecorder {
  readonly stages: ProbeStage[] = [];
  constructor(private readonly now: () => number) {}

  async stage<T>(name: string, sent: string | undefined, body: (stage: ProbeStage) => Promise<T>): Promise<T> {
    const started = this.now();
    const stage: ProbeStage = { name, ok: false, ms: 0 };
    if (sent !== undefined) stage.sent = sent;
    this.stages.push(stage);
    try {
      const value = await body(stage);
      stage.ok = true;
      return value;
    } catch (err) {
      if (err instanceof ProbeFailure && err.reply !== undefined) stage.reply = err.reply;
      else if (stage.reply === undefined && err instanceof Error) stage.reply = err.message;
      throw err;
    } finally {
      stage.ms = Math.max(0, this.now() - started);
    }
  }

  /** The report for a probe that stopped with `err` (a ProbeFailure; anything else is a bug). */
  failed(err: unknown): ProbeReport {
    if (!(err instanceof ProbeFailure)) throw err;
    const report: ProbeReport = { ok: false, exitCode: err.exitCode, stages: this.stages, error: err.message };
    if (err.hint) report.hint = err.hint;
    return report;
  }

  passed(): ProbeReport {
    return { ok: true, exitCode: ExitCode.OK, stages: this.stages };
  }
}
