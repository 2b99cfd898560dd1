// The sidecar's own Prometheus metrics (prom-client), on a registry per sidecar instance so
// several can run in one process (tests). The names below are a contract: alert rules use
// sync_errors_total, last_success_timestamp_seconds, targets and document_generation.
// With one source the series are exactly those of a single-source sidecar (no `source`
// label). With several, every per-source series carries `source="NAME"`; the combined
// file's writes and write errors are the series without it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const P = "scrape_reconciler_sidecar_";
/** Sampling interval of the default nodejs_eventloop_lag_* metrics. */
export const EVENT_LOOP_PRECISION_MS = 100;

/** Error reasons created at zero so `rate()`/`increase()` work before the first error. */
export const KNOWN_ERROR_REASONS = [
  "invalid_json",
  "not_array",
  "bad_group",
  "bad_target",
  "bad_label",
  "bad_manifest",
  "bad_index",
  "stale_index",
  "sha256_mismatch",
  "not_found",
  "access_denied",
  "throttled",
  "unreachable",
  "timeout",
  "fetch_error",
  "write_error",
] as const;

/** The per-source label: `{source: NAME}` with several sources, `{}` with one. */
export type SourceLabels = { source?: string };

export interface SidecarMetrics {
  registry: Registry;
  syncErrors: Counter<"reason" | "source">;
  syncs: Counter<"result" | "source">;
  lastSuccess: Gauge<"source">;
  lastChange: Gauge<"source">;
  targets: Gauge<"source">;
  groups: Gauge<"source">;
  generation: Gauge<"source">;
  fetchDuration: Histogram<"result" | "source">;
  fileWrites: Counter<"source">;
  staleManifests: Counter<"source">;
  consecutiveErrors: Gauge<"source">;
  /** Index sources (and ssm: sources following an index): shard objects fetched, and their bytes. */
  shardFetches: Counter<"source">;
  shardBytes: Counter<"source">;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** The source names when there are several: the per-source series get a `source` label. */
  sources?: readonly string[];
  /** With several sources: a combined file is written (its writes and write errors start at 0). */
  combined?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): SidecarMetrics {
  const registry = new Registry();
  // The event-loop lag monitor samples every 100 ms instead of prom-client's 10 ms: 100 timer
  // wake-ups a second were half of the idle CPU (issue "Footprint"); the series are the same.
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "", eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
  const registers = [registry];
  const bySource = opts.sources !== undefined;
  const withSource = <L extends string>(labelNames: L[]): (L | "source")[] => (bySource ? [...labelNames, "source"] : labelNames);
  // Every metric carries the prefix and lives on this registry.
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L | "source">({ name: P + name, help, labelNames: withSource(labelNames), registers });
  const gauge = (name: string, help: string) => new Gauge<"source">({ name: P + name, help, labelNames: withSource([]), registers });
  const m: SidecarMetrics = {
    registry,
    syncErrors: counter(
      "sync_errors_total",
      "Syncs that failed, by reason (fetch, validation, verification or write); the published file was left as it was.",
      ["reason"],
    ),
    syncs: counter("syncs_total", "Sync attempts by result: changed (a new verified document was applied), unchanged, error.", ["result"]),
    lastSuccess: gauge("last_success_timestamp_seconds", "Unix time of the last successful sync (changed or unchanged); 0 before the first."),
    lastChange: gauge("last_change_timestamp_seconds", "Unix time a new verified document was last applied; 0 before the first."),
    targets: gauge("targets", "Targets in the last verified document."),
    groups: gauge("target_groups", "Target groups in the last verified document."),
    generation: gauge("document_generation", "Generation of the last applied document (from the manifest or the object's metadata); 0 when unknown."),
    fetchDuration: new Histogram({
      name: `${P}fetch_duration_seconds`,
      help: "Time to fetch the document from the source, by result (changed, unchanged, error).",
      labelNames: withSource(["result"]),
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    fileWrites: counter("file_writes_total", "Atomic replacements of the output file."),
    staleManifests: counter("stale_manifests_total", "Manifests ignored because their generation was lower than the applied one."),
    consecutiveErrors: gauge("consecutive_errors", "Failed syncs since the last success."),
    shardFetches: counter(
      "shard_fetches_total",
      "Shard objects fetched by an index source or an ssm: source following an index (only those its last index did not already hold).",
    ),
    shardBytes: counter("shard_bytes_total", "Bytes of the shard objects fetched by an index source or an ssm: source following an index."),
  };
  const each: SourceLabels[] = bySource ? (opts.sources ?? []).map((source) => ({ source })) : [{}];
  for (const l of each) {
    for (const r of KNOWN_ERROR_REASONS) m.syncErrors.inc({ reason: r, ...l }, 0);
    for (const r of ["changed", "unchanged", "error"]) m.syncs.inc({ result: r, ...l }, 0);
    m.lastSuccess.set(l, 0);
    m.lastChange.set(l, 0);
    if (bySource) {
      // A metric with a label has no series until one is set: start these at 0 as the unlabelled ones do.
      for (const g of [m.targets, m.groups, m.generation, m.consecutiveErrors]) g.set(l, 0);
      m.fileWrites.inc(l, 0);
      m.staleManifests.inc(l, 0);
      m.shardFetches.inc(l, 0);
      m.shardBytes.inc(l, 0);
    }
  }
  if (bySource && opts.combined) {
    m.fileWrites.inc(0);
    m.syncErrors.inc({ reason: "write_error" }, 0);
  }
  return m;
}
