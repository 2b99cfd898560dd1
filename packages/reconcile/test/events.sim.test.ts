// The event-driven reconcile through the real SDK against the simulator: the AWS
// documentation's sample events, a deployment burst with duplicated and shuffled events,
// racing invocations, malformed events, and the AWS reads per event. The real Powertools
// Logger throughout (its output captured).
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readPublishedTargets } from "@scrape-reconciler/store";
import { EventBridgeEmitter, generateScenario, type ScenarioInput } from "@scrape-reconciler/sim";
import { reconcile, handleInput, type HandleDeps } from "../src";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { chunks, deliver, routed, sqsBatch } from "../../../test/support/events";
import { captureLogs, fullReconcileBytes } from "./support";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), "utf8"));

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

function depsOf(e: SimEnv): HandleDeps {
  return { clients: e.clients, config: e.config, now: () => new Date(), logger: logs.logger };
}

async function published(e: SimEnv) {
  return (await readPublishedTargets({ ...e.clients, bucket: e.config.bucket, key: e.config.key }))!;
}

describe("AWS documentation sample events", () => {
  const scenario: ScenarioInput = {
    region: "us-west-2",
    accountId: "111122223333",
    namespaces: [{ name: "internal.local", type: "DNS_PRIVATE" }],
    clusters: [{ name: "FargateCluster" }, { name: "default", containerInstances: 1 }],
    services: [
      {
        cluster: "FargateCluster",
        name: "sample-fargate",
        namespace: "internal.local",
        tags: { METRICS_PORT: "8080" },
        launchType: "FARGATE",
        networkMode: "awsvpc",
        taskDefinition: { family: "sample-fargate", revision: 1, containers: [{ name: "FargateApp", ports: [8080] }] },
        desiredCount: 0,
      },
      {
        cluster: "default",
        name: "xray",
        namespace: "internal.local",
        tags: { METRICS_PORT: "2000" },
        launchType: "EC2",
        networkMode: "bridge",
        taskDefinition: { family: "xray", revision: 2, containers: [{ name: "xray", ports: [2000] }] },
        desiredCount: 0,
      },
    ],
  };

  it("Fargate (awsvpc): the task's ENI IP appears when RUNNING and goes when STOPPED", async () => {
    env = await startSimEnv({ scenario });
    const deps = depsOf(env);
    await reconcile(deps);
    // The sample's group is "family:sample-fargate" (a standalone task); as a service task it is "service:NAME".
    const running = fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json");
    running.detail.group = "service:sample-fargate";
    let r = await deliver(deps, routed([running]));
    expect(r.summary.outcomes).toEqual({ applied: 1 });
    expect((await published(env)).document.map((g) => g.targets[0])).toEqual(["10.0.0.139:8080"]);
    const stopped = structuredClone(running);
    Object.assign(stopped.detail, { lastStatus: "STOPPED", desiredStatus: "STOPPED", version: 7 });
    r = await deliver(deps, routed([stopped, running]));
    expect(r.summary.outcomes).toEqual({ applied: 1, stale: 1 });
    expect((await published(env)).document).toEqual([]);
  });

  it("EC2 bridge: the container instance's IP and the host port from networkBindings", async () => {
    env = await startSimEnv({ scenario });
    const deps = depsOf(env);
    await reconcile(deps);
    const ci = env.sim.state.ecs.cluster("default").containerInstances[0]!;
    // The EC2 sample has no networkBindings: add them in the API reference's NetworkBinding shape.
    const event = fixture("aws-samples/ecs-task-state-change-ec2.json");
    Object.assign(event.detail, { group: "service:xray", containerInstanceArn: ci.arn, launchType: "EC2" });
    event.detail.containers[0].networkBindings = [{ bindIP: "0.0.0.0", containerPort: 2000, hostPort: 32845, protocol: "tcp" }];
    const r = await deliver(deps, routed([event]));
    expect(r.summary.outcomes).toEqual({ applied: 1 });
    const doc = (await published(env)).document;
    expect(doc.map((g) => g.targets[0])).toEqual([`${ci.privateIp}:32845`]);
    expect(doc[0]?.labels).toMatchObject({
      __meta_ecs_network_mode: "bridge",
      __meta_ecs_ec2_instance_id: ci.ec2InstanceId,
      // The type EC2's DescribeInstances reports for the container instance's host.
      __meta_ecs_ec2_instance_type: env.sim.state.ecs.ec2Instances.get(ci.ec2InstanceId)!.instanceType,
      taskdefinition: "xray:2",
    });
    expect(doc[0]?.labels.__meta_ecs_ec2_instance_type).toBe("m5.large");
    // ECS service -> Cloud Map (no task ran yet), container instance, EC2 instance, task definition: once, then kept.
    expect(r.summary.awsReads).toBe(4);
    event.detail.version += 1;
    expect((await deliver(deps, routed([event]))).summary.awsReads).toBe(0);
  });

  it("Cloud Map RegisterInstance / DeregisterInstance via CloudTrail", async () => {
    env = await startSimEnv({ scenario });
    const deps = depsOf(env);
    await reconcile(deps);
    const serviceId = env.sim.state.cloudMapServiceFor("FargateCluster", "sample-fargate").id;
    const register = fixture("eventbridge/servicediscovery-registerinstance.json");
    register.detail.requestParameters.serviceId = serviceId;
    const deregister = fixture("eventbridge/servicediscovery-deregisterinstance.json");
    deregister.detail.requestParameters.serviceId = serviceId;
    await deliver(deps, routed([register]));
    // Registered, but ECS has not reported its task RUNNING yet: not scraped.
    expect((await published(env)).document).toEqual([]);
    const running = fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json");
    running.detail.group = "service:sample-fargate";
    await deliver(deps, routed([running]));
    expect((await published(env)).document.map((g) => g.targets[0])).toEqual(["10.0.0.139:8080"]);
    const r = await deliver(deps, routed([deregister]));
    expect(r.summary.outcomes).toEqual({ applied: 1 });
    expect((await published(env)).document).toEqual([]);
  });
});

describe("a deployment burst", () => {
  it("2,000 duplicated and shuffled events: a bounded number of writes, the final document equals a full reconcile, few AWS reads", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 50, tasksPerService: 4, namespaces: 3, clusters: 3, ec2Every: 5 }) });
    const deps = depsOf(env);
    await reconcile(deps);
    const emitter = new EventBridgeEmitter(env.sim.state, { duplicateRate: 0.2, shuffle: true, delayRate: 0.05, seed: "burst" });
    const services = env.sim.scenario.services;
    // Rolling deployments of every service, scale-outs and scale-ins, crashes.
    services.forEach((svc, i) => {
      env!.sim.state.deployService(svc.cluster, svc.name, 2);
      if (i % 7 === 0) env!.sim.state.setDesiredCount(svc.cluster, svc.name, 6);
      if (i % 11 === 0) env!.sim.state.setDesiredCount(svc.cluster, svc.name, 2);
    });
    for (const t of env.sim.state.tasks({ status: "RUNNING" }).filter((_, i) => i % 25 === 0))
      env.sim.state.stopTask(t.taskArn!, "Essential container in task exited");
    const events = routed(emitter.drain());
    const late = routed(emitter.flush());
    expect(events.length + late.length).toBeGreaterThanOrEqual(2000);
    env.sim.calls.reset();
    // SQS with a 5 s batching window over a 10 s burst, two concurrent invocations: 4 batches.
    const batches = chunks(events, Math.ceil(events.length / 4));
    const results = [];
    for (let i = 0; i < batches.length; i += 2) results.push(...(await Promise.all(batches.slice(i, i + 2).map((b) => deliver(deps, b)))));
    results.push(await deliver(deps, late));
    // The state's head and the single document (the shard objects, their index and the
    // state's parts are counted apart).
    const puts = env.sim.calls.log.filter((c) => c.key === "s3:PutObject" && !/\.shards\/|\.index\.json$|\.parts\//.test(c.path ?? ""));
    const documentWrites = results.filter((r) => r.summary.documentWritten).length;
    expect(documentWrites).toBeLessThanOrEqual(10);
    // One state and at most one document write per batch succeed; a race costs a 412 and a retry.
    expect(puts.filter((c) => c.status === 200).length).toBeLessThanOrEqual(2 * results.length);
    const reads = env.sim.calls.log.filter((c) => c.readOnly).length;
    const taskEvents = [...events, ...late].filter((e) => (e as { source: string }).source === "aws.ecs").length;
    expect(reads / taskEvents).toBeLessThanOrEqual(0.1);
    // Byte for byte: what the events built equals a full discovery of the final account.
    const final = await published(env);
    expect(final.text).toBe(await fullReconcileBytes(env));
    const safetyNet = await reconcile(deps);
    expect(safetyNet.drift).toBe(0);
    // The targets stay byte for byte; only the single document catches up with the events
    // (PUBLISH_SINGLE_DOCUMENT=full-reconcile: the batches published the shards alone).
    expect(safetyNet.sha256).toBe(final.sha256);
    emitter.close();
  });

  it("two invocations on overlapping batches in parallel lose no update", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 10, tasksPerService: 2, namespaces: 1, clusters: 1 }) });
    const deps = depsOf(env);
    await reconcile(deps);
    const emitter = new EventBridgeEmitter(env.sim.state, { seed: "overlap" });
    for (const svc of env.sim.scenario.services) env.sim.state.deployService(svc.cluster, svc.name, 3);
    const events = routed(emitter.drain());
    const mid = Math.floor(events.length / 2);
    const a = events.slice(0, mid + 40);
    const b = events.slice(mid - 40);
    await Promise.all([deliver(deps, a), deliver(depsOf(env), b)]);
    const final = await published(env);
    expect(final.text).toBe(await fullReconcileBytes(env));
    expect(final.document.every((g) => g.labels.taskdefinition?.endsWith(":3"))).toBe(true);
    emitter.close();
  });
});

describe("bad input", () => {
  it("a malformed event is reported and skipped, never fails the batch", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 2, tasksPerService: 1 }) });
    const deps = depsOf(env);
    await reconcile(deps);
    const emitter = new EventBridgeEmitter(env.sim.state);
    env.sim.state.startTask(env.sim.scenario.services[0]!.cluster, env.sim.scenario.services[0]!.name);
    const good = routed(emitter.drain());
    const firstEcs = good.find((e) => (e as { source: string }).source === "aws.ecs") as object;
    const broken = { ...firstEcs, detail: { lastStatus: "RUNNING" } };
    const r = await handleInput(deps, sqsBatch(["{not json", broken, { hello: "world" }, ...good]));
    if (r.kind !== "batch") throw new Error(r.kind);
    expect(r.response.batchItemFailures).toEqual([]);
    expect(r.malformed).toBe(3);
    expect(r.summary.outcomes.applied).toBeGreaterThan(0);
    expect(logs.records.filter((l) => l.level === "WARN").map((l) => l.reason)).toEqual([
      expect.stringMatching(/^SQS message msg-\d+ is not JSON/),
      expect.stringMatching(/is not a valid ECS task state change: detail\.taskArn/),
      expect.stringMatching(/unsupported event/),
    ]);
    expect((await published(env)).document).toHaveLength(3);
    emitter.close();
  });

  it("an event whose AWS read fails is a partial batch failure; the others apply", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 3, tasksPerService: 1, clusters: 1 }) });
    const deps = depsOf(env);
    const emitter = new EventBridgeEmitter(env.sim.state);
    const svc = env.sim.scenario.services[0]!;
    env.sim.state.startTask(svc.cluster, svc.name);
    const events = routed(emitter.drain());
    // No full reconcile yet: the ECS service -> Cloud Map lookup needs DescribeServices, which is denied.
    env.sim.setFaults({ deny: { "ecs:DescribeServices": "AccessDeniedException" } });
    const r = await handleInput({ ...deps, clients: env.clientsWith({ maxAttempts: 1 }) }, sqsBatch(events));
    if (r.kind !== "batch") throw new Error(r.kind);
    expect(r.response.batchItemFailures.length).toBe(events.filter((e) => (e as { source: string }).source === "aws.ecs").length);
    emitter.close();
  });
});
