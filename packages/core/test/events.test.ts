import { describe, expect, it } from "vitest";
import {
  applyEvent,
  buildDocument,
  emptyState,
  mergeDiscovery,
  missingLookups,
  serializeDocument,
  toDiscovery,
  type ReconcilerState,
  type TaskEvent,
} from "../src";
import { instance, service, task } from "./fixtures";

const T0 = new Date("2026-11-25T10:00:00Z");

function seeded(): ReconcilerState {
  const web = service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1")], { aaa: task("aaa", { taskIp: "10.0.0.1", version: 3 }) });
  return mergeDiscovery(emptyState(T0), { services: [web], failed: [], servicesSeen: 1, namespacesSeen: 1 }, T0, T0);
}

function ev(id: string, version: number, lastStatus: string, over: Partial<TaskEvent["facts"]> = {}, time = "2026-11-25T10:01:00Z"): TaskEvent {
  return {
    kind: "task",
    eventId: `e-${id}-${version}`,
    time,
    region: "eu-west-1",
    facts: { ...task(id, { taskIp: "10.0.0.9", lastStatus, ...over }), version },
  };
}

const doc = (s: ReconcilerState) => buildDocument(toDiscovery(s), undefined).document;
const ids = (s: ReconcilerState) => doc(s).map((g) => g.labels.taskid);

describe("applying ECS task events", () => {
  it("the full reconcile learns the ECS service -> Cloud Map service lookup from instance attributes", () => {
    expect(seeded().registries).toEqual({ "prod/web": ["srv-web"] });
    expect(missingLookups(seeded(), ev("bbb", 1, "RUNNING"))).toEqual({});
    expect(missingLookups(seeded(), ev("bbb", 1, "RUNNING", { serviceName: "other" }))).toEqual({ registry: { cluster: "prod", service: "other" } });
  });

  it("adds a RUNNING task of a registered service and removes it at the first sign of stopping", () => {
    const s = seeded();
    expect(applyEvent(s, ev("bbb", 5, "RUNNING"))).toBe("applied");
    expect(ids(s)).toEqual(["aaa", "bbb"]);
    expect(applyEvent(s, ev("bbb", 6, "RUNNING", { desiredStatus: "STOPPED" }))).toBe("applied");
    expect(ids(s)).toEqual(["aaa"]);
  });

  it("ignores duplicates and older versions: a stopped task is never resurrected", () => {
    const s = seeded();
    applyEvent(s, ev("bbb", 5, "RUNNING"));
    expect(applyEvent(s, ev("bbb", 8, "STOPPED"))).toBe("applied");
    expect(applyEvent(s, ev("bbb", 5, "RUNNING"))).toBe("stale");
    expect(applyEvent(s, ev("bbb", 8, "STOPPED"))).toBe("duplicate");
    expect(ids(s)).toEqual(["aaa"]);
  });

  it("never drops a running task for a late event", () => {
    const s = seeded();
    expect(applyEvent(s, ev("aaa", 2, "ACTIVATING"))).toBe("stale");
    expect(ids(s)).toEqual(["aaa"]);
  });

  it("needs a lookup for a bridge task's container instance, then uses its IP and the host port", () => {
    const s = seeded();
    const bridge = ev("ccc", 4, "RUNNING", {
      taskIp: undefined,
      networkMode: undefined,
      taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8",
      revision: 8,
      containerInstanceArn: "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ci-1",
      bindings: [{ containerPort: 8080, hostPort: 32801, protocol: "tcp" }],
    });
    expect(applyEvent(s, bridge)).toBe("needs-lookup");
    expect(missingLookups(s, bridge)).toMatchObject({
      containerInstance: { arn: bridge.facts.containerInstanceArn },
      taskDefinition: bridge.facts.taskDefinitionArn,
    });
    s.containerInstances[bridge.facts.containerInstanceArn!] = { ip: "10.1.0.5", ec2InstanceId: "i-0abc" };
    s.taskDefinitions[bridge.facts.taskDefinitionArn] = "bridge";
    expect(applyEvent(s, bridge)).toBe("applied");
    const g = doc(s).find((x) => x.labels.taskid === "ccc")!;
    expect(g.targets).toEqual(["10.1.0.5:32801"]);
    expect(g.labels).toMatchObject({ __meta_ecs_network_mode: "bridge", __meta_ecs_ec2_instance_id: "i-0abc" });
  });

  it("applies Cloud Map register and deregister; a late ECS event does not bring a deregistered instance back", () => {
    const s = seeded();
    applyEvent(s, ev("bbb", 5, "RUNNING"));
    expect(applyEvent(s, { kind: "deregister", eventId: "d", time: "2026-11-25T10:02:00Z", serviceId: "srv-web", instanceId: "bbb" })).toBe("applied");
    expect(ids(s)).toEqual(["aaa"]);
    applyEvent(s, ev("bbb", 6, "RUNNING"));
    expect(ids(s)).toEqual(["aaa"]);
    expect(applyEvent(s, { kind: "register", eventId: "r", time: "2026-11-25T10:03:00Z", serviceId: "srv-nope", instanceId: "x" })).toBe("unknown-service");
  });

  it("events and a full reconcile of the same facts build the same bytes", () => {
    const s = seeded();
    applyEvent(s, ev("bbb", 5, "RUNNING", { taskIp: "10.0.0.2", availabilityZone: "eu-west-1b" }));
    const discovered = service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1"), instance("bbb", "10.0.0.2")], {
      aaa: task("aaa", { taskIp: "10.0.0.1", version: 3 }),
      bbb: task("bbb", { taskIp: "10.0.0.2", version: 5, availabilityZone: "eu-west-1b" }),
    });
    const full = mergeDiscovery(emptyState(T0), { services: [discovered], failed: [], servicesSeen: 1, namespacesSeen: 1 }, T0, T0);
    expect(serializeDocument(doc(s))).toBe(serializeDocument(doc(full)));
  });

  it("a full reconcile keeps what events saw after it started, and newer task versions", () => {
    const s = seeded();
    applyEvent(s, ev("bbb", 5, "RUNNING", {}, "2026-11-25T10:05:00Z"));
    const startedBefore = new Date("2026-11-25T10:04:00Z");
    // The discovery (started before the event) saw only aaa, at an older version.
    const web = service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1")], { aaa: task("aaa", { taskIp: "10.0.0.1", version: 2 }) });
    const merged = mergeDiscovery(s, { services: [web], failed: [], servicesSeen: 1, namespacesSeen: 1 }, startedBefore, new Date("2026-11-25T10:06:00Z"));
    expect(ids(merged)).toEqual(["aaa", "bbb"]);
    expect(merged.tasks.aaa?.version).toBe(3);
  });
});
