// Test support for the event path as deployed: the real Powertools Logger with its output
// captured (its methods need their object, which a logger made of closures would hide),
// the scheduled event as EventBridge puts it in the queue, the AWS sample events, and
// reads of what was published and of the state.
import { readFileSync } from "node:fs";
import { Logger } from "@aws-lambda-powertools/logger";
import { vi } from "vitest";
import type { ReconcilerState } from "@scrape-reconciler/core";
import { readPublishedTargets, readState } from "@scrape-reconciler/store";
import type { SimEnv } from "../../../test/support/sim-env";
import { documentFromScratch, type HandleDeps } from "../src";

export const SERVICE_NAME = "scrape-reconciler-test";

/** One JSON line the Logger printed. */
export interface LogRecord {
  level: string;
  message: string;
  [key: string]: unknown;
}

/**
 * A real Logger whose JSON lines (stdout for info, stderr for warn and error) are collected
 * in `records`; anything else written to the streams passes through. `restore` undoes it.
 */
export function captureLogs(): { logger: Logger; records: LogRecord[]; restore: () => void } {
  const records: LogRecord[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    return vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      const own = String(chunk)
        .split("\n")
        .filter((l) => l.trim().startsWith("{"))
        .map((l) => {
          try {
            return JSON.parse(l) as LogRecord;
          } catch {
            return undefined;
          }
        })
        .filter((r): r is LogRecord => r?.service === SERVICE_NAME);
      if (own.length > 0) {
        records.push(...own);
        return true;
      }
      return original(chunk, ...rest);
    }) as typeof stream.write);
  });
  const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: "INFO" });
  return {
    logger,
    records,
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}

export const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), "utf8"));

/** The 5-minute schedule's event, as the rule sends it to the queue. */
export function scheduledEvent(at = new Date(), account = "123456789012", region = "us-east-1") {
  return {
    version: "0",
    id: `sched-${at.getTime()}-${Math.random().toString(16).slice(2, 8)}`,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account,
    time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/scrape-reconciler-test-ReconcileSchedule`],
    detail: {},
  };
}

export function depsWith(e: SimEnv, logger: HandleDeps["logger"], clients = e.clients): HandleDeps {
  return { clients, config: e.config, now: () => new Date(), logger };
}

export async function published(e: SimEnv) {
  return readPublishedTargets({ ...e.clients, bucket: e.config.bucket, key: e.config.key });
}

export async function storedState(e: SimEnv): Promise<ReconcilerState> {
  return (await readState({ s3: e.clients.s3, bucket: e.config.bucket, stateKey: e.config.stateKey }, new Date())).state;
}

/**
 * The bytes a full reconcile from scratch (no state, no document) of the account as it is
 * now publishes: the same reads (the container instances of EC2 tasks included) and the
 * same merge as reconcile(), nothing written. Throws when it would publish nothing.
 */
export async function fullReconcileBytes(e: SimEnv): Promise<string> {
  const r = await documentFromScratch({ clients: e.clients, config: e.config, now: () => new Date() });
  if (r.text === undefined) throw new Error(`a full reconcile from scratch would publish nothing: ${r.withheld}`);
  return r.text;
}

/** Every target of a document, as `address path`. */
export function targetsOf(doc: { targets: string[]; labels: Record<string, string> }[]): string[] {
  return doc.flatMap((g) => g.targets.map((t) => `${t} ${g.labels.__metrics_path__ ?? ""}`)).sort();
}

/** ECS task state change events of one task with the given lastStatus. */
export function taskEvents(events: unknown[], taskArn: string, lastStatus?: string) {
  return events.filter((e) => {
    const d = (e as { source: string; detail: { taskArn?: string; lastStatus?: string } }).detail;
    return (e as { source: string }).source === "aws.ecs" && d.taskArn === taskArn && (lastStatus === undefined || d.lastStatus === lastStatus);
  }) as { id: string; detail: { version: number; lastStatus: string; taskArn: string } }[];
}
