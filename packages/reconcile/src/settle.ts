// How one batch (an SQS batch, or one event delivered directly) reaches the state and the
// document. Events alone in the common case (apply.ts); a full reconcile with the events
// when the batch holds the 5-minute schedule (once per batch, however many schedule
// records) or when the state has never been completed by a full discovery (a fresh or lost
// state: the events alone would publish `[]` or a partial document).
//
// Order, in one conditional state write: the batch's reads and events are applied first,
// then the full discovery (started after the batch was read, so the newer observation) is
// merged over them. The result is the full reconcile of the final AWS state; the events
// still count where they are newer (a task's higher version) and their versions stay
// (tombstones), so a stale event delivered later is ignored.
//
// If the full reconcile throws, the events are applied alone (on a state never completed
// that writes their facts and publishes nothing) and `reconcileFailed` tells the caller to
// report the schedule records failed, so SQS delivers them again.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { TaskDefinitionCache } from "@scrape-reconciler/discovery";
import { errorLine, isComplete, type Outcome } from "@scrape-reconciler/core";
import { applyBatch, applyPrepared, countByType, type BatchSummary, type EventDeps, type FullReconcileTrigger, type PreparedBatch } from "./batch";
import { reconcile } from "./full";

export interface SettleDeps extends EventDeps {
  logger: Pick<Logger, "error">;
  taskDefinitions?: TaskDefinitionCache;
}

export interface Settled {
  summary: BatchSummary;
  /** The full reconcile threw: the schedule records must be reported failed. */
  reconcileFailed: boolean;
}

/** The full reconcile with the batch's events applied first, summarised as a batch. */
export async function reconcileBatch(deps: SettleDeps, batch: PreparedBatch, trigger: FullReconcileTrigger): Promise<BatchSummary> {
  let outcomes: Partial<Record<Outcome, number>> = {};
  const s = await reconcile(deps, {
    initial: batch.stored,
    // Runs again after a lost race, on a fresh copy: the outcomes are recounted each time.
    before: (state) => {
      outcomes = applyPrepared(state, batch, deps.now());
    },
  });
  return {
    events: batch.events.length,
    byType: countByType(batch),
    outcomes,
    awsReads: batch.lookups.reads,
    stateWritten: s.stateWritten,
    documentWritten: s.written,
    generation: s.generation,
    stateGeneration: s.stateGeneration,
    targets: s.targets,
    added: s.added,
    removed: s.removed,
    changed: s.changed,
    withheld: s.withheld,
    fullReconcile: {
      trigger,
      drift: s.drift,
      failed: s.failed.length,
      skippedEndpoints: s.skippedEndpoints.length,
      containerInstancesFailed: s.containerInstances.failed,
      durationMs: s.durationMs,
    },
  };
}

/** Which full reconcile the batch needs, if any. */
export function fullReconcileTrigger(batch: PreparedBatch, schedule: boolean): FullReconcileTrigger | undefined {
  if (schedule) return "schedule";
  if (batch.events.length > 0 && !isComplete(batch.state)) return "incomplete-state";
  return undefined;
}

export async function settleBatch(deps: SettleDeps, batch: PreparedBatch, schedule: boolean): Promise<Settled> {
  const trigger = fullReconcileTrigger(batch, schedule);
  if (!trigger) return { summary: await applyBatch(deps, batch), reconcileFailed: false };
  try {
    return { summary: await reconcileBatch(deps, batch, trigger), reconcileFailed: false };
  } catch (err) {
    const error = errorLine(err);
    deps.logger.error("full reconcile failed, the batch's events are applied alone", { trigger, reason: error });
    const summary = await applyBatch(deps, batch);
    return { summary: { ...summary, fullReconcile: { trigger, error } }, reconcileFailed: true };
  }
}
