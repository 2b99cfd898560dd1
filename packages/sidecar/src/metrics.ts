// The sidecar's own Prometheus metrics (prom-client), on a registry per sidecar instance so
// several can run in one process (tests). The names below are a contract: alert rules use
// sync_errors_total, last_success_timestamp_seconds, targets and document_generation.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const P = "scrape_reconciler_sidecar_";

/** Error reasons created at zero so `rate()`/`increase()` work before the first error. */
export const KNOWN_ERROR_REASONS = [
  "invalid_json",
  "not_array",
  "bad_group",
  "bad_target",
  "bad_label",
  "bad_manifest",
  "sha256_mismatch",
  "not_found",
  "access_denied",
  "throttled",
  "unreachable",
  "timeout",
  "fetch_error",
  "write_error",
] as const;

export interface SidecarMetrics {
  registry: Registry;
  syncErrors: Counter<"reason">;
  syncs: Counter<"result">;
  lastSuccess: Gauge;
  lastChange: Gauge;
  targets: Gauge;
  groups: Gauge;
  generation: Gauge;
  fetchDuration: Histogram<"result">;
  fileWrites: Counter;
  staleManifests: Counter;
  consecutiveErrors: Gauge;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): SidecarMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "" });
  const registers = [registry];
  // Every metric carries the prefix and lives on this registry.
  const counter = <L extends string = string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name: P + name, help, labelNames, registers });
  const gauge = (name: string, help: string) => new Gauge({ name: P + name, help, registers });
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
      labelNames: ["result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    fileWrites: counter("file_writes_total", "Atomic replacements of the output file."),
    staleManifests: counter("stale_manifests_total", "Manifests ignored because their generation was lower than the applied one."),
    consecutiveErrors: gauge("consecutive_errors", "Failed syncs since the last success."),
  };
  for (const r of KNOWN_ERROR_REASONS) m.syncErrors.inc({ reason: r }, 0);
  for (const r of ["changed", "unchanged", "error"]) m.syncs.inc({ result: r }, 0);
  m.lastSuccess.set(0);
  m.lastChange.set(0);
  return m;
}
