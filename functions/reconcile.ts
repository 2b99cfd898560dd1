// Reconcile function: SQS batches of ECS / Cloud Map events and of the scheduled full
// reconcile's event, direct EventBridge events, and manual invokes. Thin: validate config
// and input, call the events package, log (a batch's summary names the full reconcile it
// ran and its trigger) and return a summary. Clients live at module scope (reused by warm
// invocations, with the task definition cache).
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { TaskDefinitionCache } from "@scrape-reconciler/discovery";
import { createReconcilerClients, handleInput, parseReconcileConfig, recordMetrics } from "@scrape-reconciler/reconcile";
import type { Context } from "aws-lambda";

const logger = new Logger({ serviceName: "scrape-reconciler" });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "ScrapeReconciler", serviceName: "reconcile" });
const config = parseReconcileConfig(process.env);
const clients = createReconcilerClients(process.env);
const taskDefinitions = new TaskDefinitionCache();

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  const started = Date.now();
  try {
    const result = await handleInput({ clients, config, logger, taskDefinitions, now: () => new Date() }, event);
    recordMetrics(metrics, result, Date.now() - started);
    if (result.kind === "reconcile") {
      const { diff, ...summary } = result.summary;
      logger.info("reconciled", {
        trigger: result.trigger,
        ...summary,
        addedTargets: diff.added.map((a) => a.key),
        removedTargets: diff.removed.map((r) => r.key),
      });
      return summary;
    }
    logger.info("events applied", { ...result.summary, malformed: result.malformed, ignored: result.ignored });
    return result.kind === "batch" ? result.response : result.summary;
  } finally {
    metrics.publishStoredMetrics();
  }
};
