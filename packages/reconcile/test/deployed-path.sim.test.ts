// The event path as deployed (EventBridge rule -> SQS -> handleInput), with the real
// Powertools Logger, against the simulator: the 5-minute schedule arriving as an SQS
// record, a fresh or lost state (never `[]` nor a partial document), a stale RUNNING after
// a full reconcile, and malformed or ignored events, in a batch and delivered directly.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { putConditional, readState } from "@scrape-reconciler/store";
import { isComplete, type ReconcilerState } from "@scrape-reconciler/core";
import { EventBridgeEmitter, generateScenario, type ScenarioInput } from "@scrape-reconciler/sim";
import { reconcile, handleInput } from "../src";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { deliver, routed, sqsBatch } from "../../../test/support/events";
import { captureLogs, depsWith, fixture, fullReconcileBytes, published, scheduledEvent, storedState, targetsOf, taskEvents, type LogRecord } from "./support";

let env: SimEnv | undefined;
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(async () => {
  logs.restore();
  await env?.sim.close();
  env = undefined;
});

const small = () => generateScenario({ services: 4, tasksPerService: 2, clusters: 1, namespaces: 1 });
const deps = (e: SimEnv, clients = e.clients) => depsWith(e, logs.logger, clients);

describe("the schedule arriving through the queue", () => {
  it("runs one full reconcile for the batch, however many schedule records, with the batch's events; nothing fails", async () => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[0]!;
    // Lost events: a task stops and nobody hears of it; the batch carries another task's start.
    const lost = env.sim.state.tasks({ status: "RUNNING" }).find((t) => t.group === `service:${env!.sim.scenario.services[1]!.name}`)!;
    env.sim.state.stopTask(lost.taskArn!);
    emitter.drain();
    const started = env.sim.state.startTask(svc.cluster, svc.name);
    const events = routed(emitter.drain());
    const running = taskEvents(events, started.taskArn!, "RUNNING")[0]!;
    env.sim.calls.reset();
    const batch = sqsBatch([scheduledEvent(), ...events, scheduledEvent()]);
    const r = await handleInput(deps(env), batch);
    if (r.kind !== "batch") throw new Error(r.kind);
    expect(r.response.batchItemFailures).toEqual([]);
    expect(r.summary.fullReconcile).toMatchObject({ trigger: "schedule", drift: 1, failed: 0 });
    expect(env.sim.calls.get("servicediscovery:ListNamespaces")).toBe(1);
    // The result equals a full reconcile of the final account, and the events' versions are kept.
    expect((await published(env))!.text).toBe(await fullReconcileBytes(env));
    expect((await storedState(env)).tasks[started.taskArn!.split("/").pop()!]?.version).toBeGreaterThanOrEqual(running.detail.version);
    expect(logs.records.filter((l) => l.level !== "INFO")).toEqual([]);
    emitter.close();
  });

  it("when the full reconcile throws, only the schedule records fail; the events are applied", async () => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[0]!;
    const started = env.sim.state.startTask(svc.cluster, svc.name);
    const events = routed(emitter.drain());
    env.sim.setFaults({ deny: { "servicediscovery:ListNamespaces": "AccessDeniedException" } });
    const batch = sqsBatch([scheduledEvent(), ...events]);
    const r = await handleInput(deps(env, env.clientsWith({ maxAttempts: 1 })), batch);
    if (r.kind !== "batch") throw new Error(r.kind);
    expect(r.response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]!.messageId }]);
    expect(r.summary.fullReconcile).toMatchObject({ trigger: "schedule", error: expect.stringMatching(/ListNamespaces|listing Cloud Map namespaces failed/) });
    expect(r.summary.outcomes.applied).toBeGreaterThan(0);
    env.sim.setFaults(null);
    expect((await published(env))!.document.some((g) => g.labels.taskid === started.taskArn!.split("/").pop())).toBe(true);
    expect(logs.records.filter((l) => l.level === "ERROR").map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/full reconcile failed/)]),
    );
    emitter.close();
  });
});

describe("a state never completed by a full reconcile publishes nothing partial", () => {
  it("fresh bucket, first RUNNING event: the document is complete (equal to a full reconcile's)", async () => {
    env = await startSimEnv({ scenario: small() });
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[0]!;
    const started = env.sim.state.startTask(svc.cluster, svc.name);
    const running = taskEvents(routed(emitter.drain()), started.taskArn!, "RUNNING");
    const r = await deliver(deps(env), running);
    expect(r.response.batchItemFailures).toEqual([]);
    expect(r.summary.fullReconcile?.trigger).toBe("incomplete-state");
    const doc = (await published(env))!;
    expect(doc.document.length).toBe(9);
    expect(doc.text).toBe(await fullReconcileBytes(env));
    emitter.close();
  });

  it("fresh bucket, first Cloud Map RegisterInstance: the document is complete", async () => {
    env = await startSimEnv({ scenario: small() });
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[2]!;
    env.sim.state.startTask(svc.cluster, svc.name);
    const register = routed(emitter.drain()).filter((e) => (e as { detail: { eventName?: string } }).detail.eventName === "RegisterInstance");
    expect(register).toHaveLength(1);
    await deliver(deps(env), register);
    const doc = (await published(env))!;
    expect(doc.document.length).toBe(9);
    expect(doc.text).toBe(await fullReconcileBytes(env));
    emitter.close();
  });

  it("fresh bucket, first schedule through the queue: a complete document, never []", async () => {
    env = await startSimEnv({ scenario: small() });
    const r = await deliver(deps(env), [scheduledEvent()]);
    expect(r.response.batchItemFailures).toEqual([]);
    const doc = (await published(env))!;
    expect(doc.generation).toBe(1);
    expect(doc.document.length).toBe(8);
    expect(doc.text).toBe(await fullReconcileBytes(env));
  });

  it("fresh bucket, discovery failing in part: nothing is published (one-line reason), the events' facts are kept, the next complete discovery publishes", async () => {
    const scenario: ScenarioInput = small();
    scenario.services![3]!.desiredCount = 0;
    env = await startSimEnv({ scenario });
    // Registrations that did not come from ECS: their service needs no ECS call.
    const onPrem = env.sim.state.cloudMapServiceFor(scenario.services![3]!.cluster, scenario.services![3]!.name);
    env.sim.state.registerInstance(onPrem.id, "on-prem-1", { AWS_INSTANCE_IPV4: "10.9.9.1", AWS_INSTANCE_PORT: "8080" });
    const emitter = new EventBridgeEmitter(env.sim.state);
    env.sim.setFaults({ deny: { "ecs:DescribeTasks": "ThrottlingException" } });
    const flaky = env.clientsWith({ maxAttempts: 1 });
    // The first schedule: 3 services fail, the 4th would give a partial document of 1 target.
    const first = await deliver(deps(env, flaky), [scheduledEvent()]);
    env.sim.state.registerInstance(onPrem.id, "on-prem-2", { AWS_INSTANCE_IPV4: "10.9.9.2", AWS_INSTANCE_PORT: "8080" });
    const second = await deliver(deps(env, flaky), routed(emitter.drain()));
    for (const r of [first, second]) {
      expect(r.response.batchItemFailures).toEqual([]);
      expect(r.summary.documentWritten).toBe(false);
      expect(r.summary.withheld).toMatch(/never been completed by a full discovery/);
      expect(r.summary.withheld).not.toContain("\n");
    }
    expect(second.summary.fullReconcile?.trigger).toBe("incomplete-state");
    expect(await published(env)).toBeUndefined();
    const state = await storedState(env);
    expect(state.complete).toBe(false);
    expect(Object.keys(state.services[onPrem.id]!.instances).sort()).toEqual(["on-prem-1", "on-prem-2"]);
    env.sim.setFaults(null);
    const svc = scenario.services![0]!;
    const started = env.sim.state.startTask(svc.cluster, svc.name);
    await deliver(deps(env), taskEvents(routed(emitter.drain()), started.taskArn!, "RUNNING"));
    const doc = (await published(env))!;
    expect(doc.generation).toBe(1);
    expect(doc.text).toBe(await fullReconcileBytes(env));
    expect(targetsOf(doc.document)).toEqual(expect.arrayContaining(["10.9.9.1:8080 /metrics", "10.9.9.2:8080 /metrics"]));
    expect(doc.document).toHaveLength(3 * 2 + 1 + 2);
    emitter.close();
  });

  it("a lost state.json after publication never shrinks the document, through failed discoveries and events", async () => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    const before = (await published(env))!;
    env.sim.state.s3.delete(env.config.bucket, env.config.stateKey);
    // The schedule with ECS failing: the published document covers the failed parts.
    env.sim.setFaults({ deny: { "ecs:DescribeTasks": "ThrottlingException" } });
    const r = await deliver(deps(env, env.clientsWith({ maxAttempts: 1 })), [scheduledEvent()]);
    expect(r.summary.fullReconcile).toMatchObject({ trigger: "schedule", failed: 4 });
    expect(targetsOf((await published(env))!.document)).toEqual(targetsOf(before.document));
    env.sim.setFaults(null);
    // An event on that state: the failed parts are still carried over from the document.
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[1]!;
    const started = env.sim.state.startTask(svc.cluster, svc.name);
    await deliver(deps(env), taskEvents(routed(emitter.drain()), started.taskArn!, "RUNNING"));
    const during = (await published(env))!;
    expect(during.document).toHaveLength(9);
    for (const t of targetsOf(before.document)) expect(targetsOf(during.document)).toContain(t);
    await deliver(deps(env), [scheduledEvent()]);
    const after = (await published(env))!;
    expect(after.text).toBe(await fullReconcileBytes(env));
    expect(after.document).toHaveLength(9);
    emitter.close();
  });

  it("a lost state.json, then one event: the document is complete and generations go on", async () => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    const emitter = new EventBridgeEmitter(env.sim.state);
    const [a, b] = env.sim.scenario.services;
    env.sim.state.startTask(a!.cluster, a!.name);
    await deliver(deps(env), routed(emitter.drain()));
    const before = (await published(env))!;
    expect(before.stateGeneration).toBeGreaterThan(1);
    env.sim.state.s3.delete(env.config.bucket, env.config.stateKey);
    const started = env.sim.state.startTask(b!.cluster, b!.name);
    await deliver(deps(env), taskEvents(routed(emitter.drain()), started.taskArn!, "RUNNING"));
    const after = (await published(env))!;
    expect(after.text).toBe(await fullReconcileBytes(env));
    expect(after.document).toHaveLength(before.document.length + 1);
    expect(after.generation).toBe(before.generation + 1);
    expect(after.stateGeneration).toBeGreaterThan(before.stateGeneration);
    emitter.close();
  });
});

describe("states written before the completeness field", () => {
  it.each([
    { failed: false, trigger: undefined },
    { failed: true, trigger: "incomplete-state" },
  ])("last full reconcile with failures: $failed -> the next event runs a full reconcile: $trigger", async ({ failed, trigger }) => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    const { state, etag } = await readState({ s3: env.clients.s3, bucket: env.config.bucket, stateKey: env.config.stateKey }, new Date());
    const old: Partial<ReconcilerState> = {
      ...state,
      failed: failed ? [{ scope: "service", id: "srv-gone", name: "gone", operation: "ecs:DescribeTasks", error: "ThrottlingException" }] : [],
    };
    delete old.complete;
    await putConditional(env.clients.s3, env.config.bucket, env.config.stateKey, JSON.stringify(old), { ifMatch: etag });
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[0]!;
    const started = env.sim.state.startTask(svc.cluster, svc.name);
    const r = await deliver(deps(env), taskEvents(routed(emitter.drain()), started.taskArn!, "RUNNING"));
    expect(r.summary.fullReconcile?.trigger).toBe(trigger);
    expect((await published(env))!.text).toBe(await fullReconcileBytes(env));
    expect(isComplete(await storedState(env))).toBe(true);
    emitter.close();
  });
});

describe("a stale RUNNING after a full reconcile", () => {
  it.each(["through the queue", "delivered directly"])(
    "RUNNING v -> DEACTIVATING -> scheduled full reconcile (%s) -> RUNNING v again: the task is not published again",
    async (how) => {
      env = await startSimEnv({ scenario: small() });
      await reconcile(deps(env));
      const emitter = new EventBridgeEmitter(env.sim.state);
      const svc = env.sim.scenario.services[0]!;
      const task = env.sim.state.startTask(svc.cluster, svc.name);
      const taskId = task.taskArn!.split("/").pop()!;
      const running = taskEvents(routed(emitter.drain()), task.taskArn!, "RUNNING")[0]!;
      await deliver(deps(env), [running]);
      expect((await published(env))!.document.some((g) => g.labels.taskid === taskId)).toBe(true);
      env.sim.state.stopTask(task.taskArn!);
      const deactivating = taskEvents(routed(emitter.drain()), task.taskArn!, "DEACTIVATING");
      await deliver(deps(env), deactivating);
      expect((await published(env))!.document.some((g) => g.labels.taskid === taskId)).toBe(false);
      // The schedule fires minutes after the events (its discovery no longer lists the task).
      const later = { ...deps(env), now: () => new Date(Date.now() + 2 * 60_000) };
      const schedule = await handleInput(later, how === "delivered directly" ? scheduledEvent() : sqsBatch([scheduledEvent()]));
      expect(schedule.kind === "reconcile" ? schedule.trigger : schedule.summary.fullReconcile?.trigger).toBe("schedule");
      const again = await deliver(deps(env), [running]);
      expect(again.summary.outcomes).toEqual({ stale: 1 });
      expect((await published(env))!.document.some((g) => g.labels.taskid === taskId)).toBe(false);
      emitter.close();
    },
  );
});

describe("malformed and ignored events", () => {
  function badEvents() {
    const tagNamespace = fixture("eventbridge/servicediscovery-registerinstance.json");
    Object.assign(tagNamespace.detail, {
      eventName: "TagResource",
      requestParameters: { resourceARN: "arn:aws:servicediscovery:us-west-2:111122223333:namespace/ns-abcexample0001", tags: [{ key: "team", value: "a" }] },
    });
    tagNamespace.id = "bad-tag-namespace";
    const unknownType = fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json");
    Object.assign(unknownType, { id: "bad-unknown-type", "detail-type": "ECS Container Instance State Change" });
    const missing = fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json");
    missing.id = "bad-missing-fields";
    delete missing.detail.taskArn;
    delete missing.detail.version;
    const failedCall = fixture("eventbridge/servicediscovery-registerinstance.json");
    Object.assign(failedCall.detail, { errorCode: "ServiceNotFound", errorMessage: "Service not found." });
    failedCall.id = "bad-error-code";
    return [
      { event: tagNamespace, level: "INFO", reason: /bad-tag-namespace.*TagResource names no Cloud Map service/ },
      { event: unknownType, level: "WARN", reason: /bad-unknown-type.*unsupported event/ },
      { event: missing, level: "WARN", reason: /bad-missing-fields.*not a valid ECS task state change/ },
      { event: failedCall, level: "INFO", reason: /bad-error-code.*RegisterInstance failed \(ServiceNotFound\)/ },
    ];
  }

  const about = (records: LogRecord[], id: string) => records.filter((l) => JSON.stringify(l).includes(id));

  it("in an SQS batch: each is logged once with its reason and none is reported failed", async () => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    const bad = badEvents();
    const r = await deliver(
      deps(env),
      bad.map((b) => b.event),
    );
    expect(r.response.batchItemFailures).toEqual([]);
    expect(r.malformed + r.ignored).toBe(4);
    for (const b of bad) {
      const lines = about(logs.records, b.event.id);
      expect(lines, b.event.id).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: b.level, reason: expect.stringMatching(b.reason) });
    }
  });

  it("delivered directly: each is logged once and the handler does not throw", async () => {
    env = await startSimEnv({ scenario: small() });
    await reconcile(deps(env));
    for (const b of badEvents()) {
      const r = await handleInput(deps(env), b.event);
      expect(r.kind).toBe("event");
      const lines = about(logs.records, b.event.id);
      expect(lines, b.event.id).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: b.level, reason: expect.stringMatching(b.reason) });
    }
    expect((await published(env))!.document.length).toBe(8);
  });
});
