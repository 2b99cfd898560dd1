// The deployed handler module itself, configured from the environment like in Lambda and
// pointed at the simulator, with its real Powertools Logger and Metrics (their JSON lines
// captured from stdout and stderr): SQS batch, direct event, the schedule directly and as an
// SQS record, manual invoke, malformed and ignored events.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateScenario, EventBridgeEmitter } from "@scrape-reconciler/sim";
import { startSimEnv, type SimEnv } from "../test/support/sim-env";
import { routed, sqsBatch } from "../test/support/events";
import type { Context } from "aws-lambda";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), "utf8"));
const schedule = (id: string) => ({
  version: "0",
  id,
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-11-25T10:00:00Z",
  region: "us-east-1",
  resources: ["arn:aws:events:us-east-1:123456789012:rule/reconcile"],
  detail: {},
});
/** The JSON lines written since `from` (log records and EMF documents). */
const jsonLines = (from = 0) =>
  written
    .slice(from)
    .flatMap((l) => l.split("\n"))
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let env: SimEnv;
const written: string[] = [];
let handler: (event: unknown, context: Context) => Promise<unknown>;
const context = {
  functionName: "reconcile",
  awsRequestId: "req-1",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:reconcile",
  memoryLimitInMB: "512",
  functionVersion: "$LATEST",
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

beforeAll(async () => {
  env = await startSimEnv({ scenario: generateScenario({ services: 4, tasksPerService: 2 }) });
  Object.assign(process.env, env.env, { POWERTOOLS_LOG_LEVEL: "INFO", POWERTOOLS_METRICS_DISABLED: "false" });
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
      written.push(String(chunk)); // log lines (info on stdout, warn and error on stderr) and EMF lines
      return true;
    });
  }
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
    const r = (await handler(
      {
        version: "0",
        id: "s-1",
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "123456789012",
        time: "2026-11-25T10:00:00Z",
        region: "us-east-1",
        resources: ["arn:aws:events:us-east-1:123456789012:rule/reconcile"],
        detail: {},
      },
      context,
    )) as Record<string, unknown>;
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
    // The single document catches up with what the batch published as shards alone
    // (PUBLISH_SINGLE_DOCUMENT=full-reconcile): written, with nothing drifted.
    expect(manual).toMatchObject({ written: true, targets: 9, drift: 0 });
    // CloudWatch embedded metric format: events by type, writes, drift.
    const emf = jsonLines().filter((m) => m._aws) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }; [k: string]: unknown }[];
    const names = emf.flatMap((m) => m._aws.CloudWatchMetrics.flatMap((d: { Metrics: { Name: string }[] }) => d.Metrics.map((x) => x.Name)));
    expect(names).toEqual(expect.arrayContaining(["EventsProcessed", "DocumentWrites", "SkippedWrites", "Drift", "ReconcileDuration", "DiscoveryErrors"]));
    // The "garbage" record: logged once as malformed, not failed.
    expect(jsonLines().filter((l) => l.message === "malformed event skipped" && String(l.reason).includes("is not JSON"))).toHaveLength(1);
    expect(emf.filter((m) => m.EventsProcessed !== undefined).map((m) => m.EventType)).toEqual(expect.arrayContaining(["task", "register"]));
    emitter.close();
  });

  it("a schedule record in an SQS batch runs one full reconcile, fails nothing, and says so in its log and metrics", async () => {
    const from = written.length;
    env.sim.calls.reset();
    const batch = (await handler(sqsBatch([schedule("s-2"), schedule("s-3")]), context)) as { batchItemFailures: unknown[] };
    expect(batch).toEqual({ batchItemFailures: [] });
    expect(env.sim.calls.get("servicediscovery:ListNamespaces")).toBe(1);
    const lines = jsonLines(from);
    expect(lines.find((l) => l.message === "events applied")).toMatchObject({ fullReconcile: { trigger: "schedule", drift: 0, failed: 0 } });
    const emf = lines.filter((l) => l._aws);
    expect(emf.find((m) => m.FullReconciles !== undefined)).toMatchObject({ FullReconciles: 1, trigger: "schedule", Drift: 0 });
    expect(lines.filter((l) => l.level === "WARN" || l.level === "ERROR")).toEqual([]);
  });

  it("malformed and ignored events are logged once each and never fail, in a batch and delivered directly", async () => {
    const unknownType = {
      ...fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json"),
      id: "bad-unknown-type",
      "detail-type": "ECS Container Instance State Change",
    };
    const failedCall = fixture("eventbridge/servicediscovery-registerinstance.json");
    Object.assign(failedCall, { id: "bad-error-code" });
    failedCall.detail.errorCode = "ServiceNotFound";
    for (const input of [sqsBatch([unknownType, failedCall]), unknownType, failedCall]) {
      const from = written.length;
      const r = await handler(input, context);
      if ("Records" in input) expect(r).toEqual({ batchItemFailures: [] });
      else expect(r).toMatchObject({ events: 0 });
      const lines = jsonLines(from).filter((l) => l.level);
      const about = (id: string) => lines.filter((l) => String(l.reason ?? "").includes(id));
      if ("Records" in input || input === unknownType)
        expect(about("bad-unknown-type")).toEqual([expect.objectContaining({ level: "WARN", message: "malformed event skipped" })]);
      if ("Records" in input || input === failedCall)
        expect(about("bad-error-code")).toEqual([expect.objectContaining({ level: "INFO", message: "event ignored" })]);
      expect(lines.filter((l) => l.level === "ERROR")).toEqual([]);
    }
  });
});
