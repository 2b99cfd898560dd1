// Audit function (scheduled): compares the published document with AWS and emits the
// metrics infra/alarms.ts watches, as EMF in its log (Powertools Metrics: namespace from
// POWERTOOLS_METRICS_NAMESPACE, dimension service = POWERTOOLS_SERVICE_NAME). The log
// names the affected services and the errors. Clients live at module scope.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { audit, auditMetrics, summarize } from "@scrape-reconciler/audit";
import { TaskDefinitionCache } from "@scrape-reconciler/discovery";
import { createReconcilerClients, parseReconcileConfig } from "@scrape-reconciler/reconcile";
import type { Context } from "aws-lambda";

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "scrape-reconciler" });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "ScrapeReconciler",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "scrape-reconciler",
});
const config = parseReconcileConfig(process.env);
const clients = createReconcilerClients(process.env);
const taskDefinitions = new TaskDefinitionCache();

export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  try {
    const report = await audit({ clients, config, taskDefinitions, now: () => new Date() });
    for (const m of auditMetrics(report)) metrics.addMetric(m.name, m.unit, m.value);
    const summary = summarize(report);
    const details = {
      ...summary,
      services: report.services,
      failures: report.errors,
      staleTargets: report.stale.slice(0, 50),
      missingTargets: report.missing.slice(0, 50),
    };
    if (summary.ok) logger.info("audit clean", details);
    else logger.warn("audit findings", details);
    return summary;
  } finally {
    metrics.publishStoredMetrics();
  }
};
