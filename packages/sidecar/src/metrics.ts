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
  const m: SidecarMetrics = {
    registry,
    syncErrors: new Counter({
      name: `${P}sync_errors_total`,
      help: "Syncs that failed, by reason (fetch, validation, verification or write); the published file was left as it was.",
      labelNames: ["reason"],
      registers,
    }),
    syncs: new Counter({
      name: `${P}syncs_total`,
      help: "Sync attempts by result: changed (a new verified document was applied), unchanged, error.",
      labelNames: ["result"],
      registers,
    }),
    lastSuccess: new Gauge({
      name: `${P}last_success_timestamp_seconds`,
      help: "Unix time of the last successful sync (changed or unchanged); 0 before the first.",
      registers,
    }),
    lastChange: new Gauge({
      name: `${P}last_change_timestamp_seconds`,
      help: "Unix time a new verified document was last applied; 0 before the first.",
      registers,
    }),
    targets: new Gauge({ name: `${P}targets`, help: "Targets in the last verified document.", registers }),
    groups: new Gauge({ name: `${P}target_groups`, help: "Target groups in the last verified document.", registers }),
    generation: new Gauge({
      name: `${P}document_generation`,
      help: "Generation of the last applied document (from the manifest or the object's metadata); 0 when unknown.",
      registers,
    }),
    fetchDuration: new Histogram({
      name: `${P}fetch_duration_seconds`,
      help: "Time to fetch the document from the source, by result (changed, unchanged, error).",
      labelNames: ["result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    fileWrites: new Counter({ name: `${P}file_writes_total`, help: "Atomic replacements of the output file.", registers }),
    staleManifests: new Counter({
      name: `${P}stale_manifests_total`,
      help: "Manifests ignored because their generation was lower than the applied one.",
      registers,
    }),
    consecutiveErrors: new Gauge({ name: `${P}consecutive_errors`, help: "Failed syncs since the last success.", registers }),
  };
  for (const r of KNOWN_ERROR_REASONS) m.syncErrors.inc({ reason: r }, 0);
  for (const r of ["changed", "unchanged", "error"]) m.syncs.inc({ result: r }, 0);
  m.lastSuccess.set(0);
  m.lastChange.set(0);
  return m;
}
