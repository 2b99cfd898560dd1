// The reconciler state in S3 (STATE_KEY, beside the document: a head and parts, see
// state-parts.ts) with the same conditional-write discipline as the document, and the one
// path every writer takes: read state -> change it -> write it (the touched parts, then the
// head with If-Match) -> publish what is built from it (the document and its shards, or an
// event batch's changed shards and index: updateStateAndPublishShards).
// Two writers racing: the loser re-reads and re-applies its change, so no update is lost;
// the document records the state generation it was built from and is never replaced by a
// document built from an older state (README guarantee G9). A state never completed by a
// full discovery publishes nothing (decidePublication, README guarantee G7); a state
// created again after it was lost goes on from the published document's state generation.
import {
  buildPublication,
  buildShardedPublication,
  deepFreeze,
  workingCopy,
  emptyState,
  type BuildResult,
  type FailedScope,
  type ReconcilerState,
  type StateHead,
  type TagNames,
} from "@scrape-reconciler/core";
import { retryOnConflict } from "./conflict-retry";
import { publishDocument, type PublishOutcome } from "./publish";
import { publishFromState, shardBuilderOf, type IndexPublishOutcome } from "./index-publish";
import { headObject, readObject } from "./s3-object";
import { readIndex } from "./shard-publish";
import { latestStateGeneration, parseStateBody, readStateParts, writeStateParts } from "./state-parts";
import { META, type PublishTarget } from "./target";

export interface StateTarget extends PublishTarget {
  stateKey: string;
}

export interface StoredState {
  state: ReconcilerState;
  etag: string | undefined;
  /** The head the state was read from (absent: no object, or a whole state of schemaVersion 1). */
  head?: StateHead;
}

/**
 * Reads the state: the head, then its parts (state-parts.ts); a whole state written by an
 * earlier version as it is. With the target's cache, a conditional GET of the head, and the
 * state is shared (frozen) while its ETag is the same: callers never change a state read,
 * they change a copy (updateStateAndPublish's step 2).
 */
export async function readState(t: Pick<StateTarget, "s3" | "bucket" | "stateKey" | "cache">, now: Date): Promise<StoredState> {
  const obj = await readObject(t.s3, t.bucket, t.stateKey, t.cache);
  if (!obj) return { state: emptyState(now), etag: undefined };
  const where = `s3://${t.bucket}/${t.stateKey}`;
  const parse = (body: string) => parseStateBody(where, body);
  const parsed = t.cache ? t.cache.parsed(t.bucket, t.stateKey, obj, "state", parse) : parse(obj.body);
  if (parsed.kind === "whole") return { state: parsed.state, etag: obj.etag };
  return { state: await readStateParts(t, parsed.head, obj.etag), etag: obj.etag, head: parsed.head };
}

export interface StateChange<R> {
  /** The new state, or undefined when nothing changed (no state write). */
  state: ReconcilerState | undefined;
  result: R;
}

export interface StatePublishOutcome<R> {
  result: R;
  stateWritten: boolean;
  stateGeneration: number;
  before: ReconcilerState;
  after: ReconcilerState;
  publish: PublishOutcome;
  stateAttempts: number;
  build?: BuildResult;
}

export interface StatePublishOptions {
  now: () => Date;
  tagNames: TagNames;
  dryRun?: boolean;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Failures of the full discovery that the state has nothing to keep for (first run). */
  failed?: FailedScope[];
  /** The state as already read by the caller, used for the first attempt (saves one GET). */
  initial?: StoredState;
}

/** Steps 1 to 4 of updateStateAndPublish: the state changed and written. */
export interface StateUpdate<R> {
  result: R;
  stateWritten: boolean;
  before: ReconcilerState;
  after: ReconcilerState;
  attempt: number;
}

/**
 * The generation a state object created now must start above: the one the published
 * document or shard index was built from, so that a state lost and created again is not
 * refused as older.
 */
async function generationFloor(t: StateTarget, etag: string | undefined): Promise<number> {
  if (etag) return 0;
  // The shard index may be built from a newer state than the single document (event batches).
  const [head, { index }] = await Promise.all([headObject(t.s3, t.bucket, t.key), readIndex(t)]);
  return Math.max(Number(head?.metadata[META.stateGeneration] ?? 0) || 0, index?.stateGeneration ?? 0);
}

/**
 * Applies `change` to the current state, writes it conditionally (retrying a lost race by
 * re-reading and re-applying), then publishes the document built from the written state.
 *
 * The steps, each with the failure it prevents (marked `// (n)` in the code):
 *
 *  1. Read the state object and its ETag (on the first attempt, the caller's copy when it
 *     passed one, saving a GET). No object gives an empty state and no ETag; an unknown
 *     schemaVersion throws ReconcilerStateError rather than being overwritten.
 *  2. Apply `change` to a working copy (core's workingCopy: new maps, shared entries, each
 *     change replaces an entry): `before`, frozen, stays as read (the change gets it too,
 *     to compare with), and the change can be applied again to a newer state after a
 *     lost race. `undefined` (nothing changed) writes no
 *     state (README guarantee G5).
 *  3. Number the new state: one above the state read, or, when the state object did not
 *     exist (first run, or a lost state), one above the state generation recorded on the
 *     published document. A state created again is then not refused as older than the
 *     document it once produced (step 3 of publishDocument).
 *  4. Write the state conditionally: the parts the change touched (state-parts.ts), then
 *     the head, `If-Match` the ETag of step 1, `If-None-Match: *` for a new object (README
 *     guarantee G9). A lost race waits the store's one backoff
 *     (retryOnConflict) and starts again at step 1, so the change is re-applied to the
 *     winner's state and no update is lost; at most `maxAttempts` (default 8) times, then
 *     the conflict is thrown, as is any other error. A dry run writes nothing and goes on
 *     with the changed state, generation unchanged.
 *  5. Publish the document built from the state of step 4 (or the unchanged state) with
 *     publishDocument, which re-reads the document and writes it only if it changed. It
 *     runs even when the state did not change, so a document left behind by a run that
 *     wrote the state and then failed is brought up to date. The builder keeps the last
 *     targets of failed parts (README guarantee G1), publishes nothing for a state never
 *     completed (decidePublication, README guarantee G7), and records the state
 *     generation the document is built from (README guarantee G9).
 */
export async function updateStateAndPublish<R>(
  t: StateTarget,
  /** Changes its first argument, a copy of the state read; the second is the state as read (not to be changed). */
  change: (state: ReconcilerState, read: Readonly<ReconcilerState>) => StateChange<R>,
  options: StatePublishOptions,
): Promise<StatePublishOutcome<R>> {
  const written = await updateState(t, change, options);
  // (5)
  let build: BuildResult | undefined;
  const builder = shardBuilderOf(t);
  const publish = await publishDocument(
    t,
    (previous) => {
      // From the shards the process keeps (only changed services built again), unless failed
      // parts the state lacks carry targets over from the published document.
      const p =
        buildShardedPublication(written.after, builder, options.tagNames, options.failed) ??
        buildPublication(written.after, previous?.document, options.tagNames, options.failed);
      build = p.result;
      return p.built;
    },
    { now: options.now, dryRun: options.dryRun, sleep: options.sleep, latestStateGeneration: () => latestStateGeneration(t) },
  );
  const { result, stateWritten, before, after, attempt } = written;
  return { result, stateWritten, stateGeneration: after.generation, before, after, publish, stateAttempts: attempt, build };
}

/**
 * updateStateAndPublish for an event batch when the single document is the full
 * reconcile's (PUBLISH_SINGLE_DOCUMENT=full-reconcile): steps 1 to 4, then step 5 publishes
 * the changed shards and the index (index-publish.ts) instead of the single document.
 */
export async function updateStateAndPublishShards<R>(
  t: StateTarget,
  change: (state: ReconcilerState, read: Readonly<ReconcilerState>) => StateChange<R>,
  options: StatePublishOptions,
): Promise<Omit<StatePublishOutcome<R>, "publish" | "build"> & { publish: IndexPublishOutcome }> {
  const written = await updateState(t, change, options);
  const publish = await publishFromState(t, written.after, {
    tagNames: options.tagNames,
    ...(options.failed ? { failed: options.failed } : {}),
    now: options.now,
    ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const { result, stateWritten, before, after, attempt } = written;
  return { result, stateWritten, stateGeneration: after.generation, before, after, publish, stateAttempts: attempt };
}

/** Steps 1 to 4: the change applied to the state read and written conditionally, retried after a lost race. */
export async function updateState<R>(
  t: StateTarget,
  change: (state: ReconcilerState, read: Readonly<ReconcilerState>) => StateChange<R>,
  options: Pick<StatePublishOptions, "now" | "dryRun" | "maxAttempts" | "sleep" | "initial">,
): Promise<StateUpdate<R>> {
  return retryOnConflict(
    async (attempt) => {
      const read = attempt === 1 && options.initial ? options.initial : await readState(t, options.now()); // (1)
      const { state: before, etag } = read;
      // (2) The copy shares every entry the change leaves alone (core's workingCopy); `before`
      // is frozen first, so a change made in place instead of by replacement throws.
      const { state: changed, result } = change(workingCopy(deepFreeze(before)), before);
      if (!changed) return { before, after: before, result, stateWritten: false, attempt };
      if (options.dryRun) return { before, after: changed, result, stateWritten: false, attempt }; // (4) dry run: nothing written
      const floor = await generationFloor(t, etag); // (3)
      const after = { ...changed, generation: Math.max(before.generation, floor) + 1, updatedAt: options.now().toISOString() };
      // (4) The parts the change touched, then the head, conditionally (state-parts.ts).
      await writeStateParts(t, read, after, options.now());
      return { before, after, result, stateWritten: true, attempt };
    },
    { maxAttempts: options.maxAttempts ?? 8, sleep: options.sleep },
  );
}
