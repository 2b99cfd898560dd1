// From a state to what is published: the document built from the state (the last targets of
// failed parts kept, README guarantee G1), or nothing with the reason (a state never
// completed, every part failed: decidePublication, README guarantees G2 and G7), with the
// manifest's account of the discovery (services, per-source health, failed parts, skipped
// endpoints) and the state generation the document is built from (README guarantee G9).
// Pure: @scrape-reconciler/store runs it inside publishDocument, again after a lost race.
import { decidePublication, isComplete } from "./completeness";
import { buildDocument, type BuildResult } from "./document";
import { failedScopeName, sourceHealth } from "./failed";
import { combinedDocument, type ShardBuilder } from "./service-shards";
import type { Shard } from "./shards";
import { toDiscovery, type ReconcilerState } from "./state";
import type { TagNames } from "./tags";
import type { FailedScope, TargetDocument, WrittenSourceHealth } from "./types";

/** What a build step returns; `undefined` document = publish nothing this time. */
export interface BuiltDocument {
  document: TargetDocument | undefined;
  services: number;
  sources: Record<string, WrittenSourceHealth>;
  failedServices: string[];
  skippedEndpoints: number;
  /** Why nothing is published, when document is undefined. */
  withheld?: string;
  /** Generation of the state this document is built from; an older one never replaces a newer. */
  stateGeneration?: number;
  /**
   * Built from shards (buildShardedPublication): the document's sha256, its text on demand,
   * and the shards themselves, all checked already; the publisher neither serializes, hashes
   * nor validates the document again, and writes these shards.
   */
  sharded?: { sha256: string; join: () => { document: TargetDocument; text: string }; shards: readonly Shard[] };
}

/**
 * The failed parts a publication of `state` counts: the state's own (so event batches after
 * a partly failed discovery still carry them) and the caller's discovery's; and of those,
 * the parts the state knows nothing of (first run, lost state), whose targets come from
 * what was published before.
 */
export function failedScopesOf(state: ReconcilerState, failed: readonly FailedScope[] = []): { all: FailedScope[]; unknown: FailedScope[] } {
  const all = [...state.failed, ...failed.filter((f) => !state.failed.some((g) => g.id === f.id))];
  const unknown = all.filter((f) => (f.scope === "service" ? !state.services[f.id] : !state.namespaces[f.id]));
  return { all, unknown };
}

/**
 * The publication of `state`, given the published document (`previous`, whose targets of
 * failed parts the state knows nothing of are kept) and the failures of the caller's
 * discovery (none for an event batch: the state's own `failed` still counts).
 */
export function buildPublication(
  state: ReconcilerState,
  previous: TargetDocument | undefined,
  tagNames: TagNames,
  failed: readonly FailedScope[] = [],
): { built: BuiltDocument; result: BuildResult } {
  // Failed parts the state knows nothing of: keep their targets from the previous document.
  const { all: allFailed, unknown } = failedScopesOf(state, failed);
  const result = buildDocument({ ...toDiscovery(state), failed: unknown }, previous, { tagNames });
  const common = {
    services: result.services,
    sources: sourceHealth(allFailed),
    failedServices: allFailed.map(failedScopeName),
    skippedEndpoints: result.skipped.length,
    stateGeneration: state.generation,
  };
  const decision = decidePublication({ complete: isComplete(state), groups: result.document.length, failed: allFailed });
  const built = decision.publish ? { ...common, document: result.document } : { ...common, document: undefined, withheld: decision.reason };
  return { built, result };
}

/**
 * buildPublication from the shards a ShardBuilder keeps (only the services whose facts
 * changed are built again), when every failed part is one the state knows (no targets to
 * carry over from the previous document); else undefined and the caller builds the whole
 * document (buildPublication). The document, when published, is the shards joined.
 */
export function buildShardedPublication(
  state: ReconcilerState,
  builder: ShardBuilder,
  tagNames: TagNames,
  failed: readonly FailedScope[] = [],
): { built: BuiltDocument; result: BuildResult } | undefined {
  const { all: allFailed, unknown } = failedScopesOf(state, failed);
  if (unknown.length > 0) return undefined;
  const shards = builder.build(state, tagNames);
  const combined = combinedDocument(shards.shards);
  let joined: { document: TargetDocument; text: string } | undefined;
  const join = () => {
    joined ??= combined.join();
    return joined;
  };
  const common = {
    services: shards.services,
    sources: sourceHealth(allFailed),
    failedServices: allFailed.map(failedScopeName),
    skippedEndpoints: shards.skipped.length,
    stateGeneration: state.generation,
  };
  const decision = decidePublication({ complete: isComplete(state), groups: combined.groups, failed: allFailed });
  const result: BuildResult = {
    get document() {
      return join().document;
    },
    skipped: shards.skipped,
    carriedOver: 0,
    services: shards.services,
    notRunning: shards.notRunning,
    fromShards: true,
  };
  if (!decision.publish) return { built: { ...common, document: undefined, withheld: decision.reason }, result };
  const sharded = { sha256: combined.sha256, join, shards: shards.shards };
  return {
    built: {
      ...common,
      get document() {
        return join().document;
      },
      sharded,
    },
    result,
  };
}
