// Applies a batch of change events: the state is read once, the reads the events need are
// made (a failed read fails only its own event, which SQS delivers again), then all events
// are applied to the state in one conditional write and what is built from the new state is
// published: one state write and at most one publication per batch, whatever the batch
// size. The publication is the changed shards and their index (the single document is the
// full reconcile's: PUBLISH_SINGLE_DOCUMENT=full-reconcile, the default), or the single
// document and its shards (every-change). That is how a deployment's burst of events coalesces, and since the
// document is built from the state by the same code as a full reconcile's, the final
// document equals a full reconcile of the final state (README guarantee G5). (settle.ts
// decides when a batch goes through a full reconcile instead; the reads are
// @scrape-reconciler/discovery's lookups, the change of the state core's applyBatchToState.)
import {
  applyBatchToState,
  diffDocuments,
  emptyLookups,
  errorLine,
  EventError,
  sameFacts,
  type ChangeEvent,
  type DocumentDiff,
  type LookupResults,
  missingLookups,
  type Outcome,
  type ReconcilerState,
} from "@scrape-reconciler/core";
import { resolveLookups } from "@scrape-reconciler/discovery";
import { readState, updateStateAndPublish, updateStateAndPublishShards, type PublishDiff, type StoredState } from "@scrape-reconciler/store";
import type { ReconcilerClients } from "./clients";
import { stateTargetOf, type ReconcileConfig } from "./config";

export interface EventDeps {
  clients: Pick<ReconcilerClients, "servicediscovery" | "ecs" | "ec2" | "s3" | "ssm">;
  config: ReconcileConfig;
  now: () => Date;
}

/** The events of one batch after their reads, ready to apply. */
export class PreparedBatch {
  readonly events: ChangeEvent[] = [];
  readonly lookups: LookupResults;
  readonly state: ReconcilerState;
  private constructor(
    private readonly deps: EventDeps,
    /** The state as read at the start; the first write attempt builds on it (no second GET). */
    readonly stored: StoredState,
  ) {
    this.state = stored.state;
    this.lookups = emptyLookups(deps.now());
  }

  static async start(deps: EventDeps): Promise<PreparedBatch> {
    return new PreparedBatch(deps, await readState(stateTargetOf(deps.config, deps.clients), deps.now()));
  }

  /** Makes the reads the event needs; throws (failing only this event) when one fails. */
  async add(event: ChangeEvent): Promise<void> {
    const need = missingLookups(this.state, event);
    if (need.registry || need.containerInstance || need.taskDefinition || need.service) {
      try {
        await resolveLookups(this.deps.clients, this.state, need, this.deps.config.tagNames, this.lookups);
      } catch (err) {
        throw new EventError(event.eventId, `AWS read failed: ${errorLine(err)}`, err);
      }
    }
    this.events.push(event);
  }
}

/** Why a batch ran a full reconcile: a schedule record in it, or a state never completed. */
export type FullReconcileTrigger = "schedule" | "incomplete-state";

/** The full reconcile a batch ran: its figures, or the one-line error it threw (the events were then applied alone). */
export type FullReconcileReport =
  | {
      trigger: FullReconcileTrigger;
      drift: number;
      failed: number;
      skippedEndpoints: number;
      /** Container instances whose read failed (their tasks lack __meta_ecs_ec2_instance_type until a later read). */
      containerInstancesFailed: number;
      durationMs: number;
    }
  | { trigger: FullReconcileTrigger; error: string };

export interface BatchSummary {
  events: number;
  byType: Record<string, number>;
  outcomes: Partial<Record<Outcome, number>>;
  awsReads: number;
  stateWritten: boolean;
  /** The single document, or with PUBLISH_SINGLE_DOCUMENT=full-reconcile the shard index, was written. */
  documentWritten: boolean;
  generation: number;
  stateGeneration: number;
  targets: number;
  added: number;
  removed: number;
  changed: number;
  withheld?: string;
  fullReconcile?: FullReconcileReport;
}

export function countByType(batch: PreparedBatch): Record<string, number> {
  const byType: Record<string, number> = {};
  for (const e of batch.events) byType[e.kind] = (byType[e.kind] ?? 0) + 1;
  return byType;
}

/** Applies the batch's reads and events to `state` in place (core's applyBatchToState); returns the events' outcomes. */
export function applyPrepared(state: ReconcilerState, batch: PreparedBatch, now: Date): Partial<Record<Outcome, number>> {
  return applyBatchToState(state, batch.lookups, batch.events, now);
}

export async function applyBatch(deps: EventDeps, batch: PreparedBatch, options: { dryRun?: boolean } = {}): Promise<BatchSummary> {
  const { config, clients } = deps;
  const byType = countByType(batch);
  let outcomes: Partial<Record<Outcome, number>> = {};
  const change = (state: ReconcilerState, before: Readonly<ReconcilerState>) => {
    // Runs again after a lost race: recount from scratch each time.
    outcomes = applyPrepared(state, batch, deps.now());
    return { state: sameFacts(state, before) ? undefined : state, result: undefined };
  };
  const publishOptions = { now: deps.now, tagNames: config.tagNames, dryRun: options.dryRun, initial: batch.stored };
  const target = stateTargetOf(config, clients);
  // The single document is the full reconcile's: the batch publishes the changed shards and the index.
  const out =
    config.singleDocument === "full-reconcile"
      ? await updateStateAndPublishShards(target, change, publishOptions)
      : await updateStateAndPublish(target, change, publishOptions);
  const diff = "diff" in out.publish ? out.publish.diff : diffCounts(diffDocuments(out.publish.previous, out.publish.document));
  return {
    events: batch.events.length,
    byType,
    outcomes,
    awsReads: batch.lookups.reads,
    stateWritten: out.stateWritten,
    documentWritten: out.publish.written,
    generation: out.publish.generation,
    stateGeneration: out.stateGeneration,
    targets: diff.after,
    added: diff.added,
    removed: diff.removed,
    changed: diff.changed,
    withheld: out.publish.withheld,
  };
}

function diffCounts(d: DocumentDiff): PublishDiff {
  return { after: d.after, added: d.added.length, removed: d.removed.length, changed: d.changed.length };
}
