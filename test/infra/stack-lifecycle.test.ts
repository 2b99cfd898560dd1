// The stack's life cycle for stage ci (infra/stages/ci.json: removal "remove", not
// protected), under Pulumi mocks with the resource options recorded: nothing is retained
// on `sst remove`; and the first full reconcile that the deploy itself runs
// (ReconcileOnDeploy): its input, what it waits for, what re-runs it, and that the real
// handler answers that input with a summary, not an error, even when discovery withholds
// publication (so the deploy does not fail). Skips when .sst/platform is absent.
import { createHash } from "node:crypto";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ManualInvokeSchema } from "@scrape-reconciler/reconcile";
import { generateScenario } from "@scrape-reconciler/sim";
import type { Context } from "aws-lambda";
import { startSimEnv, type SimEnv } from "../support/sim-env";
import { recordResourceOptions, TARGETS_BUCKET_RESOURCES, type OptionsLog } from "./resource-options";
import { platformAvailable, runStack, type MockResource, type StackRun } from "./sst-harness";

const INVOCATION = "aws:lambda/invocation:Invocation";
const FN = "aws:lambda/function:Function";

describe.skipIf(!platformAvailable())("sst.config.ts, stage ci: removal and the first reconcile at deploy time", () => {
  let s: StackRun;
  let options: OptionsLog;
  let invocation: MockResource;

  beforeAll(async () => {
    options = await recordResourceOptions();
    s = await runStack("ci");
    invocation = s.one(INVOCATION, "ReconcileOnDeploy");
  }, 120_000);

  it("a removing stage retains nothing and is not protected", () => {
    const s3 = options.all().filter((r) => r.type.startsWith("aws:s3/") && r.name.startsWith("Targets"));
    expect(s3.map((r) => `${r.type}::${r.name}`).sort()).toEqual([...TARGETS_BUCKET_RESOURCES].sort());
    expect(
      options
        .all()
        .filter((r) => r.retainOnDelete)
        .map((r) => r.name),
    ).toEqual([]);
    expect(s.one("aws:s3/bucket:Bucket", "TargetsBucket").inputs.forceDestroy).toBe(true);
    expect(s.outputs._protect).toBe(false);
  });

  it("invokes the reconcile function with a publishing full reconcile, once per create or replacement", () => {
    const fn = s.one(FN, "ReconcileFunction");
    expect(invocation.inputs.functionName).toBe(fn.inputs.name);
    const input = JSON.parse(invocation.inputs.input);
    expect(input).toEqual({ action: "reconcile", dryRun: false });
    // The handler takes it for the manual invoke, publishing.
    expect(ManualInvokeSchema.parse(input)).toEqual({ action: "reconcile", dryRun: false });
    // CREATE_ONLY (the default): `sst remove` does not invoke it again.
    expect(invocation.inputs.lifecycleScope).toBeUndefined();
    expect(s.byType(INVOCATION)).toHaveLength(1);
  });

  it("runs after the function, its role and policy, the event source mapping and the rules exist", () => {
    const deps = options.of(INVOCATION, "ReconcileOnDeploy").dependsOn;
    expect(deps).toEqual(
      expect.arrayContaining([
        `${FN}::ReconcileFunction`,
        "aws:iam/role:Role::ReconcileRole",
        "aws:lambda/eventSourceMapping:EventSourceMapping::ReconcileEventSource",
        "aws:cloudwatch/eventRule:EventRule::EcsTaskStateChange",
        "aws:cloudwatch/eventRule:EventRule::CloudMapApiCall",
        "aws:cloudwatch/eventRule:EventRule::ReconcileSchedule",
        "aws:sqs/queuePolicy:QueuePolicy::ReconcileEventsPolicy",
      ]),
    );
    // The role carries the function's policy inline: depending on it is depending on the policy.
    expect(s.one("aws:iam/role:Role", "ReconcileRole").inputs.inlinePolicies).toHaveLength(1);
  });

  it("re-runs on every deploy that changes the function's code or configuration", () => {
    const fn = s.one(FN, "ReconcileFunction").inputs;
    const triggers = invocation.inputs.triggers as Record<string, string>;
    expect(Object.keys(triggers).sort()).toEqual(["code", "configuration"]);
    // The code object's key carries the sha256 of the function's zip.
    expect(triggers.code).toBe(fn.s3Key);
    expect(triggers.code).toMatch(/-[0-9a-f]{64}\.zip$/);
    // A digest of the function's settings: environment, handler, runtime, architecture, memory, timeout, role.
    const settings = [fn.environment.variables, fn.handler, fn.runtime, fn.architectures, fn.memorySize, fn.timeout, fn.role];
    expect(triggers.configuration).toBe(createHash("sha256").update(JSON.stringify(settings)).digest("hex"));
    const changed = [{ ...fn.environment.variables, NAMESPACES: "other" }, ...settings.slice(1)];
    expect(createHash("sha256").update(JSON.stringify(changed)).digest("hex")).not.toBe(triggers.configuration);
  });

  describe("the real handler answers the deploy's input", () => {
    let env: SimEnv;
    let handler: (event: unknown, context: Context) => Promise<unknown>;
    const context = { functionName: "reconcile", awsRequestId: "deploy-1", getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

    beforeAll(async () => {
      env = await startSimEnv({ scenario: generateScenario({ services: 3, tasksPerService: 2 }) });
      Object.assign(process.env, env.env, { POWERTOOLS_LOG_LEVEL: "ERROR", POWERTOOLS_METRICS_DISABLED: "true" });
      // The real Powertools Logger and Metrics write to stdout: keep the test output readable.
      vi.spyOn(process.stdout, "write").mockImplementation(() => true);
      handler = (await import("../../functions/reconcile")).handler;
    }, 60_000);
    afterAll(async () => {
      vi.restoreAllMocks();
      await env?.sim.close();
    });

    it("with discovery failing for every service it returns a summary that withholds publication, not an error", async () => {
      // A fresh state, no target found, every service failed: nothing may be published.
      env.sim.setFaults({ deny: { "servicediscovery:ListTagsForResource": "AccessDeniedException" } });
      const summary = (await handler(JSON.parse(invocation.inputs.input), context)) as Record<string, unknown>;
      expect(summary).toMatchObject({ dryRun: false, written: false });
      expect(summary.withheld).toMatch(/not publishing/);
      // The state is saved, the document is not.
      const head = env.clients.s3.send(new HeadObjectCommand({ Bucket: env.config.bucket, Key: env.config.key }));
      await expect(head).rejects.toMatchObject({ name: "NotFound" });
    });

    it("with AWS answering, a fresh stack publishes the complete document at once", async () => {
      env.sim.setFaults(null);
      const summary = (await handler(JSON.parse(invocation.inputs.input), context)) as Record<string, unknown>;
      expect(summary).toMatchObject({ dryRun: false, written: true, generation: 1, targets: 6 });
    });
  });
});
