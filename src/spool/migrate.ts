/**
 * `mailctl spool migrate --to URL`: moves every job from one backend to another with its state,
 * attempts and history. Each job is copied, then deleted from the source; the copy is idempotent
 * by job id (a job the target already has is not added again), so a run that was interrupted
 * can simply be run again: nothing is lost (the source copy goes only after the target has one)
 * and nothing is doubled. Jobs being delivered right now (active) are left where they are; the
 * summary says how many, so that the operator can stop the drainers and run it once more.
 */
import type { SpoolBackend } from './contract.js';

export interface MigrateSummary {
  /** Added to the target. */
  copied: number;
  /** Already in the target (an earlier, interrupted run copied them). */
  skipped: number;
  /** Deleted from the source after the copy. */
  removed: number;
  /** Still active in the source (a drainer holds them): not moved. */
  active: number;
}

export async function migrateSpool(
  from: SpoolBackend,
  to: SpoolBackend,
  now: number,
  onJob?: (id: string, copied: boolean) => void,
): Promise<MigrateSummary> {
  const summary: MigrateSummary = { copied: 0, skipped: 0, removed: 0, active: 0 };
  for await (const entry of from.exportJobs()) {
    const added = await to.importJob(entry, now);
    if (added) summary.copied += 1;
    else summary.skipped += 1;
    if (await from.removeExported(entry)) summary.removed += 1;
    onJob?.(entry.id, added);
  }
  summary.active = (await from.status(now)).active;
  return summary;
}
