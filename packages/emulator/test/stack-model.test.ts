// The wiring comes from the synthesis of the real sst.config.ts, not from anything typed
// here: a stage's settings change the model, every function has the bundle SST's build
// options produce, and a delivery the resource policies would refuse is refused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { EventBus, StackModelError, stackModel, synthesize, type StackModel, type Synthesis } from "../src";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const AT = { account: "123456789012", region: "us-east-1" };

let model: StackModel;
let synthesis: Synthesis;
beforeAll(async () => {
  const s = await synthesize({
    root: ROOT,
    stage: "model",
    ...AT,
    config: {
      schedules: { reconcile: "rate(2 minutes)", audit: "rate(10 minutes)" },
      reconcile: { timeoutSeconds: 45, maxConcurrency: 3, maxReceiveCount: 4, batchingWindowSeconds: 2 },
    },
  });
  synthesis = s;
  model = stackModel(s);
}, 120_000);

describe("the stack model of a synthesised stage", () => {
  it("follows the stage's settings: schedules, timeout, concurrency, redrive", () => {
    const schedule = (n: string) => model.rules.find((r) => r.logicalName === n)?.schedule;
    expect(schedule("ReconcileSchedule")).toBe("rate(2 minutes)");
    expect(schedule("AuditSchedule")).toBe("rate(10 minutes)");
    const reconcile = model.functions.find((f) => f.name === "scrape-reconciler-model-reconcile")!;
    expect(reconcile).toMatchObject({
      timeoutSeconds: 45,
      reservedConcurrency: 3,
      runtime: "nodejs24.x",
      handler: "reconcile.handler",
      source: "functions/reconcile.handler",
    });
    const events = model.queues.find((q) => q.logicalName === "ReconcileEvents")!;
    expect(events.visibilityTimeoutSeconds).toBe(6 * 45);
    expect(events.redrive?.maxReceiveCount).toBe(4);
    expect(model.queues.find((q) => q.arn === events.redrive!.deadLetterTargetArn)?.logicalName).toBe("ReconcileDeadLetters");
    expect(model.eventSourceMappings).toEqual([
      expect.objectContaining({ queueArn: events.arn, functionName: reconcile.name, maximumConcurrency: 3, reportBatchItemFailures: true }),
    ]);
    // A batching window of 2 s: up to 1,000 messages a batch (0 s, the default, takes at most 10).
    expect(model.eventSourceMappings[0]).toMatchObject({ batchingWindowSeconds: 2, batchSize: 1000 });
  });

  it("refuses an event source AWS would refuse: a batch of more than 10 messages without a batching window", () => {
    const bad = structuredClone(synthesis);
    const esm = bad.resources.find((r) => r.type === "aws:lambda/eventSourceMapping:EventSourceMapping")!;
    esm.inputs.maximumBatchingWindowInSeconds = 0;
    expect(() => stackModel(bad)).toThrow(StackModelError);
    expect(() => stackModel(bad)).toThrow(/a batch size of 1000 \(over 10\) needs a batching window of at least 1 s/);
  });

  it("routes every rule to a queue or function of the stack, and runs the first reconcile at deploy", () => {
    const kinds = Object.fromEntries(model.rules.map((r) => [r.logicalName, r.targets.map((t) => t.kind)]));
    expect(kinds).toMatchObject({ EcsTaskStateChange: ["sqs"], CloudMapApiCall: ["sqs"], ReconcileSchedule: ["sqs"], AuditSchedule: ["lambda"] });
    expect(model.invocations).toEqual([
      { logicalName: "ReconcileOnDeploy", functionName: "scrape-reconciler-model-reconcile", input: JSON.stringify({ action: "reconcile", dryRun: false }) },
    ]);
  });

  it("builds each function with SST's options: one minified ESM file with the require banner and a linked source map", () => {
    for (const f of model.functions) {
      const file = join(f.bundleDir, `${f.handler.split(".")[0]}.mjs`);
      const code = readFileSync(file, "utf8");
      expect(code.startsWith("import { createRequire as topLevelCreateRequire } from 'module';")).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=\w+\.mjs\.map\s*$/);
      expect(code).not.toMatch(/from\s*"@aws-sdk\//); // the SDK is bundled
    }
  });

  it("refuses a delivery the queue policy does not allow, as AWS counts a failed invocation", () => {
    const sent: string[] = [];
    const refused: string[] = [];
    const narrowed: StackModel = structuredClone(model);
    const q = narrowed.queues.find((x) => x.logicalName === "ReconcileEvents")!;
    for (const st of q.policy!.Statement) {
      const cond = st.Condition!.ArnEquals!;
      cond["aws:SourceArn"] = (cond["aws:SourceArn"] as string[]).filter((a) => !a.endsWith("ReconcileSchedule-mock"));
    }
    const bus = new EventBus(narrowed, {
      sendToQueue: (_arn, body) => sent.push(body),
      invokeAsync: () => undefined,
      onRefused: (rule, _t, reason) => refused.push(`${rule.logicalName}: ${reason}`),
    });
    bus.fireSchedule("ReconcileSchedule");
    expect(sent).toEqual([]);
    expect(refused).toEqual([expect.stringMatching(/^ReconcileSchedule: queue .* policy does not let rule .* send$/)]);
    bus.fireSchedule("AuditSchedule"); // a function target: its Lambda permission names the rule
    expect(refused).toHaveLength(1);
  });
});
