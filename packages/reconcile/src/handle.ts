// Routes whatever reaches the reconcile function: an SQS batch of EventBridge events
// (Powertools batch processing: a record fails alone, as a partial batch failure), one
// EventBridge event delivered directly, the scheduled safety-net event (directly, or as a
// record of an SQS batch: the deployed rule targets the queue), or a manual
// {"action":"reconcile","dryRun":...} invoke. Malformed and ignored events are logged once
// with their reason and skipped: they never fail a batch (SQS would only redeliver the
// same bytes). settle.ts decides whether the batch runs a full reconcile.
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { TaskDefinitionCache } from "@scrape-reconciler/discovery";
import { errorLine } from "@scrape-reconciler/core";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { PreparedBatch, type BatchSummary, type EventDeps } from "./batch";
import { reconcile, type ReconcileSummary } from "./full";
import { normalizeEvent } from "./normalize";
import { ManualInvokeSchema, ScheduledEventSchema } from "./schemas";
import { settleBatch } from "./settle";

export interface HandleDeps extends EventDeps {
  logger: Pick<Logger, "info" | "warn" | "error">;
  taskDefinitions?: TaskDefinitionCache;
}

export type HandleResult =
  | { kind: "batch"; summary: BatchSummary; malformed: number; ignored: number; response: SQSBatchResponse }
  | { kind: "event"; summary: BatchSummary; malformed: number; ignored: number }
  | { kind: "reconcile"; trigger: "schedule" | "manual"; summary: ReconcileSummary };

interface Counters {
  malformed: number;
  ignored: number;
}

function isSqsEvent(input: unknown): input is SQSEvent {
  const records = (input as SQSEvent)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => r?.eventSource === "aws:sqs");
}

/** Parses one event, logs it once when malformed or ignored, adds it to the batch otherwise. */
async function take(batch: PreparedBatch, raw: unknown, deps: HandleDeps, counters: Counters): Promise<void> {
  const n = normalizeEvent(raw);
  if (n.ok) return batch.add(n.event);
  // Logger methods use `this`: always call them on the logger, never detached.
  if (n.ignored) {
    counters.ignored += 1;
    deps.logger.info("event ignored", { reason: n.reason });
  } else {
    counters.malformed += 1;
    deps.logger.warn("malformed event skipped", { reason: n.reason });
  }
}

/** The SQS batch: records in order, schedule records noted (one full reconcile for all). */
async function handleSqs(deps: HandleDeps, input: SQSEvent, batch: PreparedBatch, counters: Counters): Promise<HandleResult> {
  const schedules: string[] = [];
  const recordHandler = async (record: SQSRecord) => {
    let raw: unknown;
    try {
      raw = JSON.parse(record.body);
    } catch (err) {
      counters.malformed += 1;
      deps.logger.warn("malformed event skipped", { messageId: record.messageId, reason: `SQS message ${record.messageId} is not JSON: ${errorLine(err)}` });
      return;
    }
    if (ScheduledEventSchema.safeParse(raw).success) schedules.push(record.messageId);
    else await take(batch, raw, deps, counters);
  };
  // In order, so that one unknown ECS service is looked up once for the whole batch.
  const processed = await processPartialResponse(input, recordHandler, new BatchProcessor(EventType.SQS), {
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
  const settled = await settleBatch(deps, batch, schedules.length > 0);
  const failed = settled.reconcileFailed ? schedules.map((id) => ({ itemIdentifier: id })) : [];
  const response = { batchItemFailures: [...processed.batchItemFailures, ...failed] };
  for (const f of response.batchItemFailures) deps.logger.error("event failed, SQS will deliver it again", { messageId: f.itemIdentifier });
  return { kind: "batch", summary: settled.summary, ...counters, response };
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
  if (isSqsEvent(input)) return handleSqs(deps, input, batch, counters);
  await take(batch, input, deps, counters);
  return { kind: "event", summary: (await settleBatch(deps, batch, false)).summary, ...counters };
}
