// The full reconcile: discover everything, merge it into the state (newer event facts
// win, failed parts keep their entries), publish the document built from the state.
// Used by the CLI, the scheduled function (the safety net, with the events of the batch the
// schedule arrived in, applied first in the same state write) and the manual invoke. The
// drift it reports is what the events had missed: the difference between the document
// built from the state (with those events) before and after the merge. The merge decides
// whether the state is complete; a state that is not publishes nothing.
import {
  diffDocuments,
  driftOf,
  heartbeatDue,
  isComplete,
  mergeDiscovery,
  sameFacts,
  type DocumentDiff,
  type FailedScope,
  type ReconcilerState,
  type SkippedEndpoint,
} from "@scrape-reconciler/core";
import { discover, TaskDefinitionCache, type DiscoveryStats } from "@scrape-reconciler/discovery";
import { readPublished, readState, updateStateAndPublish, type StoredState } from "@scrape-reconciler/store";
import type { ReconcilerClients } from "./clients";
import { stateTargetOf, type ReconcileConfig } from "./config";

export interface ReconcileDeps {
  clients: Pick<ReconcilerClients, "servicediscovery" | "ecs" | "s3" | "ssm">;
  config: ReconcileConfig;
  now: () => Date;
  /** Shared across reconciles of one process (task definitions are immutable). */
  taskDefinitions?: TaskDefinitionCache;
}

export interface ReconcileOptions {
  dryRun?: boolean;
  /**
   * Changes applied to the state before the discovery is merged into it, in the same state
   * write (the events of the batch a schedule arrived in). Runs again after a lost race, on
   * a fresh copy: it must depend only on the state it is given.
   */
  before?: (state: ReconcilerState) => void;
  /** The state as already read by the caller (saves one GET). */
  initial?: StoredState;
}

export interface ReconcileSummary {
  dryRun: boolean;
  written: boolean;
  stateWritten: boolean;
  /** Whether the state is complete after this reconcile (a state that is not publishes nothing). */
  complete: boolean;
  /** Why nothing was published (e.g. every service failed), when that happened. */
  withheld?: string;
  generation: number;
  previousGeneration: number;
  stateGeneration: number;
  sha256: string;
  targets: number;
  groups: number;
  services: number;
  namespaces: number;
  added: number;
  removed: number;
  changed: number;
  /** Targets the events had missed (added + removed + changed by the merge). */
  drift: number;
  carriedOver: number;
  notRunning: number;
  skippedEndpoints: SkippedEndpoint[];
  failed: FailedScope[];
  attempts: number;
  durationMs: number;
  diff: DocumentDiff;
  stats: DiscoveryStats;
}

/** Whether a valid document was published: it covers the failed parts of a discovery that a state never completed lacks. */
async function publishedBefore(deps: ReconcileDeps): Promise<boolean> {
  const doc = await readPublished({ s3: deps.clients.s3, bucket: deps.config.bucket, key: deps.config.key });
  return doc !== undefined && doc.invalid === undefined;
}

export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const started = Date.now();
  const { clients, config } = deps;
  const startedAt = deps.now();
  // Task definitions are immutable: the ones the state already knows need no call.
  const taskDefinitions = deps.taskDefinitions ?? new TaskDefinitionCache();
  const known = options.initial ?? (await readState({ s3: clients.s3, bucket: config.bucket, stateKey: config.stateKey }, startedAt));
  for (const [arn, mode] of Object.entries(known.state.taskDefinitions ?? {})) taskDefinitions.prime(arn, mode);
  const discovery = await discover(clients, {
    tagNames: config.tagNames,
    namespaces: config.namespaces,
    clusters: config.clusters,
    concurrency: config.concurrency,
    taskDefinitions,
  });
  // Read only when it can matter: failed parts, and a state that was not complete.
  const covered = discovery.failed.length > 0 && !isComplete(known.state) ? await publishedBefore(deps) : false;
  /** The state with the caller's changes, before the merge (of the last attempt): the base of the drift. */
  let base: ReconcilerState | undefined;
  const out = await updateStateAndPublish(
    stateTargetOf(config, clients),
    (state) => {
      base = structuredClone(state);
      options.before?.(base);
      const merged = mergeDiscovery(base, discovery, startedAt, deps.now(), { publishedBefore: covered });
      // An unchanged account writes nothing (neither the state nor the document), except a
      // heartbeat of the state every HEARTBEAT_MS so the audit can tell reconciles still run.
      return { state: sameFacts(merged, state) && !heartbeatDue(state, deps.now()) ? undefined : merged, result: undefined };
    },
    { now: deps.now, tagNames: config.tagNames, dryRun: options.dryRun, failed: discovery.failed, initial: known },
  );
  const { publish, build } = out;
  const diff = diffDocuments(publish.previous, publish.document);
  return {
    dryRun: Boolean(options.dryRun),
    written: publish.written,
    stateWritten: out.stateWritten,
    complete: isComplete(out.after),
    withheld: publish.withheld,
    generation: publish.generation,
    previousGeneration: publish.previousGeneration,
    stateGeneration: out.stateGeneration,
    sha256: publish.sha256,
    targets: diff.after,
    groups: publish.document.length,
    services: build?.services ?? 0,
    namespaces: discovery.namespacesSeen,
    added: diff.added.length,
    removed: diff.removed.length,
    changed: diff.changed.length,
    // What the merge changed in the document the state gave before (core's driftOf).
    drift: driftOf(base ?? out.before, out.before, build?.document, out.after !== out.before, config.tagNames),
    carriedOver: build?.carriedOver ?? 0,
    notRunning: build?.notRunning ?? 0,
    skippedEndpoints: build?.skipped ?? [],
    failed: discovery.failed,
    attempts: publish.attempts + out.stateAttempts - 1,
    durationMs: Date.now() - started,
    diff,
    stats: discovery.stats,
  };
}
