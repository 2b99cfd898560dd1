// Events through the deployed path (rule -> queue -> event source -> reconcile bundle on
// Node 24): deployments converge and the audit, on its own schedule, finds nothing stale
// or missing; malformed, unknown and ignored events are logged once and never fail; a
// stale delivery after a full reconcile never brings back a stopping task. (Throttling
// and poison records: failures.test.ts.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scenarioSuite, type ScenarioStack } from "../support/emulated-stack";
import { ACCOUNT_SCENARIO } from "./scenarios";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));

const suite = scenarioSuite({ region: ACCOUNT_SCENARIO.region!, accountId: ACCOUNT_SCENARIO.accountId! });
let s: ScenarioStack;

const targetsOf = (doc: unknown[]) => (doc as { targets: string[] }[]).map((g) => g.targets[0]!).sort();

describe("a rolling deployment, a scale-out and a crash", () => {
  it("converge to a full reconcile's document; the scheduled audit then reports 0 stale and 0 missing", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO }, emitter: { duplicateRate: 0.2, shuffle: true, seed: "converge" } });
    const st = s.sim.state;
    st.deployService("web", "frontend", 4);
    st.setDesiredCount("web", "api", 4);
    st.stopTask(st.tasks({ status: "RUNNING" }).find((t) => t.group === "service:celery")!.taskArn!, "Essential container in task exited");
    s.flush();
    await s.stack.settle();
    const p = (await s.published())!;
    expect(p.bytes).toBe(await s.expectedBytes());
    // Each batch wrote at most one document.
    expect(s.stack.batches().length).toBeGreaterThan(0);
    expect(s.stack.queue("ReconcileDeadLetters").size()).toBe(0);

    // The audit on its own schedule (5 minutes in 0.5 s).
    const auditsBefore = s.stack.datapoints.filter((d) => d.name === "StaleTargets").length;
    s.stack.bus.startSchedules(1 / 600);
    const deadline = Date.now() + 30_000;
    while (s.stack.datapoints.filter((d) => d.name === "StaleTargets").length === auditsBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    s.stack.bus.stop();
    expect(s.stack.alarm("StaleTargetsAlarm")).toEqual({ state: "OK", value: 0 });
    expect(s.stack.alarm("MissingTargetsAlarm")).toEqual({ state: "OK", value: 0 });
  });
});

describe("malformed, unknown and ignored events", () => {
  it("are logged once with their reason and never reported failed, through the queue or delivered directly", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    const namespaceArn = `arn:aws:servicediscovery:${ACCOUNT_SCENARIO.region}:${ACCOUNT_SCENARIO.accountId}:namespace/ns-0000000000000001`;
    const tagNamespace = fixture("eventbridge/servicediscovery-registerinstance.json");
    Object.assign(tagNamespace, { id: "evt-tag-namespace", region: ACCOUNT_SCENARIO.region, account: ACCOUNT_SCENARIO.accountId });
    Object.assign(tagNamespace.detail, {
      eventName: "TagResource",
      requestParameters: { resourceARN: namespaceArn, tags: [{ key: "team", value: "web" }] },
      responseElements: null,
    });
    const ecsMissing = fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json");
    Object.assign(ecsMissing, { id: "evt-ecs-missing", region: ACCOUNT_SCENARIO.region, account: ACCOUNT_SCENARIO.accountId });
    ecsMissing.detail.clusterArn = `arn:aws:ecs:${ACCOUNT_SCENARIO.region}:${ACCOUNT_SCENARIO.accountId}:cluster/web`;
    delete ecsMissing.detail.taskArn;
    delete ecsMissing.detail.version;
    // Both pass the deployed rules.
    expect(s.stack.put([tagNamespace, ecsMissing])).toEqual([["CloudMapApiCall"], ["EcsTaskStateChange"]]);
    // What the rules would not pass, but a queue can still carry (an older rule, a replay).
    const unknown = { ...tagNamespace, id: "evt-unknown", "detail-type": "Something Else" };
    const failedCall = structuredClone(tagNamespace);
    Object.assign(failedCall, { id: "evt-failed-call" });
    Object.assign(failedCall.detail, { eventName: "RegisterInstance", errorCode: "AccessDenied" });
    const queue = s.stack.queue("ReconcileEvents");
    queue.send(JSON.stringify(unknown));
    queue.send(JSON.stringify(failedCall));
    queue.send("not json {");
    await s.stack.settle();
    expect(s.stack.batches().every((b) => b.failed === 0)).toBe(true);
    expect(s.stack.queue("ReconcileDeadLetters").size()).toBe(0);
    const logs = s.stack.logsOf("reconcile");
    for (const id of ["evt-tag-namespace", "evt-ecs-missing", "evt-unknown", "evt-failed-call"]) {
      expect(
        logs.filter((l) => l.includes(id) && /ignored|malformed|skipped/.test(l)),
        id,
      ).toHaveLength(1);
    }
    expect(logs.filter((l) => l.includes("is not JSON"))).toHaveLength(1);
    // Delivered directly (a rule targeting the function), the handler answers, it does not throw.
    for (const e of [tagNamespace, ecsMissing, unknown, failedCall]) {
      const r = await s.stack.invoke(s.reconcileFn, e);
      expect(r.ok, `${e.id}: ${r.error?.errorMessage}`).toBe(true);
    }
  });
});

describe("a stale delivery after a full reconcile", () => {
  it("never brings back a stopping task", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    const st = s.sim.state;
    const task = st.startTask("web", "frontend");
    const running = s.emitter.drain();
    s.stack.put(running);
    await s.stack.settle();
    const withTask = targetsOf((await s.published())!.document);
    st.setTaskStatus(task.taskArn!, "DEACTIVATING");
    // CloudTrail's DeregisterInstance is best effort: here only ECS' own event arrives.
    s.stack.put(s.emitter.drain().filter((e) => e["detail-type"] === "ECS Task State Change"));
    await s.stack.settle();
    const without = targetsOf((await s.published())!.document);
    expect(without.length).toBe(withTask.length - 1);
    // A full reconcile (the operator's invoke: the same merge as the schedule's).
    expect((await s.stack.invoke(s.reconcileFn, { action: "reconcile", dryRun: false })).ok).toBe(true);
    const afterReconcile = targetsOf((await s.published())!.document);
    expect(afterReconcile).not.toContain(withTask.find((t) => !without.includes(t)));
    // RUNNING delivered again, late.
    s.stack.put(running.filter((e) => e["detail-type"] === "ECS Task State Change"));
    await s.stack.settle();
    expect(targetsOf((await s.published())!.document)).toEqual(afterReconcile);
  });
});
