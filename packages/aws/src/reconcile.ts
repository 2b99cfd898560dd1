// The full reconcile: discover everything, build the document from the facts and the
// previous document (to keep what failed), publish it conditionally. Used by the CLI,
// the scheduled function and the manual invoke; returns a summary for people and logs.
import {
  buildDocument,
  diffDocuments,
  type BuildResult,
  type Discovery,
  type DocumentDiff,
  type FailedScope,
  type SkippedEndpoint,
  type SourceHealth,
} from "@scrape-reconciler/core";
import type { ReconcilerClients } from "./clients";
import type { ReconcileConfig } from "./config";
import { discover, type DiscoveryStats } from "./discovery";
import { TaskDefinitionCache } from "./ecs-tasks";
import { publishDocument, type BuiltDocument, type PublishOutcome } from "./publish";

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
  sha256: string;
  targets: number;
  groups: number;
  services: number;
  namespaces: number;
  added: number;
  removed: number;
  changed: number;
  carriedOver: number;
  notRunning: number;
  skippedEndpoints: SkippedEndpoint[];
  failed: FailedScope[];
  attempts: number;
  durationMs: number;
  diff: DocumentDiff;
  stats: DiscoveryStats;
}

export function sourceHealth(failed: FailedScope[]): Record<string, SourceHealth> {
  const count = (prefix: string) => failed.filter((f) => f.operation.startsWith(prefix)).length;
  const health = (errors: number): SourceHealth => ({ status: errors === 0 ? "ok" : "partial", errors });
  return { cloudmap: health(count("servicediscovery:")), ecs: health(count("ecs:")) };
}

/** Turns a discovery into what publishDocument writes; withholds an empty-by-error document (invariant 2). */
export function builder(discovery: Discovery, config: Pick<ReconcileConfig, "tagNames">, sink?: (r: BuildResult) => void) {
  return (previous: { document: ReturnType<typeof buildDocument>["document"] } | undefined): BuiltDocument => {
    const result = buildDocument(discovery, previous?.document, { tagNames: config.tagNames });
    sink?.(result);
    const common = {
      services: result.services,
      sources: sourceHealth(discovery.failed),
      failedServices: discovery.failed.map((f) => (f.namespaceName && f.scope === "service" ? `${f.namespaceName}/${f.name}` : f.name)),
      skippedEndpoints: result.skipped.length,
    };
    if (result.document.length === 0 && discovery.failed.length > 0) {
      return { ...common, document: undefined, withheld: `discovery failed for ${discovery.failed.length} part(s) and found no targets: not publishing an empty document` };
    }
    return { ...common, document: result.document };
  };
}

export async function reconcile(deps: ReconcileDeps, options: { dryRun?: boolean } = {}): Promise<ReconcileSummary> {
  const started = Date.now();
  const { clients, config } = deps;
  const discovery = await discover(clients, {
    tagNames: config.tagNames,
    namespaces: config.namespaces,
    clusters: config.clusters,
    concurrency: config.concurrency,
    taskDefinitions: deps.taskDefinitions,
  });
  let last: BuildResult | undefined;
  const outcome: PublishOutcome = await publishDocument(
    { s3: clients.s3, ssm: clients.ssm, bucket: config.bucket, key: config.key, manifestParameter: config.manifestParameter },
    builder(discovery, config, (r) => (last = r)),
    { now: deps.now, dryRun: options.dryRun },
  );
  const diff = diffDocuments(outcome.previous, outcome.document);
  return {
    dryRun: Boolean(options.dryRun),
    written: outcome.written,
    withheld: outcome.withheld,
    generation: outcome.generation,
    previousGeneration: outcome.previousGeneration,
    sha256: outcome.sha256,
    targets: diff.after,
    groups: outcome.document.length,
    services: last?.services ?? 0,
    namespaces: discovery.namespacesSeen,
    added: diff.added.length,
    removed: diff.removed.length,
    changed: diff.changed.length,
    carriedOver: last?.carriedOver ?? 0,
    notRunning: last?.notRunning ?? 0,
    skippedEndpoints: last?.skipped ?? [],
    failed: discovery.failed,
    attempts: outcome.attempts,
    durationMs: Date.now() - started,
    diff,
    stats: discovery.stats,
  };
}
