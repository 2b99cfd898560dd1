// Test support for the event path: SQS batches of EventBridge events, filtered by the
// same event patterns the infrastructure deploys, fed to the reconcile function's router,
// with the real Powertools Logger (its methods need their object: a logger made of
// closures would hide a detached call) whose JSON lines are captured off stdout/stderr.
import { Logger } from "@aws-lambda-powertools/logger";
import type { SQSEvent } from "aws-lambda";
import { type HandleDeps, handleInput, type HandleResult } from "@scrape-reconciler/reconcile";
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

/** One JSON line the Logger printed. */
export interface LogRecord {
  level: string;
  message: string;
  service: string;
  [key: string]: unknown;
}

export interface CapturedLogger {
  logger: Logger;
  /** The Logger's lines, parsed, in order. */
  records: LogRecord[];
  /** Stops capturing (the streams get their own write back when no capture is left). */
  restore(): void;
}

type Write = typeof process.stdout.write;
const captures = new Map<string, LogRecord[]>();
const originals = new Map<NodeJS.WriteStream, Write>();
let captureSeq = 0;

/** Takes the lines of active captures out of a chunk; returns what is left for the stream. */
function intercept(chunk: string): string {
  const keep: string[] = [];
  for (const line of chunk.split(/(?<=\n)/)) {
    let rec: LogRecord | undefined;
    if (line.trimStart().startsWith("{")) {
      try {
        rec = JSON.parse(line) as LogRecord;
      } catch {
        rec = undefined;
      }
    }
    const into = rec && typeof rec.service === "string" ? captures.get(rec.service) : undefined;
    if (into) into.push(rec!);
    else keep.push(line);
  }
  return keep.join("");
}

function patch(stream: NodeJS.WriteStream): void {
  if (originals.has(stream)) return;
  const original = stream.write;
  originals.set(stream, original);
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk !== "string") return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    const left = intercept(chunk);
    if (left === "") {
      const done = rest.find((x) => typeof x === "function") as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }
    return (original as (...a: unknown[]) => boolean).call(this, left, ...rest);
  } as Write;
}

/**
 * A real Powertools Logger with a service name of its own, whose JSON lines (stdout for
 * info, stderr for warn and error) are collected in `records` instead of printed; any
 * other output passes through. Works outside a test runner too (the benchmarks use it).
 */
export function captureLogger(records: LogRecord[] = []): CapturedLogger {
  captureSeq += 1;
  const service = `scrape-reconciler-capture-${process.pid}-${captureSeq}`;
  captures.set(service, records);
  patch(process.stdout);
  patch(process.stderr);
  const logger = new Logger({ serviceName: service, logLevel: "INFO" });
  return {
    logger,
    records,
    restore() {
      captures.delete(service);
      if (captures.size > 0) return;
      for (const [stream, write] of originals) stream.write = write;
      originals.clear();
    },
  };
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
