// The reconcile role's policy against the calls its code really makes: a full reconcile
// and every kind of event (a bridge task on a new container instance, a new ECS service,
// a retagged Cloud Map service in a namespace the state has not seen) run through the
// real SDK on the simulator, whose call log records the IAM action of every call. The
// granted actions must be exactly the called ones (SQS and logs are the platform's calls;
// s3:ListBucket only turns a missing key's 403 into 404).
import { afterAll, describe, expect, it } from "vitest";
import { reconcile } from "@scrape-reconciler/reconcile";
import { EventBridgeEmitter, type ScenarioInput } from "@scrape-reconciler/sim";
import { auditStatements, reconcileStatements } from "../../infra/iam";
import { startSimEnv, type SimEnv } from "../support/sim-env";
import { captureLogger, deliver, routed } from "../support/events";
import { KEYS, placeholderReconcileResources, scopeFor } from "./iam-scope";
import { RETIRE_MS } from "@scrape-reconciler/core";

const scenario: ScenarioInput = {
  namespaces: [
    { name: "internal.local", type: "DNS_PRIVATE" },
    { name: "other.local", type: "HTTP" },
  ],
  clusters: [{ name: "web" }, { name: "legacy", containerInstances: 1 }],
  services: [
    {
      cluster: "web",
      name: "api",
      namespace: "internal.local",
      tags: { METRICS_PORT: "8080" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "api", revision: 1, containers: [{ name: "api", ports: [8080] }] },
      desiredCount: 2,
    },
    {
      cluster: "legacy",
      name: "billing",
      namespace: "internal.local",
      tags: { METRICS_PORT: "8080" },
      launchType: "EC2",
      networkMode: "bridge",
      taskDefinition: { family: "billing", revision: 4, containers: [{ name: "billing", ports: [8080] }] },
      desiredCount: 0,
    },
    {
      cluster: "web",
      name: "batch",
      namespace: "other.local",
      tags: {},
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "batch", revision: 1, containers: [{ name: "batch", ports: [9100] }] },
      desiredCount: 1,
    },
  ],
};

const PLATFORM = /^(sqs|logs):/;
let env: SimEnv | undefined;
afterAll(async () => env?.sim.close());

function actions(statements: { actions: string[] }[]): string[] {
  return [...new Set(statements.flatMap((s) => s.actions))].filter((a) => !PLATFORM.test(a) && a !== "s3:ListBucket").sort();
}

describe("IAM policies against the simulator's call log", () => {
  it("the reconcile role grants exactly what a full reconcile and the event path call", async () => {
    env = await startSimEnv({ scenario });
    const deps = { clients: env.clients, config: env.config, now: () => new Date(), logger: captureLogger().logger };
    env.sim.calls.reset(); // drop the test's own CreateBucket
    const emitter = new EventBridgeEmitter(env.sim.state, { seed: "iam" });
    await reconcile(deps);
    env.sim.state.startTask("legacy", "billing");
    env.sim.state.setServiceTags("web", "batch", { METRICS_PORT: "9100" });
    const r = await deliver(deps, routed(emitter.drain()));
    expect(r.response.batchItemFailures).toEqual([]);
    // The single document catches up with the index the batch published alone
    // (PUBLISH_SINGLE_DOCUMENT=full-reconcile); then an unchanged run checks the manifest (ssm:GetParameter).
    const again = await reconcile(deps);
    expect(again.drift).toBe(0); // the events missed nothing
    expect(again.written).toBe(true);
    expect((await reconcile(deps)).written).toBe(false);
    // A change retires the shard it replaces; a change RETIRE_MS later deletes it (s3:DeleteObject).
    for (const offset of [0, RETIRE_MS + 60_000]) {
      const at = { ...deps, now: () => new Date(Date.now() + offset) };
      env.sim.state.startTask("web", "batch");
      const next = await deliver(at, routed(emitter.drain()));
      expect(next.response.batchItemFailures).toEqual([]);
      expect(next.summary.documentWritten).toBe(true);
    }
    emitter.close();
    const called = env.sim.calls.iamActions();
    const granted = actions(reconcileStatements(placeholderReconcileResources(), "*"));
    expect(called).toEqual(granted);
  });

  it("the audit role grants nothing the reconcile's full discovery does not read", async () => {
    const audit = actions(
      auditStatements(
        { bucketArn: "b", ...KEYS, scope: scopeFor(), documentObjectArn: "d", stateObjectArn: "s", manifestParameterArn: "p", logStreamsArn: "l" },
        "*",
      ),
    );
    expect(audit.filter((a) => /:(Put|Create|Delete|Tag|Untag|Register|Deregister)/.test(a))).toEqual([]);
  });
});
