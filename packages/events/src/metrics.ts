// The reconcile function's CloudWatch metrics (EMF through Powertools Metrics): events
// processed by type, malformed events, document writes and skipped writes, AWS reads per
// batch, reconcile duration, drift found by the safety-net reconcile, discovery errors.
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { HandleResult } from "./handle";

export function recordMetrics(metrics: Metrics, result: HandleResult, durationMs: number): void {
  if (result.kind === "reconcile") {
    const s = result.summary;
    metrics.addMetric("FullReconciles", MetricUnit.Count, 1);
    metrics.addMetric(s.written ? "DocumentWrites" : "SkippedWrites", MetricUnit.Count, 1);
    metrics.addMetric("ReconcileDuration", MetricUnit.Milliseconds, s.durationMs);
    metrics.addMetric("Drift", MetricUnit.Count, s.drift);
    metrics.addMetric("DiscoveryErrors", MetricUnit.Count, s.failed.length);
    metrics.addMetric("SkippedEndpoints", MetricUnit.Count, s.skippedEndpoints.length);
    metrics.addMetric("Targets", MetricUnit.Count, s.targets);
    return;
  }
  const s = result.summary;
  for (const [type, n] of Object.entries(s.byType)) {
    const single = metrics.singleMetric();
    single.addDimension("EventType", type);
    single.addMetric("EventsProcessed", MetricUnit.Count, n);
  }
  metrics.addMetric("MalformedEvents", MetricUnit.Count, result.malformed);
  metrics.addMetric(s.documentWritten ? "DocumentWrites" : "SkippedWrites", MetricUnit.Count, 1);
  metrics.addMetric("AwsReads", MetricUnit.Count, s.awsReads);
  metrics.addMetric("ReconcileDuration", MetricUnit.Milliseconds, durationMs);
  metrics.addMetric("Targets", MetricUnit.Count, s.targets);
}
