// The reconcile function's CloudWatch metrics (EMF through Powertools Metrics): events
// processed by type, malformed events, document writes and skipped writes, AWS reads per
// batch, reconcile duration, drift found by the safety-net reconcile, discovery errors.
// A full reconcile, alone or run by a batch, counts FullReconciles (FullReconcileFailures
// when it threw) with its trigger in the EMF metadata.
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { HandleResult } from "./handle";

type FullReconcileFigures = { drift: number; failed: number; skippedEndpoints: number } | { error: string };

function recordFullReconcile(metrics: Metrics, trigger: string, f: FullReconcileFigures): void {
  metrics.addMetadata("trigger", trigger);
  if ("error" in f) {
    metrics.addMetric("FullReconcileFailures", MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric("FullReconciles", MetricUnit.Count, 1);
  metrics.addMetric("Drift", MetricUnit.Count, f.drift);
  metrics.addMetric("DiscoveryErrors", MetricUnit.Count, f.failed);
  metrics.addMetric("SkippedEndpoints", MetricUnit.Count, f.skippedEndpoints);
}

export function recordMetrics(metrics: Metrics, result: HandleResult, durationMs: number): void {
  if (result.kind === "reconcile") {
    const s = result.summary;
    recordFullReconcile(metrics, result.trigger, { drift: s.drift, failed: s.failed.length, skippedEndpoints: s.skippedEndpoints.length });
    metrics.addMetric(s.written ? "DocumentWrites" : "SkippedWrites", MetricUnit.Count, 1);
    metrics.addMetric("ReconcileDuration", MetricUnit.Milliseconds, s.durationMs);
    metrics.addMetric("Targets", MetricUnit.Count, s.targets);
    return;
  }
  const s = result.summary;
  for (const [type, n] of Object.entries(s.byType)) {
    const single = metrics.singleMetric();
    single.addDimension("EventType", type);
    single.addMetric("EventsProcessed", MetricUnit.Count, n);
  }
  if (s.fullReconcile) recordFullReconcile(metrics, s.fullReconcile.trigger, s.fullReconcile);
  metrics.addMetric("MalformedEvents", MetricUnit.Count, result.malformed);
  metrics.addMetric(s.documentWritten ? "DocumentWrites" : "SkippedWrites", MetricUnit.Count, 1);
  metrics.addMetric("AwsReads", MetricUnit.Count, s.awsReads);
  metrics.addMetric("ReconcileDuration", MetricUnit.Milliseconds, durationMs);
  metrics.addMetric("Targets", MetricUnit.Count, s.targets);
}
