// Test support for the event path: SQS batches of EventBridge events, filtered by the
// same event patterns the infrastructure deploys, fed to the reconcile function's router.
import type { SQSEvent } from "aws-lambda";
import { handleInput, type HandleDeps, type HandleResult } from "@scrape-reconciler/events";
import type { RawEvent } from "@scrape-reconciler/sim";
import { matchesPattern } from "../../infra/event-match";
import { cloudMapApiCallPattern, ecsTaskStateChangePattern } from "../../infra/patterns";

const PATTERNS = [ecsTaskStateChangePattern(), cloudMapApiCallPattern()];

/** What EventBridge would deliver to the queue: events that match a deployed rule. */
export function routed(events: unknown[]): unknown[] {
  return events.filter((e) => PATTERNS.some((p) => matchesPattern(p, e)));
}

let seq = 0;
export function sqsBatch(events: unknown[]): SQSEvent {
  return {
    Records: events.map((e) => {
      seq += 1;
      return {
        messageId: `msg-${seq}`,
        receiptHandle: `rh-${seq}`,
        body: typeof e === "string" ? e : JSON.stringify(e),
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "events", ApproximateFirstReceiveTimestamp: "0" },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:scrape-reconciler-events",
        awsRegion: "us-east-1",
      };
    }),
  };
}

export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  data?: unknown;
}

export function captureLogger(lines: LogLine[] = []) {
  const at = (level: LogLine["level"]) => (message: string, data?: unknown) => void lines.push({ level, message, data });
  return { lines, logger: { info: at("info"), warn: at("warn"), error: at("error") } as unknown as HandleDeps["logger"] };
}

/** Splits events into SQS batches of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function deliver(deps: HandleDeps, events: RawEvent[] | unknown[]): Promise<Extract<HandleResult, { kind: "batch" }>> {
  const r = await handleInput(deps, sqsBatch(events));
  if (r.kind !== "batch") throw new Error(`expected a batch result, got ${r.kind}`);
  return r;
}
