// Two decisions of the full reconcile: when an unchanged account still writes its state (a
// heartbeat, so the audit can tell reconciles still run), and its drift: the targets the
// events had missed, i.e. what merging the full discovery changed in the document the state
// gave before it. Nothing to compare with before a complete state (first run, lost state).
import { isComplete } from "./completeness";
import { diffDocuments } from "./diff";
import { buildDocument } from "./document";
import type { ShardBuilder } from "./service-shards";
import { toDiscovery, type ReconcilerState } from "./state";
import type { TagNames } from "./tags";
import type { TargetDocument } from "./types";

/** An unchanged full reconcile still records its time in the state this often. */
export const HEARTBEAT_MS = 15 * 60 * 1000;

/** Whether the last full reconcile recorded in `state` is HEARTBEAT_MS old or more. */
export function heartbeatDue(state: ReconcilerState, now: Date): boolean {
  const last = Date.parse(state.lastFullReconcileAt ?? "") || 0;
  return now.getTime() - last >= HEARTBEAT_MS;
}

/**
 * Targets added, removed or changed by the merge: the document `base` (the state with the
 * batch's events, before the merge) gives against the document built after it. 0 when the
 * state did not change or was not complete before.
 */
export function driftOf(base: ReconcilerState, before: ReconcilerState, after: TargetDocument | undefined, changed: boolean, tagNames: TagNames): number {
  if (!changed || !isComplete(before)) return 0;
  const d = diffDocuments(buildDocument(toDiscovery(base), undefined, { tagNames }).document, after ?? []);
  return d.added.length + d.removed.length + d.changed.length;
}

/**
 * driftOf for a document built from shards (buildShardedPublication): the shards `base`
 * gives against those of `after`, compared where their sha256 differ, with the builder
 * that built `after` (its unchanged services are not built again).
 */
export function shardDriftOf(
  base: ReconcilerState,
  before: ReconcilerState,
  after: ReconcilerState,
  changed: boolean,
  builder: ShardBuilder,
  tagNames: TagNames,
): number {
  if (!changed || !isComplete(before)) return 0;
  const was = new Map(builder.build(base, tagNames).shards.map((s) => [s.id, s]));
  let drift = 0;
  const count = (d: ReturnType<typeof diffDocuments>) => d.added.length + d.removed.length + d.changed.length;
  for (const s of builder.build(after, tagNames).shards) {
    const old = was.get(s.id);
    was.delete(s.id);
    if (old?.sha256 !== s.sha256) drift += count(diffDocuments(old?.document ?? [], s.document));
  }
  for (const old of was.values()) drift += count(diffDocuments(old.document, []));
  return drift;
}
