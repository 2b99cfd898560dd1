// What an audit finds, and the views of it the callers need: the CloudWatch metric values
// (names fixed by infra/alarms.ts), a short summary for the function's return value and
// log, and whether anything needs a person (the CLI's exit code). Pure.
import type { AffectedService, AuditTarget } from "./compare";

export interface AuditError {
  /** Where it happened: the whole listing, one namespace or service, or one of our objects. */
  scope: "listing" | "namespace" | "service" | "document" | "state" | "manifest";
  /** The AWS operation that failed, e.g. "servicediscovery:ListInstances". */
  operation: string;
  namespace?: string;
  service?: string;
  error: string;
}

export interface AuditReport {
  auditedAt: string;
  /** False when stale/missing could not be computed at all (listing failed, no usable document). */
  compared: boolean;
  document: {
    present: boolean;
    generation: number;
    generatedAt?: string;
    targets: number;
    /** The object exists but is not a valid document. */
    invalid?: string;
  };
  /** The SSM manifest, when it could be read; matchesDocument = same generation and sha256. */
  manifest?: { generation: number; matchesDocument: boolean };
  lastFullReconcileAt?: string;
  documentAgeSeconds?: number;
  reconcileAgeSeconds?: number;
  /** What the fresh discovery found (the parts that succeeded). */
  discovered: { namespaces: number; services: number; targets: number };
  stale: AuditTarget[];
  missing: AuditTarget[];
  changed: number;
  /** Published targets left out of the comparison because their discovery failed. */
  excluded: number;
  /** Services with stale or missing targets, most affected first. */
  services: AffectedService[];
  errors: AuditError[];
}

/** The metric names the alarms watch (namespace ScrapeReconciler, dimension service = app). */
export const AUDIT_METRIC_NAMES = ["StaleTargets", "MissingTargets", "DocumentAgeSeconds", "ReconcileAgeSeconds", "DiscoveryErrors"] as const;
export type AuditMetricName = (typeof AUDIT_METRIC_NAMES)[number];

export interface AuditMetric {
  name: AuditMetricName;
  unit: "Count" | "Seconds";
  value: number;
}

/**
 * The values to emit. An unknown value is left out rather than sent as 0: stale/missing
 * when nothing could be compared (DiscoveryErrors says why), an age whose input is
 * missing (the age alarms treat missing data as breaching).
 */
export function auditMetrics(r: AuditReport): AuditMetric[] {
  const out: AuditMetric[] = [];
  if (r.compared) {
    out.push({ name: "StaleTargets", unit: "Count", value: r.stale.length });
    out.push({ name: "MissingTargets", unit: "Count", value: r.missing.length });
  }
  if (r.documentAgeSeconds !== undefined) out.push({ name: "DocumentAgeSeconds", unit: "Seconds", value: r.documentAgeSeconds });
  if (r.reconcileAgeSeconds !== undefined) out.push({ name: "ReconcileAgeSeconds", unit: "Seconds", value: r.reconcileAgeSeconds });
  out.push({ name: "DiscoveryErrors", unit: "Count", value: r.errors.length });
  return out;
}

/** Anything a person should look at: stale, missing, errors, or no usable document. */
export function hasFindings(r: AuditReport): boolean {
  return r.stale.length > 0 || r.missing.length > 0 || r.errors.length > 0 || !r.document.present || r.document.invalid !== undefined;
}

export interface AuditSummary {
  ok: boolean;
  compared: boolean;
  generation: number;
  documentTargets: number;
  discoveredTargets: number;
  stale: number;
  missing: number;
  changed: number;
  excluded: number;
  errors: number;
  documentAgeSeconds: number | null;
  reconcileAgeSeconds: number | null;
}

export function summarize(r: AuditReport): AuditSummary {
  return {
    ok: !hasFindings(r),
    compared: r.compared,
    generation: r.document.generation,
    documentTargets: r.document.targets,
    discoveredTargets: r.discovered.targets,
    stale: r.stale.length,
    missing: r.missing.length,
    changed: r.changed,
    excluded: r.excluded,
    errors: r.errors.length,
    documentAgeSeconds: r.documentAgeSeconds ?? null,
    reconcileAgeSeconds: r.reconcileAgeSeconds ?? null,
  };
}
