// How the demo reads the deployed stack: the functions' log lines grouped per invocation
// (START, the Logger's JSON records, the runtime's Invoke Error line, REPORT with its
// durations and status), an invocation paired with the event source's batch record that
// ended in the same tick, the batch report built from both, and the settings the banner
// states, read from a stack model (and refused, naming what is missing).
import { describe, expect, it } from "vitest";
import type { BatchRecord, StackModel } from "@scrape-reconciler/emulator";
import { FunctionLogs, parseInvokeError, parseReport } from "../src/function-logs";
import { batchReport, pairBatch } from "../src/pipeline";
import { deployedSettings, StackSettingsError } from "../src/settings";

const FN = "scrape-reconciler-demo-reconcile";
const record = (id: string, message: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level: "INFO", message, service: "scrape-reconciler", function_request_id: id, ...extra });

describe("FunctionLogs", () => {
  it("groups START, the Logger's records and REPORT per request id, interleaved", () => {
    let now = 1000;
    const got: string[] = [];
    const logs = new FunctionLogs(
      (r) => got.push(r.requestId),
      () => now,
    );
    logs.onLog(FN, "INIT_START Runtime Version: nodejs:24");
    logs.onLog(FN, "START RequestId: a Version: $LATEST");
    now = 1010;
    logs.onLog(FN, "START RequestId: b Version: $LATEST");
    logs.onLog(FN, record("b", "events applied", { events: 2 }));
    logs.onLog(FN, '{"_aws":{"CloudWatchMetrics":[]},"Targets":3}'); // EMF: not a record
    logs.onLog(FN, record("a", "reconciled", { generation: 1 }));
    now = 1300;
    logs.onLog(FN, "REPORT RequestId: a\tDuration: 250.50 ms\tBilled Duration: 900 ms\tMemory Size: 512 MB\tMax Memory Used: 128 MB\tInit Duration: 600.25 ms");
    now = 1400;
    logs.onLog(FN, "REPORT RequestId: b\tDuration: 90.00 ms\tBilled Duration: 90 ms\tMemory Size: 512 MB\tMax Memory Used: 130 MB");
    expect(got).toEqual(["a", "b"]);
    const [a, b] = logs.finished;
    expect(a).toMatchObject({ fn: FN, startedAt: 1000, endedAt: 1300, durationMs: 250.5, initDurationMs: 600.25 });
    expect(a!.records.map((r) => r.message)).toEqual(["reconciled"]);
    expect(b).toMatchObject({ startedAt: 1010, endedAt: 1400, durationMs: 90 });
    expect(b!.initDurationMs).toBeUndefined();
    expect(b!.records).toHaveLength(1);
    expect(logs.withMessage(FN, "reconciled").map((x) => x.record.generation)).toEqual([1]);
    expect(logs.withMessage("other", "reconciled")).toEqual([]);
  });

  it("keeps a failed invocation's error and status", () => {
    const logs = new FunctionLogs();
    logs.onLog(FN, "START RequestId: c Version: $LATEST");
    logs.onLog(
      FN,
      `2026-12-05T06:00:00.000Z\tc\tERROR\tInvoke Error \t${JSON.stringify({ errorType: "DiscoveryError", errorMessage: "ListNamespaces denied\nmore" })}`,
    );
    logs.onLog(
      FN,
      "REPORT RequestId: c\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tStatus: error\tError Type: Runtime.ExitError",
    );
    expect(logs.finished[0]).toMatchObject({ error: "DiscoveryError: ListNamespaces denied", status: "Runtime.ExitError" });
    expect(
      parseReport("REPORT RequestId: d\tDuration: 60000.00 ms\tBilled Duration: 60000 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tStatus: timeout")
        ?.status,
    ).toBe("timeout");
    expect(parseInvokeError("2026-12-05T06:00:00.000Z\tc\tINFO\thello")).toBeUndefined();
  });
});

const batch = (startedAt: number, durationMs: number, over: Partial<BatchRecord> = {}): BatchRecord => ({
  mapping: "ReconcileEventSource",
  size: 4,
  failed: 0,
  ok: true,
  startedAt,
  durationMs,
  redelivered: 0,
  ...over,
});

describe("pairing an invocation with its batch record", () => {
  it("takes the record of the same request id", () => {
    const records = [batch(0, 1000, { requestId: "a" }), batch(500, 510, { requestId: "b" }), batch(900, 100)];
    expect(pairBatch("b", records)).toBe(1);
    expect(pairBatch("a", records)).toBe(0);
    expect(pairBatch("c", records)).toBeUndefined();
  });

  it("builds the report from the function's summary and the record", () => {
    const inv = {
      fn: FN,
      requestId: "r1",
      startedAt: 100,
      endedAt: 150,
      durationMs: 49.6,
      initDurationMs: 612.4,
      records: [
        {
          level: "INFO",
          message: "events applied",
          events: 3,
          byType: { task: 2, register: 1 },
          outcomes: {},
          documentWritten: true,
          generation: 4,
          fullReconcile: { trigger: "schedule", drift: 1, failed: 0, skippedEndpoints: 0, durationMs: 40 },
        },
      ],
    };
    const r = batchReport(3, inv, batch(100, 50, { size: 4, redelivered: 1 }));
    expect(r).toMatchObject({ seq: 3, messages: 4, ecs: 2, cloudMap: 1, schedule: true, redelivered: 1, durationMs: 50, initDurationMs: 612, failed: 0 });
    expect(r.error).toBeUndefined();
    const failed = batchReport(4, { ...inv, records: [], error: "Error: boom" }, batch(100, 50, { ok: false, failed: 4 }));
    expect(failed).toMatchObject({ error: "Error: boom", failed: 4, messages: 4, schedule: false });
  });
});

const ACCOUNT = "123456789012";
const arn = (kind: string, name: string) => `arn:aws:${kind}:us-east-1:${ACCOUNT}:${name}`;
function model(): StackModel {
  const fn = (role: string, timeoutSeconds: number) => ({
    logicalName: `${role}Function`,
    name: `scrape-reconciler-demo-${role.toLowerCase()}`,
    arn: arn("lambda", `function:scrape-reconciler-demo-${role.toLowerCase()}`),
    handler: "x.handler",
    source: `functions/${role.toLowerCase()}.handler`,
    runtime: "nodejs24.x",
    bundleDir: "/bundle",
    timeoutSeconds,
    memoryMb: 512,
    environment: {},
    logGroup: "/aws/lambda/x",
  });
  const queue = {
    logicalName: "ReconcileEvents",
    name: "q",
    arn: arn("sqs", "q"),
    url: "u",
    visibilityTimeoutSeconds: 360,
    messageRetentionSeconds: 1,
    delaySeconds: 0,
    redrive: { deadLetterTargetArn: arn("sqs", "dlq"), maxReceiveCount: 5 },
  };
  const dlq = {
    logicalName: "ReconcileDeadLetters",
    name: "dlq",
    arn: arn("sqs", "dlq"),
    url: "u2",
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 1,
    delaySeconds: 0,
  };
  const toQueue = [{ logicalName: "t", arn: queue.arn, kind: "sqs" as const }];
  const alarm = (logicalName: string, metricName: string) => ({
    logicalName,
    name: logicalName,
    namespace: "ScrapeReconciler",
    metricName,
    dimensions: {},
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    evaluationPeriods: 3,
  });
  return {
    app: "scrape-reconciler",
    stage: "demo",
    account: ACCOUNT,
    region: "us-east-1",
    rules: [
      { logicalName: "EcsTaskStateChange", name: "e", arn: arn("events", "rule/e"), pattern: { source: ["aws.ecs"] }, enabled: true, targets: toQueue },
      { logicalName: "ReconcileSchedule", name: "s", arn: arn("events", "rule/s"), schedule: "rate(5 minutes)", enabled: true, targets: toQueue },
      {
        logicalName: "AuditSchedule",
        name: "a",
        arn: arn("events", "rule/a"),
        schedule: "rate(5 minutes)",
        enabled: true,
        targets: [{ logicalName: "ta", arn: arn("lambda", "function:scrape-reconciler-demo-audit"), kind: "lambda" }],
      },
    ],
    queues: [queue, dlq],
    eventSourceMappings: [
      {
        logicalName: "ReconcileEventSource",
        queueArn: queue.arn,
        functionName: "scrape-reconciler-demo-reconcile",
        batchSize: 1000,
        batchingWindowSeconds: 5,
        maximumConcurrency: 2,
        reportBatchItemFailures: true,
        enabled: true,
      },
    ],
    functions: [fn("Reconcile", 60), fn("Audit", 120)],
    permissions: [],
    invocations: [],
    alarms: [alarm("StaleTargetsAlarm", "StaleTargets"), alarm("ReconcileErrorsAlarm", "Errors")],
    buckets: [],
    outputs: {},
  };
}

describe("deployedSettings", () => {
  it("reads the event source, queue, rules, schedules and the audit's alarms from the model", () => {
    const d = deployedSettings(model());
    expect(d).toMatchObject({
      reconcileFn: "scrape-reconciler-demo-reconcile",
      reconcileTimeoutSeconds: 60,
      auditFn: "scrape-reconciler-demo-audit",
      queue: "ReconcileEvents",
      deadLetterQueue: "ReconcileDeadLetters",
      batchSize: 1000,
      batchWindowSeconds: 5,
      maxConcurrency: 2,
      visibilityTimeoutSeconds: 360,
      maxReceiveCount: 5,
      eventRules: ["EcsTaskStateChange"],
      reconcileSchedule: { rule: "ReconcileSchedule", expression: "rate(5 minutes)" },
      auditSchedule: { rule: "AuditSchedule", expression: "rate(5 minutes)" },
    });
    expect(d.auditAlarms.map((a) => a.logicalName)).toEqual(["StaleTargetsAlarm"]);
  });

  it("names what is missing", () => {
    const m = model();
    m.eventSourceMappings = [];
    expect(() => deployedSettings(m)).toThrow(new StackSettingsError("the stack has no event source mapping for scrape-reconciler-demo-reconcile"));
    const n = model();
    n.rules = n.rules.filter((r) => r.logicalName !== "ReconcileSchedule");
    expect(() => deployedSettings(n)).toThrow(/no scheduled rule sends to queue ReconcileEvents/);
  });
});
