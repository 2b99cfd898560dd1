// The forwarder's own CloudWatch metrics (EMF through Powertools Metrics), from a cycle's
// summary: SeriesSent, SamplesSent, SamplesDropped (one datum per reason, dimension
// `reason`), SamplesPending, MetricsRequested (the GetMetricData bill), ForwardErrors and
// ForwardDuration. ForwardErrors > 0 is the alarm signal: a cycle with errors still
// returns normally (a thrown scheduled invocation would be retried by Lambda).
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { ForwardSummary } from "./forward";

export function recordForwardMetrics(metrics: Metrics, s: ForwardSummary): void {
  metrics.addMetric("SeriesSent", MetricUnit.Count, s.series);
  metrics.addMetric("SamplesSent", MetricUnit.Count, s.samplesSent);
  metrics.addMetric("SamplesPending", MetricUnit.Count, s.samplesPending);
  metrics.addMetric("MetricsRequested", MetricUnit.Count, s.metricsRequested);
  metrics.addMetric("ForwardErrors", MetricUnit.Count, s.errors.length);
  metrics.addMetric("ForwardDuration", MetricUnit.Milliseconds, s.durationMs);
  for (const [reason, n] of Object.entries(s.samplesDropped)) {
    const m = metrics.singleMetric();
    m.addDimension("reason", reason);
    m.addMetric("SamplesDropped", MetricUnit.Count, n);
  }
}
