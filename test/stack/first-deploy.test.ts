// The stack as `sst deploy` creates it, run whole (see test/support/emulated-stack.ts):
// a fresh deploy publishes nothing until a full discovery has succeeded, and its first
// document is complete; events before the first full reconcile, or after the state is
// lost, publish nothing or a complete document, never `[]` nor a partial one.
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { simClientConfig } from "@scrape-reconciler/sim";
import { describe, expect, it } from "vitest";
import { scenarioSuite, type ScenarioStack } from "../support/emulated-stack";
import { ACCOUNT_SCENARIO } from "./scenarios";

const suite = scenarioSuite({ region: ACCOUNT_SCENARIO.region!, accountId: ACCOUNT_SCENARIO.accountId! });
let s: ScenarioStack;

describe("a fresh deploy", () => {
  it("the deploy's own invocation publishes a complete first document, generation 1", async () => {
    expect(suite.synthesis.resources.some((r) => r.type === "aws:lambda/invocation:Invocation")).toBe(true);
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    const p = await s.published();
    expect(p).toBeDefined();
    expect(p!.bytes).toBe(await s.expectedBytes());
    expect(p!.document.length).toBe(3 + 2 * 2 + 2); // frontend, api (two endpoints), celery
    expect(p!.manifest.generation).toBe(1);
  });

  it("a discovery that fails at the first deploy publishes nothing: neither [] nor part of the account", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO, faults: { deny: { "servicediscovery:ListInstances": "AccessDeniedException" } } } });
    expect(await s.published()).toBeUndefined();
    // The deploy went through (the function answered with its summary, not an error), and
    // once the account can be read again the 5-minute schedule completes it.
    s.sim.setFaults(null);
    s.stack.fireSchedule("ReconcileSchedule");
    await s.stack.settle();
    expect((await s.published())?.bytes).toBe(await s.expectedBytes());
  });
});

describe("events before the first full reconcile", () => {
  const firsts: [string, (x: ScenarioStack) => void][] = [
    ["a task reaching RUNNING", (x) => x.sim.state.startTask("web", "frontend")],
    [
      "a Cloud Map RegisterInstance",
      (x) => x.sim.state.registerInstance(x.sim.state.cloudMapServiceFor("web", "api").id, "manual-1", { AWS_INSTANCE_IPV4: "10.9.9.9" }),
    ],
    ["the scheduled event", (x) => x.stack.fireSchedule("ReconcileSchedule")],
  ];
  for (const [what, act] of firsts) {
    it(`${what} publishes nothing or the complete document`, async () => {
      s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO }, skipDeployInvocations: true });
      act(s);
      s.flush();
      await s.stack.settle();
      const p = await s.published();
      if (p) expect(p.bytes).toBe(await s.expectedBytes());
      expect(s.stack.queue("ReconcileDeadLetters").size()).toBe(0);
    });
  }

  it("after the state is lost, an event never shrinks the published document", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    const before = (await s.published())!;
    const fnEnv = s.stack.model.functions.find((f) => f.name === s.reconcileFn)!.environment;
    const s3 = new S3Client(simClientConfig(s.sim));
    await s3.send(new DeleteObjectCommand({ Bucket: fnEnv.TARGETS_BUCKET!, Key: fnEnv.STATE_KEY! }));
    s3.destroy();
    s.sim.state.startTask("workers", "celery");
    s.flush();
    await s.stack.settle();
    const after = (await s.published())!;
    expect(after.document.length).toBeGreaterThanOrEqual(before.document.length);
    if (after.manifest.generation !== before.manifest.generation) expect(after.bytes).toBe(await s.expectedBytes());
  });
});
