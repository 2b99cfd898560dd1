// The audit role's policy (infra/iam.ts auditStatements) against the calls the audit
// really makes on the simulator, whose call log records each call's IAM action: every
// called action is granted, and the audit writes nothing.
import { afterAll, describe, expect, it } from "vitest";
import { reconcile } from "@scrape-reconciler/reconcile";
import { generateScenario } from "@scrape-reconciler/sim";
import { auditStatements } from "../../../infra/iam";
import { audit } from "../src";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";

let env: SimEnv | undefined;
afterAll(async () => env?.sim.close());

const granted = new Set(
  auditStatements({ bucketArn: "b", documentObjectArn: "d", stateObjectArn: "s", manifestParameterArn: "p", logStreamsArn: "l" }, "*").flatMap(
    (s) => s.actions,
  ),
);

describe("audit IAM against the simulator's call log", () => {
  it("calls only granted, read-only actions, with and without a published document and state", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 6, tasksPerService: 2, namespaces: 3, ec2Every: 2 }) });
    const e = env;
    e.sim.calls.reset(); // drop the test's own CreateBucket
    await audit({ clients: e.clients, config: e.config, now: () => new Date() }); // nothing published: task definitions described
    const first = e.sim.calls.iamActions();
    await reconcile({ clients: e.clients, config: e.config, now: () => new Date() });
    e.sim.calls.reset();
    const r = await audit({ clients: e.clients, config: e.config, now: () => new Date() });
    expect(r.errors).toEqual([]);
    const called = [...new Set([...first, ...e.sim.calls.iamActions()])].sort();
    expect(called).toContain("ecs:DescribeTaskDefinition");
    expect(called).toContain("s3:GetObject");
    expect(called).toContain("ssm:GetParameter");
    expect(called.filter((a) => !granted.has(a))).toEqual([]);
    expect(called.filter((a) => /:(Put|Create|Delete|Tag|Untag|Register|Deregister)/.test(a))).toEqual([]);
  });
});
