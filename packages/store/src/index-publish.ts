// The publication of an event batch when the single document is the full reconcile's
// (PUBLISH_SINGLE_DOCUMENT=full-reconcile): the shards built from the state (core's
// ShardBuilder: only the services whose facts changed are built again), the index that
// lists them, and the manifest pointed at the index. The single document is not read,
// built or written: a one-service change writes one shard, the index and the manifest.
// Steps, each with the failure it prevents:
//
//  1. Read the index (a conditional GET in a warm process). No index yet (the first run
//     after an upgrade): publish the single document and its index (publishDocument), once.
//  2. Build the shards from the state; the failed parts the state knows nothing of (a lost
//     state) keep the shards the index lists for them (README guarantee G1), read back only
//     to hash the combined document. What the state may not publish (never completed, every
//     part failed: decidePublication, README guarantees G2 and G7) writes nothing.
//  3. An index or a single document built from a newer state stays (README guarantee G9):
//     the document's state generation counts too, for a full reconcile that wrote it and
//     stopped before its index.
//  4. Same combined sha256 as the index: nothing to write; the manifest is pointed at the
//     index if it is not.
//  5. A state newer than ours written since (a HEAD of the state head): its writer
//     publishes, nothing is written here. The generation is one above the index's and the
//     single document's, so generations only go up; the changed shards are validated (what a sidecar would reject is never
//     published), then written before the index, which is written conditionally
//     (shard-publish.ts commitIndex). A lost race reads the index again (retryOnConflict).
//  6. Point the manifest at the new index (pointManifestAtIndex), after the index exists.
import {
  buildPublication,
  combinedDocument,
  decidePublication,
  diffDocuments,
  failedParts,
  failedScopesOf,
  isComplete,
  ShardBuilder,
  validateDocument,
  type BuiltShard,
  type FailedScope,
  type ReconcilerState,
  type ShardEntry,
  type TagNames,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { retryOnConflict } from "./conflict-retry";
import { pointManifestAtIndex } from "./manifest";
import { publishDocument } from "./publish";
import { readShard } from "./published-targets";
import { latestStateGeneration } from "./state-parts";
import { headObject } from "./s3-object";
import { commitIndex, readIndex, unchanged, type ShardPublishOutcome } from "./shard-publish";
import { META, type PublishTarget } from "./target";

/** Targets added, removed and changed by a publication, and the targets after it. */
export interface PublishDiff {
  after: number;
  added: number;
  removed: number;
  changed: number;
}

export interface IndexPublishOutcome {
  /** The index was written. */
  written: boolean;
  withheld?: string;
  /** Of the index published after this call. */
  generation: number;
  previousGeneration: number;
  sha256: string;
  attempts: number;
  manifestRepaired: boolean;
  shards?: ShardPublishOutcome;
  diff: PublishDiff;
  /** Services whose shard was built again (the rest came from the warm process' memo). */
  rebuilt: number;
}

export interface IndexPublishOptions {
  tagNames: TagNames;
  failed?: readonly FailedScope[];
  now: () => Date;
  dryRun?: boolean;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const BUILDER_MEMO = "shard-builder";

/** The process' ShardBuilder (kept by the target's cache), or a fresh one without a cache. */
export function shardBuilderOf(t: Pick<PublishTarget, "cache">): ShardBuilder {
  return t.cache?.memo(BUILDER_MEMO, () => new ShardBuilder()) ?? new ShardBuilder();
}

/** Publishes the shards of `state` and their index (steps above). */
export async function publishFromState(
  t: PublishTarget & { stateKey?: string },
  state: ReconcilerState,
  options: IndexPublishOptions,
): Promise<IndexPublishOutcome> {
  const builder = shardBuilderOf(t);
  // What each service had before this publication (the diff's base), also for a retry after a lost race.
  const before = builder.snapshot();
  return retryOnConflict(
    async (attempt) => {
      const { index: previous, etag } = await readIndex(t); // (1)
      if (!previous) return viaDocument(t, state, options);
      const none = { written: false, generation: previous.generation, previousGeneration: previous.generation, sha256: previous.sha256, attempts: attempt };
      const keep = (withheld: string, diff: PublishDiff) => ({ ...none, withheld, manifestRepaired: false, diff, rebuilt: 0 });
      const targetsNow = { after: previous.targets, added: 0, removed: 0, changed: 0 };
      // (2)
      const built = builder.build(state, options.tagNames);
      const scopes = failedScopesOf(state, options.failed);
      const allFailed = scopes.all;
      const unknown = failedParts(scopes.unknown);
      const ids = new Set(built.shards.map((s) => s.id));
      const carried = previous.shards.filter((e) => !ids.has(e.id) && (unknown.services.has(e.id) || unknown.namespaces.has(e.namespaceId ?? "")));
      const groups = built.shards.reduce((n, s) => n + s.document.length, 0) + carried.reduce((n, e) => n + e.groups, 0);
      const decision = decidePublication({ complete: isComplete(state), groups, failed: allFailed });
      if (!decision.publish) return keep(decision.reason, targetsNow);
      // (3) Also the single document's: a full reconcile that wrote it and stopped before its index.
      const docHead = await headObject(t.s3, t.bucket, t.key);
      const docStateGeneration = Number(docHead?.metadata[META.stateGeneration] ?? 0) || 0;
      if (previous.stateGeneration > state.generation || docStateGeneration > state.generation) {
        const newer = Math.max(previous.stateGeneration, docStateGeneration);
        return keep(`the published targets are built from a newer state (${newer} > ${state.generation})`, targetsNow);
      }
      const carriedShards = await Promise.all(carried.map((e) => readShard(t, e)));
      const combined = combinedDocument([...built.shards, ...carriedShards]);
      const listed = new Map(previous.shards.map((e) => [e.id, e]));
      const changedShards = built.shards.filter((s) => listed.get(s.id)?.sha256 !== s.sha256);
      const diff = await diffOf(t, previous.shards, built.shards, changedShards, carried, before);
      // (4)
      if (combined.sha256 === previous.sha256) {
        const repaired = options.dryRun ? false : await pointManifestAtIndex(t, unchanged(t, previous, etag).index);
        return { ...none, manifestRepaired: repaired, diff, rebuilt: built.rebuilt };
      }
      // (5)
      // A newer state was written since ours: its writer publishes it (or found its targets
      // published already, and then ours, older, must not replace them).
      const latest = t.stateKey ? await latestStateGeneration({ s3: t.s3, bucket: t.bucket, stateKey: t.stateKey }) : undefined;
      if (latest !== undefined && latest > state.generation) {
        return keep(`a newer state (${latest} > ${state.generation}) is published by its own writer`, diff);
      }
      const generation = Math.max(previous.generation, Number(docHead?.metadata[META.generation] ?? 0) || 0) + 1;
      for (const s of changedShards) validateDocument(s.document);
      if (options.dryRun) return { ...none, generation, sha256: combined.sha256, manifestRepaired: false, diff, rebuilt: built.rebuilt };
      const shards = await commitIndex(t, previous, etag, built.shards, carried, {
        sha256: combined.sha256,
        generation,
        stateGeneration: state.generation,
        now: options.now(),
      });
      const repaired = await pointManifestAtIndex(t, shards.index); // (6)
      return { ...none, written: true, generation, sha256: combined.sha256, manifestRepaired: repaired, shards, diff, rebuilt: built.rebuilt };
    },
    { maxAttempts: options.maxAttempts ?? 5, sleep: options.sleep },
  );
}

/** Step 1 without an index: the single document and its index, as a full publication. */
async function viaDocument(t: PublishTarget, state: ReconcilerState, options: IndexPublishOptions): Promise<IndexPublishOutcome> {
  const publish = await publishDocument(t, (previous) => buildPublication(state, previous?.document, options.tagNames, options.failed).built, options);
  const d = diffDocuments(publish.previous, publish.document);
  const { written, generation, previousGeneration, sha256, attempts, manifestRepaired, shards } = publish;
  return {
    written,
    ...(publish.withheld !== undefined ? { withheld: publish.withheld } : {}),
    generation,
    previousGeneration,
    sha256,
    attempts,
    manifestRepaired,
    ...(shards ? { shards } : {}),
    diff: { after: d.after, added: d.added.length, removed: d.removed.length, changed: d.changed.length },
    rebuilt: state.services ? Object.keys(state.services).length : 0,
  };
}

/**
 * The targets added, removed and changed: per changed shard, against the shard the warm
 * process built before (or the shard object the index lists, read back: a cold process).
 */
async function diffOf(
  t: PublishTarget,
  listedShards: readonly ShardEntry[],
  built: readonly BuiltShard[],
  changed: readonly BuiltShard[],
  carried: readonly ShardEntry[],
  before: ReadonlyMap<string, TargetDocument>,
): Promise<PublishDiff> {
  const out = { after: 0, added: 0, removed: 0, changed: 0 };
  out.after = built.reduce((n, s) => n + s.document.reduce((k, g) => k + g.targets.length, 0), 0) + carried.reduce((n, e) => n + e.targets, 0);
  const listed = new Map(listedShards.map((e) => [e.id, e]));
  for (const s of changed) {
    const e = listed.get(s.id);
    // Only for the summary's counts: a shard that cannot be read back counts as unknown (not added).
    const previous =
      before.get(s.id) ??
      (e
        ? await readShard(t, e).then(
            (r) => r.document,
            () => undefined,
          )
        : []);
    if (previous === undefined) continue;
    const d = diffDocuments(previous, s.document);
    out.added += d.added.length;
    out.removed += d.removed.length;
    out.changed += d.changed.length;
  }
  const ids = new Set([...built.map((s) => s.id), ...carried.map((e) => e.id)]);
  for (const e of listedShards) if (!ids.has(e.id)) out.removed += e.targets;
  return out;
}
