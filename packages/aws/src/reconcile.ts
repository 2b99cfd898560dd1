// The full reconcile: discover everything, merge it into the state (newer event facts
// win, failed parts keep their entries), publish the document built from the state.
// Used by the CLI, the scheduled function (the safety net) and the manual invoke. The
// drift it reports is what the events had missed: the difference between the document
// built from the state before and after the merge.
import {
  buildDocument,
  diffDocuments,
  mergeDiscovery,
  sameFacts,
  toDiscovery,
  type DocumentDiff,
  type FailedScope,
  type SkippedEndpoint,
} from "@scrape-reconciler/core";
import type { ReconcilerClients } from "./clients";
import type { ReconcileConfig } from "./config";
import { discover, type DiscoveryStats } from "./discovery";
import { TaskDefinitionCache } from "./ecs-tasks";
import { readState, updateStateAndPublish } from "./state-store";

/** An unchanged full reconcile still records its time in the state this often. */
export const HEARTBEAT_MS = 15 * 60 * 1000;

export interface ReconcileDeps {
  clients: Pick<ReconcilerClients, "servicediscovery" | "ecs" | "s3" | "ssm">;
  config: ReconcileConfig;
  now: () => Date;
  /** Shared across reconciles of one process (task definitions are immutable). */
  taskDefinitions?: TaskDefinitionCache;
}

export interface ReconcileSummary {
  dryRun: boolean;
  written: boolean;
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

export async function reconcile(deps: ReconcileDeps, options: { dryRun?: boolean } = {}): Promise<ReconcileSummary> {
  const started = Date.now();
  const { clients, config } = deps;
  const startedAt = deps.now();
  // Task definitions are immutable: the ones the state already knows need no call.
  const taskDefinitions = deps.taskDefinitions ?? new TaskDefinitionCache();
  const known = await readState({ s3: clients.s3, bucket: config.bucket, stateKey: config.stateKey }, startedAt);
  for (const [arn, mode] of Object.entries(known.state.taskDefinitions ?? {})) taskDefinitions.prime(arn, mode);
  const discovery = await discover(clients, {
    tagNames: config.tagNames,
    namespaces: config.namespaces,
    clusters: config.clusters,
    concurrency: config.concurrency,
    taskDefinitions,
  });
  const target = { s3: clients.s3, ssm: clients.ssm, bucket: config.bucket, key: config.key, manifestParameter: config.manifestParameter, stateKey: config.stateKey };
  const out = await updateStateAndPublish(
    target,
    (state) => {
      const merged = mergeDiscovery(state, discovery, startedAt, deps.now());
      // An unchanged account writes nothing (neither the state nor the document), except a
      // heartbeat of the state every HEARTBEAT_MS so the audit can tell reconciles still run.
      const last = Date.parse(state.lastFullReconcileAt ?? "") || 0;
      const heartbeat = deps.now().getTime() - last >= HEARTBEAT_MS;
      return { state: sameFacts(merged, state) && !heartbeat ? undefined : merged, result: undefined };
    },
    { now: deps.now, tagNames: config.tagNames, dryRun: options.dryRun, failed: discovery.failed, initial: known },
  );
  const { publish, build } = out;
  const diff = diffDocuments(publish.previous, publish.document);
  // Drift: what the merge changed in the document the state gave before (nothing when the
  // state did not change; the document after is the one just built from the new state).
  const changedState = out.after !== out.before;
  const d = changedState
    ? diffDocuments(buildDocument(toDiscovery(out.before), undefined, { tagNames: config.tagNames }).document, build?.document ?? [])
    : undefined;
  return {
    dryRun: Boolean(options.dryRun),
    written: publish.written,
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
    drift: out.before.generation === 0 || !d ? 0 : d.added.length + d.removed.length + d.changed.length,
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
