// Routes whatever reaches the reconcile function: an SQS batch of EventBridge events
// (Powertools batch processing: a record fails alone, as a partial batch failure), one
// EventBridge event delivered directly, the scheduled safety-net event, or a manual
// {"action":"reconcile","dryRun":...} invoke. Malformed events are logged and skipped:
// they never fail a batch (SQS would only redeliver the same bad bytes).
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { reconcile, type ReconcileSummary, type TaskDefinitionCache } from "@scrape-reconciler/aws";
import { errorLine } from "@scrape-reconciler/core";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { applyBatch, PreparedBatch, type BatchSummary, type EventDeps } from "./apply";
import { normalizeEvent } from "./normalize";
import { ManualInvokeSchema, ScheduledEventSchema } from "./schemas";

export interface HandleDeps extends EventDeps {
  logger: Pick<Logger, "info" | "warn" | "error">;
  taskDefinitions?: TaskDefinitionCache;
}

export type HandleResult =
  | { kind: "batch"; summary: BatchSummary; malformed: number; ignored: number; response: SQSBatchResponse }
  | { kind: "event"; summary: BatchSummary; malformed: number; ignored: number }
  | { kind: "reconcile"; trigger: "schedule" | "manual"; summary: ReconcileSummary };

function isSqsEvent(input: unknown): input is SQSEvent {
  const records = (input as SQSEvent)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => r?.eventSource === "aws:sqs");
}

/** Parses one event, logs it when malformed or ignored, adds it to the batch otherwise. */
async function take(batch: PreparedBatch, raw: unknown, deps: HandleDeps, counters: { malformed: number; ignored: number }): Promise<void> {
  const n = normalizeEvent(raw);
  if (!n.ok) {
    if (n.ignored) counters.ignored += 1;
    else counters.malformed += 1;
    (n.ignored ? deps.logger.info : deps.logger.warn)(n.ignored ? "event ignored" : "malformed event skipped", { reason: n.reason });
    return;
  }
  await batch.add(n.event);
}

export async function handleInput(deps: HandleDeps, input: unknown): Promise<HandleResult> {
  const manual = ManualInvokeSchema.safeParse(input);
  if (manual.success) {
    const summary = await reconcile(deps, { dryRun: manual.data.dryRun ?? false });
    return { kind: "reconcile", trigger: "manual", summary };
  }
  if (ScheduledEventSchema.safeParse(input).success) {
    return { kind: "reconcile", trigger: "schedule", summary: await reconcile(deps) };
  }
  const counters = { malformed: 0, ignored: 0 };
  const batch = await PreparedBatch.start(deps);
  if (isSqsEvent(input)) {
    const processor = new BatchProcessor(EventType.SQS);
    const recordHandler = async (record: SQSRecord) => {
      let raw: unknown;
      try {
        raw = JSON.parse(record.body);
      } catch (err) {
        counters.malformed += 1;
        deps.logger.warn("malformed event skipped", { messageId: record.messageId, reason: `SQS message ${record.messageId} is not JSON: ${errorLine(err)}` });
        return;
      }
      await take(batch, raw, deps, counters);
    };
    // In order, so that one unknown ECS service is looked up once for the whole batch.
    const response = await processPartialResponse(input, recordHandler, processor, { processInParallel: false, throwOnFullBatchFailure: false });
    for (const f of response.batchItemFailures) deps.logger.error("event failed, SQS will deliver it again", { messageId: f.itemIdentifier });
    const summary = await applyBatch(deps, batch);
    return { kind: "batch", summary, ...counters, response };
  }
  await take(batch, input, deps, counters);
  return { kind: "event", summary: await applyBatch(deps, batch), ...counters };
}
