// The reconciler state object in S3 (STATE_KEY, beside the document) with the same
// conditional-write discipline as the document, and the one path every writer takes:
// read state -> change it -> write it (If-Match) -> publish the document built from it.
// Two writers racing: the loser re-reads and re-applies its change, so no update is lost;
// the document records the state generation it was built from and is never replaced by a
// document built from an older state (README guarantee G9). A state never completed by a
// full discovery publishes nothing (decidePublication, README guarantee G7); a state
// created again after it was lost goes on from the published document's state generation.
import {
  buildDocument,
  ConflictError,
  decidePublication,
  emptyState,
  isComplete,
  toDiscovery,
  type BuildResult,
  type FailedScope,
  type ReconcilerState,
} from "@scrape-reconciler/core";
import { headObject, putConditional, readObject } from "./s3-object";
import { META, publishDocument, type BuiltDocument, type PublishOutcome, type PublishTarget } from "./publish";
import { sourceHealth } from "./health";
import type { TagNames } from "@scrape-reconciler/core";

export interface StateTarget extends PublishTarget {
  stateKey: string;
}

export interface StoredState {
  state: ReconcilerState;
  etag: string | undefined;
}

export async function readState(t: Pick<StateTarget, "s3" | "bucket" | "stateKey">, now: Date): Promise<StoredState> {
  const obj = await readObject(t.s3, t.bucket, t.stateKey);
  if (!obj) return { state: emptyState(now), etag: undefined };
  const state = JSON.parse(obj.body) as ReconcilerState;
  if (state.schemaVersion !== 1) throw new ConflictError(`s3://${t.bucket}/${t.stateKey} has an unknown schemaVersion ${String(state.schemaVersion)}`);
  return { state, etag: obj.etag };
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

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The generation a state object created now must start above: the one the published
 * document was built from, so that a state lost and created again is not refused as older.
 */
async function generationFloor(t: StateTarget, etag: string | undefined): Promise<number> {
  if (etag) return 0;
  const head = await headObject(t.s3, t.bucket, t.key);
  return Number(head?.metadata[META.stateGeneration] ?? 0) || 0;
}

export function documentBuilder(state: ReconcilerState, tagNames: TagNames, failed: FailedScope[], sink: (r: BuildResult) => void) {
  return (previous: { document: BuildResult["document"] } | undefined): BuiltDocument => {
    const discovery = toDiscovery(state);
    // Every part whose last discovery failed, from the state (so event batches after that
    // discovery still carry them) and from the caller's discovery.
    const allFailed = [...state.failed, ...failed.filter((f) => !state.failed.some((g) => g.id === f.id))];
    // Failed parts the state knows nothing of (first run, lost state): keep their targets from the previous document.
    const unknown = allFailed.filter((f) => (f.scope === "service" ? !state.services[f.id] : !state.namespaces[f.id]));
    const result = buildDocument({ ...discovery, failed: unknown }, previous?.document, { tagNames });
    sink(result);
    const common = {
      services: result.services,
      sources: sourceHealth(allFailed),
      failedServices: allFailed.map((f) => (f.namespaceName && f.scope === "service" ? `${f.namespaceName}/${f.name}` : f.name)),
      skippedEndpoints: result.skipped.length,
      stateGeneration: state.generation,
    };
    const decision = decidePublication({ complete: isComplete(state), groups: result.document.length, failed: allFailed });
    if (!decision.publish) return { ...common, document: undefined, withheld: decision.reason };
    return { ...common, document: result.document };
  };
}

/**
 * Applies `change` to the current state, writes it conditionally (retrying a lost race by
 * re-reading and re-applying), then publishes the document built from the written state.
 *
 * The steps, each with the failure it prevents (marked `// (n)` in the code):
 *
 *  1. Read the state object and its ETag (on the first attempt, the caller's copy when it
 *     passed one, saving a GET). No object gives an empty state and no ETag; an unknown
 *     schemaVersion throws rather than being overwritten.
 *  2. Apply `change` to a deep copy: `before` stays as read, and the change can be applied
 *     again to a newer state after a lost race. `undefined` (nothing changed) writes no
 *     state (README guarantee G5).
 *  3. Number the new state: one above the state read, or, when the state object did not
 *     exist (first run, or a lost state), one above the state generation recorded on the
 *     published document. A state created again is then not refused as older than the
 *     document it once produced (step 3 of publishDocument).
 *  4. Write the state conditionally: `If-Match` the ETag of step 1, `If-None-Match: *` for
 *     a new object (README guarantee G9). A lost race waits a random backoff (up to
 *     20 ms x 2^attempt, at most 1 s) and starts again at step 1, so the change is
 *     re-applied to the winner's state and no update is lost; at most `maxAttempts`
 *     (default 8) times, then the conflict is thrown, as is any other error. A dry run
 *     writes nothing and goes on with the changed state, generation unchanged.
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
  change: (state: ReconcilerState) => StateChange<R>,
  options: StatePublishOptions,
): Promise<StatePublishOutcome<R>> {
  const maxAttempts = options.maxAttempts ?? 8;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    const { state: before, etag } = attempt === 1 && options.initial ? options.initial : await readState(t, options.now()); // (1)
    const { state: changed, result } = change(structuredClone(before)); // (2)
    let after = before;
    let stateWritten = false;
    if (changed && !options.dryRun) {
      // (3)
      const floor = await generationFloor(t, etag);
      after = { ...changed, generation: Math.max(before.generation, floor) + 1, updatedAt: options.now().toISOString() };
      // (4)
      try {
        await putConditional(t.s3, t.bucket, t.stateKey, JSON.stringify(after), { ifMatch: etag });
        stateWritten = true;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= maxAttempts) throw err;
        await sleep(Math.min(1000, 20 * 2 ** attempt) * Math.random());
        continue;
      }
    } else if (changed) {
      after = changed; // (4) dry run: nothing written
    }
    // (5)
    let build: BuildResult | undefined;
    const publish = await publishDocument(
      t,
      documentBuilder(after, options.tagNames, options.failed ?? [], (r) => (build = r)),
      {
        now: options.now,
        dryRun: options.dryRun,
        sleep,
      },
    );
    return { result, stateWritten, stateGeneration: after.generation, before, after, publish, stateAttempts: attempt, build };
  }
}
