// Forward function (scheduled, every minute): one cycle of CloudWatch RDS/ElastiCache
// metrics -> remote write. Thin: config and clients at module scope (a warm container
// keeps the forwarder's in-memory high-water marks), one call, log, metrics, summary.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createForwarder, createForwarderClients, parseForwardConfig, recordForwardMetrics } from "@scrape-reconciler/forwarder";
import type { Context, ScheduledEvent } from "aws-lambda";

const logger = new Logger({ serviceName: "scrape-reconciler" });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "ScrapeReconciler", serviceName: "forward" });
const forwarder = createForwarder({ config: parseForwardConfig(process.env), clients: createForwarderClients(process.env) });

export const handler = async (event: ScheduledEvent | undefined, context: Context) => {
  logger.addContext(context);
  try {
    const summary = await forwarder.run();
    recordForwardMetrics(metrics, summary);
    const { preview: _preview, ...fields } = summary;
    if (summary.ok) logger.info("forwarded", { trigger: event?.["detail-type"], ...fields });
    else logger.error("forwarded with errors", { trigger: event?.["detail-type"], ...fields });
    return fields;
  } finally {
    metrics.publishStoredMetrics();
  }
};
