// The deployed handler module itself, configured from the environment like in Lambda and
// pointed at the simulator: SQS batch, direct event, schedule, manual invoke, bad config.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateScenario, EventBridgeEmitter } from "@scrape-reconciler/sim";
import { startSimEnv, type SimEnv } from "../test/support/sim-env";
import { routed, sqsBatch } from "../test/support/events";
import type { Context } from "aws-lambda";

let env: SimEnv;
let written: string[] = [];
let handler: (event: unknown, context: Context) => Promise<unknown>;
const context = { functionName: "reconcile", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:reconcile", memoryLimitInMB: "512", functionVersion: "$LATEST", getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

beforeAll(async () => {
  env = await startSimEnv({ scenario: generateScenario({ services: 4, tasksPerService: 2 }) });
  Object.assign(process.env, env.env, { POWERTOOLS_LOG_LEVEL: "ERROR", POWERTOOLS_METRICS_DISABLED: "false" });
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    written.push(String(chunk)); // EMF lines
    return true;
  });
  handler = (await import("./reconcile")).handler;
});
afterAll(async () => {
  vi.restoreAllMocks();
  await env?.sim.close();
});

describe("reconcile function", () => {
  it("a manual dry-run invoke returns the summary and writes nothing", async () => {
    const r = (await handler({ action: "reconcile", dryRun: true }, context)) as Record<string, unknown>;
    expect(r).toMatchObject({ dryRun: true, written: false, generation: 1, targets: 8, added: 8 });
    expect(env.sim.calls.get("s3:PutObject")).toBe(0);
  });

  it("the scheduled event runs a full reconcile", async () => {
    const r = (await handler({ version: "0", id: "s-1", "detail-type": "Scheduled Event", source: "aws.events", account: "123456789012", time: "2026-11-25T10:00:00Z", region: "us-east-1", resources: ["arn:aws:events:us-east-1:123456789012:rule/reconcile"], detail: {} }, context)) as Record<string, unknown>;
    expect(r).toMatchObject({ written: true, generation: 1, targets: 8 });
  });

  it("an SQS batch returns the partial batch response; a direct event returns the batch summary", async () => {
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[0]!;
    env.sim.state.startTask(svc.cluster, svc.name);
    const events = routed(emitter.drain());
    const batch = (await handler(sqsBatch(["garbage", ...events.slice(0, -1)]), context)) as { batchItemFailures: unknown[] };
    expect(batch).toEqual({ batchItemFailures: [] });
    const direct = (await handler(events.at(-1), context)) as Record<string, unknown>;
    expect(direct).toMatchObject({ events: 1 });
    const manual = (await handler({ action: "reconcile" }, context)) as Record<string, unknown>;
    expect(manual).toMatchObject({ written: false, targets: 9, drift: 0 });
    // CloudWatch embedded metric format: events by type, writes, drift.
    const emf = written.flatMap((l) => l.split("\n")).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    const names = emf.flatMap((m) => m._aws.CloudWatchMetrics.flatMap((d: { Metrics: { Name: string }[] }) => d.Metrics.map((x) => x.Name)));
    expect(names).toEqual(expect.arrayContaining(["EventsProcessed", "DocumentWrites", "SkippedWrites", "Drift", "ReconcileDuration", "DiscoveryErrors"]));
    expect(emf.filter((m) => m.EventsProcessed !== undefined).map((m) => m.EventType)).toEqual(expect.arrayContaining(["task", "register"]));
    emitter.close();
  });
});
