// __meta_ecs_ec2_instance_type through the real SDK against the simulator: the full
// reconcile reads the container instances of the EC2 tasks it discovers (once: a second
// reconcile reads none), the event path reads a new one in its lookup, and both publish the
// type EC2's DescribeInstances reports, byte for byte the same document; a failed read
// leaves the label out and fails nothing; an entry cached before the type was kept is read
// once more.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { ReconcilerState, TargetDocument } from "@scrape-reconciler/core";
import { EventBridgeEmitter, type ScenarioInput } from "@scrape-reconciler/sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chunks, deliver, routed } from "../../../test/support/events";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { reconcile, type HandleDeps } from "../src";
import { captureLogs, fullReconcileBytes, published, storedState } from "./support";

const scenario: ScenarioInput = {
  seed: "instance-type",
  namespaces: [{ name: "internal.local", type: "DNS_PRIVATE" }],
  clusters: [{ name: "web" }, { name: "legacy", containerInstances: 2 }],
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
      desiredCount: 2,
    },
    {
      cluster: "legacy",
      name: "agent",
      namespace: "internal.local",
      tags: { METRICS_PORT: "9100" },
      launchType: "EC2",
      networkMode: "host",
      taskDefinition: { family: "agent", revision: 1, containers: [{ name: "agent", ports: [9100] }] },
      desiredCount: 2,
    },
  ],
};

const TYPES = ["c6g.xlarge", "r5.2xlarge", "t3.medium"];

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

/** A simulator whose EC2 instances report distinct types (not the simulator's default). */
async function start(input: ScenarioInput = scenario): Promise<SimEnv> {
  env = await startSimEnv({ scenario: input });
  let i = 0;
  for (const ec2 of env.sim.state.ecs.ec2Instances.values()) ec2.instanceType = TYPES[i++ % TYPES.length]!;
  return env;
}

const depsOf = (e: SimEnv, clients = e.clients): HandleDeps => ({ clients, config: e.config, now: () => new Date(), logger: logs.logger });
const ciCalls = (e: SimEnv) => ({
  describeContainerInstances: e.sim.calls.get("ecs:DescribeContainerInstances"),
  describeInstances: e.sim.calls.get("ec2:DescribeInstances"),
});
const NONE = { describeContainerInstances: 0, describeInstances: 0 };

/** Every target's instance type as EC2 reports it for the instance behind its __meta_ecs_ec2_instance_id (undefined: not on EC2). */
function typesFromEc2(e: SimEnv, doc: TargetDocument): Record<string, string | undefined> {
  return Object.fromEntries(
    doc.map((g) => {
      const id = g.labels.__meta_ecs_ec2_instance_id;
      return [g.targets[0]!, id ? e.sim.state.ecs.ec2Instances.get(id)!.instanceType : undefined];
    }),
  );
}
const typesPublished = (doc: TargetDocument) => Object.fromEntries(doc.map((g) => [g.targets[0]!, g.labels.__meta_ecs_ec2_instance_type]));
const withoutType = (doc: TargetDocument) =>
  doc.map((g) => {
    const { __meta_ecs_ec2_instance_type: _, ...labels } = g.labels;
    return { ...g, labels };
  });

describe("the full reconcile", () => {
  it("bridge and host tasks carry their EC2 instance's type, Fargate tasks none; a second reconcile reads no container instance", async () => {
    const e = await start();
    e.sim.calls.reset();
    const s = await reconcile(depsOf(e));
    expect(s.written).toBe(true);
    expect(s.containerInstances).toEqual({ read: 2, failed: 0, calls: 2, errors: [] });
    expect(ciCalls(e)).toEqual({ describeContainerInstances: 1, describeInstances: 1 });
    const doc = (await published(e))!.document;
    expect(doc).toHaveLength(6);
    const types = typesPublished(doc);
    expect(types).toEqual(typesFromEc2(e, doc));
    const byMode = (mode: string) => doc.filter((g) => g.labels.__meta_ecs_network_mode === mode).map((g) => types[g.targets[0]!]);
    expect(byMode("bridge")).toHaveLength(2);
    expect(byMode("host")).toHaveLength(2);
    for (const t of [...byMode("bridge"), ...byMode("host")]) expect(TYPES).toContain(t);
    expect(byMode("awsvpc")).toEqual([undefined, undefined]);
    const cached = Object.values((await storedState(e)).containerInstances);
    expect(cached.map((c) => c.instanceType).sort()).toEqual(TYPES.slice(0, 2).sort());

    e.sim.calls.reset();
    const again = await reconcile(depsOf(e));
    expect(ciCalls(e)).toEqual(NONE);
    expect(again.containerInstances).toEqual({ read: 0, failed: 0, calls: 0, errors: [] });
    expect(again.written).toBe(false);
    expect(again.drift).toBe(0);
  });

  it.each(["ec2:DescribeInstances", "ecs:DescribeContainerInstances"])(
    "a failed %s: the reconcile succeeds and publishes every target, without the label; the next one adds it",
    async (operation) => {
      const e = await start();
      const reference = await fullReconcileBytes(e);
      e.sim.setFaults({ deny: { [operation]: "AccessDeniedException" } });
      const s = await reconcile(depsOf(e, e.clientsWith({ maxAttempts: 1 })));
      expect(s.written).toBe(true);
      expect(s.failed).toEqual([]);
      expect(s.complete).toBe(true);
      expect(s.containerInstances).toMatchObject({ read: 0, failed: 2 });
      expect(s.containerInstances.errors).toEqual([expect.stringMatching(new RegExp(`^${operation}: (AccessDenied|UnauthorizedOperation)`))]);
      const degraded = (await published(e))!;
      expect(Object.values(typesPublished(degraded.document)).filter((t) => t !== undefined)).toEqual([]);
      // Nothing else differs from what a reconcile that could read them publishes.
      expect(withoutType(degraded.document)).toEqual(withoutType(JSON.parse(reference)));
      expect((await storedState(e)).containerInstances).toEqual({});

      e.sim.setFaults(null);
      e.sim.calls.reset();
      const next = await reconcile(depsOf(e));
      expect(next.written).toBe(true);
      expect(next.targets).toBe(s.targets);
      expect(ciCalls(e)).toEqual({ describeContainerInstances: 1, describeInstances: 1 });
      expect((await published(e))!.text).toBe(reference);
    },
  );

  it("an entry cached before the type was kept is read once more (DescribeInstances only), then never again", async () => {
    const e = await start();
    await reconcile(depsOf(e));
    const full = (await published(e))!.text;
    // The state as an earlier version wrote it: container instances without their type.
    const old: ReconcilerState = await storedState(e);
    for (const ci of Object.values(old.containerInstances)) delete ci.instanceType;
    await e.clients.s3.send(new PutObjectCommand({ Bucket: e.config.bucket, Key: e.config.stateKey, Body: JSON.stringify(old) }));
    e.sim.calls.reset();
    const s = await reconcile(depsOf(e));
    expect(ciCalls(e)).toEqual({ describeContainerInstances: 0, describeInstances: 1 });
    expect(s.stateWritten).toBe(true);
    expect((await published(e))!.text).toBe(full);
    expect(Object.values((await storedState(e)).containerInstances).every((c) => TYPES.includes(c.instanceType!))).toBe(true);
    e.sim.calls.reset();
    await reconcile(depsOf(e));
    expect(ciCalls(e)).toEqual(NONE);
  });
});

describe("the event path", () => {
  it("tasks placed on a new container instance get its type from the event's lookup (once), byte for byte what a full reconcile from scratch publishes", async () => {
    const e = await start();
    const deps = depsOf(e);
    await reconcile(deps);
    // A third container instance joins the cluster; the scale-out places tasks round-robin, on it too.
    const added = e.sim.state.ecs.addContainerInstance("legacy");
    e.sim.state.ecs.ec2Instances.get(added.ec2InstanceId)!.instanceType = "m7g.medium";
    const emitter = new EventBridgeEmitter(e.sim.state, { duplicateRate: 0.2, shuffle: true, seed: "new-instance" });
    e.sim.state.setDesiredCount("legacy", "billing", 5);
    e.sim.state.setDesiredCount("legacy", "agent", 3);
    e.sim.calls.reset();
    const events = routed(emitter.drain());
    for (const batch of chunks(events, Math.ceil(events.length / 3))) expect((await deliver(deps, batch)).response.batchItemFailures).toEqual([]);
    // Only the new container instance is read, in the first batch that needed it.
    expect(ciCalls(e)).toEqual({ describeContainerInstances: 1, describeInstances: 1 });
    const doc = (await published(e))!;
    const onNew = doc.document.filter((g) => g.labels.__meta_ecs_ec2_instance_id === added.ec2InstanceId);
    expect(onNew.length).toBeGreaterThanOrEqual(2);
    expect(new Set(onNew.map((g) => g.labels.__meta_ecs_network_mode))).toEqual(new Set(["bridge", "host"]));
    expect(onNew.every((g) => g.labels.__meta_ecs_ec2_instance_type === "m7g.medium")).toBe(true);
    expect(typesPublished(doc.document)).toEqual(typesFromEc2(e, doc.document));
    expect(doc.text).toBe(await fullReconcileBytes(e));

    // More tasks on known container instances: no read. The safety net then finds nothing to change, nor to read.
    e.sim.state.setDesiredCount("legacy", "billing", 6);
    e.sim.calls.reset();
    await deliver(deps, routed(emitter.drain()));
    expect(ciCalls(e)).toEqual(NONE);
    const published0 = (await published(e))!;
    const safetyNet = await reconcile(deps);
    expect(ciCalls(e)).toEqual(NONE);
    expect(safetyNet.drift).toBe(0);
    // The targets stay byte for byte; only the single document catches up with the events
    // (PUBLISH_SINGLE_DOCUMENT=full-reconcile: the batches published the shards alone).
    expect(safetyNet.sha256).toBe(published0.sha256);
    emitter.close();
  });
});
