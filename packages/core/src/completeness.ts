// Whether the reconciler state may be published. A state that no full discovery has ever
// completed publishes nothing, by any path: events applied to a fresh or lost state, or a
// first discovery that failed in parts no earlier document covers, would otherwise publish
// `[]` or a partial document (README guarantee G7; and `[]` only after a discovery that
// fully succeeded, README guarantee G2). This module owns that decision; the adapters only
// read its inputs and act on its answer. Pure.
import { failedScopeName } from "./failed";
import type { ReconcilerState } from "./state";
import type { FailedScope } from "./types";

/**
 * True when a full discovery has completed the state. States written before the
 * `complete` field existed are migrated here: one whose last full reconcile ran
 * (`lastFullReconcileAt` set) with nothing failed counts as complete; any other is not,
 * and its next event or schedule runs a full reconcile that decides again.
 */
export function isComplete(state: Pick<ReconcilerState, "complete" | "lastFullReconcileAt" | "failed">): boolean {
  if (state.complete !== undefined) return state.complete;
  return state.lastFullReconcileAt !== undefined && (state.failed ?? []).length === 0;
}

export interface DiscoveryCompletion {
  /** The state was complete before this discovery was merged (it holds the failed parts' last facts). */
  wasComplete: boolean;
  /** The parts of this discovery that failed. */
  failed: FailedScope[];
  /** A valid document was published before: it stands in for failed parts the state lacks. */
  publishedBefore: boolean;
}

/**
 * Whether the state is complete after a full discovery is merged into it: the discovery
 * fully succeeded, or every part that failed is covered, by the state's own entries (it
 * was complete) or by the previously published document (its targets are carried over).
 */
export function completedByDiscovery(c: DiscoveryCompletion): boolean {
  return c.failed.length === 0 || c.wasComplete || c.publishedBefore;
}

export type PublishDecision = { publish: true } | { publish: false; reason: string };

export interface PublicationInput {
  /** isComplete() of the state the document is built from. */
  complete: boolean;
  /** Target groups in the document built. */
  groups: number;
  /** The parts whose last discovery failed. */
  failed: FailedScope[];
}

function describeFailed(f: FailedScope): string {
  return `${f.scope} ${failedScopeName(f)} (${f.operation})`;
}

/**
 * Publish, or withhold with a one-line reason. `[]` is published only from a complete
 * state with no failed part; a state never completed publishes nothing at all.
 * README guarantees G2 and G7.
 */
export function decidePublication(input: PublicationInput): PublishDecision {
  const n = input.failed.length;
  if (input.groups === 0 && n > 0) {
    return { publish: false, reason: `discovery failed for ${n} part(s) and found no targets: not publishing an empty document` };
  }
  if (!input.complete) {
    const why =
      n > 0
        ? `its last discovery failed for ${n} part(s), e.g. ${describeFailed(input.failed[0]!)}, and no earlier document covers them`
        : "no full reconcile has run since it was created or lost";
    return { publish: false, reason: `the state has never been completed by a full discovery (${why}): not publishing a partial document` };
  }
  return { publish: true };
}
