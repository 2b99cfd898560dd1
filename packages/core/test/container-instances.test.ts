// The container-instance cache and __meta_ecs_ec2_instance_type: the document builder takes
// the instance type from the state's cache, the same for a task applied by an event, one
// merged from a full discovery and the audit's fresh discovery; an entry cached before the
// type was kept gives no label and is read again once; which container instances a full
// reconcile reads.
import { describe, expect, it } from "vitest";
import {
  applyBatchToState,
  applyEvent,
  buildDocument,
  containerInstancesToResolve,
  emptyLookups,
  emptyState,
  mergeDiscovery,
  recordContainerInstances,
  serializeDocument,
  toDiscovery,
  withContainerInstances,
  type Discovery,
  type ReconcilerState,
} from "../src";
import { instance, service, task } from "./fixtures";

const T0 = new Date("2026-11-25T10:00:00Z");
const CI = "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/0f1e";
const CI2 = "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/9a8b";
const TYPED = { ip: "10.0.9.9", ec2InstanceId: "i-0123456789abcdef0", instanceType: "c6g.large" };
const bindings = [{ containerPort: 8080, hostPort: 32768, protocol: "tcp", containerName: "web" }];
const onEc2 = (id: string, ci = CI, networkMode = "bridge") =>
  task(id, {
    launchType: "EC2",
    networkMode,
    taskIp: undefined,
    containerInstanceArn: ci,
    group: "service:web",
    bindings,
    version: 2,
    // One task definition per network mode.
    ...(networkMode === "host" ? { taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web-host:1", family: "web-host", revision: 1 } : {}),
  });

function discoveryOf(tasks: ReturnType<typeof task>[]): Discovery {
  const instances = tasks.map((t) => instance(t.taskId, "10.0.9.9"));
  const svc = service("web", { METRICS_PORT: "8080" }, instances, Object.fromEntries(tasks.map((t) => [t.taskId, t])));
  return { services: [svc], failed: [], servicesSeen: 1, namespacesSeen: 1 };
}

const typeOf = (s: ReconcilerState) => buildDocument(toDiscovery(s), undefined).document.map((g) => g.labels.__meta_ecs_ec2_instance_type);

describe("__meta_ecs_ec2_instance_type from the state's container-instance cache", () => {
  it("a task merged from a full discovery gets its container instance's type once the cache knows it", () => {
    const s = mergeDiscovery(emptyState(T0), discoveryOf([onEc2("bbb")]), T0, T0);
    expect(typeOf(s)).toEqual([undefined]);
    recordContainerInstances(s, { [CI]: TYPED });
    expect(typeOf(s)).toEqual(["c6g.large"]);
    // Never stored with the task: the builder takes it from the cache.
    expect(s.tasks.bbb!.facts.ec2InstanceType).toBeUndefined();
  });

  it("a bridge and a host task applied by events get the same bytes as the full reconcile of the same facts", () => {
    const host = onEc2("hhh", CI2, "host");
    const full = mergeDiscovery(emptyState(T0), discoveryOf([onEc2("bbb"), host]), T0, T0);
    recordContainerInstances(full, { [CI]: TYPED, [CI2]: { ip: "10.0.9.10", ec2InstanceId: "i-0fedcba9876543210", instanceType: "m5.large" } });
    // The event path: the service's registry known, the tasks from their events, the container instances from the lookups.
    const s = mergeDiscovery(emptyState(T0), discoveryOf([]), T0, T0);
    s.registries["prod/web"] = ["srv-web"];
    s.taskDefinitions[onEc2("bbb").taskDefinitionArn] = "bridge";
    s.taskDefinitions[host.taskDefinitionArn] = "host";
    const lookups = emptyLookups(T0);
    lookups.containerInstances = { [CI]: TYPED, [CI2]: { ip: "10.0.9.10", ec2InstanceId: "i-0fedcba9876543210", instanceType: "m5.large" } };
    const events = [onEc2("bbb"), host].map((f, i) => ({ kind: "task" as const, eventId: `e${i}`, time: "2026-11-25T10:01:00Z", facts: { ...f, version: 2 } }));
    expect(applyBatchToState(s, lookups, events, T0)).toEqual({ applied: 2 });
    // The Cloud Map attributes the full discovery reads: the ECS-registered host IP.
    for (const id of ["bbb", "hhh"]) full.services["srv-web"]!.instances[id] = s.services["srv-web"]!.instances[id]!;
    const doc = buildDocument(toDiscovery(s), undefined).document;
    expect(Object.fromEntries(doc.map((g) => [g.labels.taskid, g.labels.__meta_ecs_ec2_instance_type]))).toEqual({ bbb: "c6g.large", hhh: "m5.large" });
    expect(serializeDocument(doc)).toBe(serializeDocument(buildDocument(toDiscovery(full), undefined).document));
  });

  it("an entry cached before the type was kept gives no label and does not hold up an event", () => {
    const s = mergeDiscovery(emptyState(T0), discoveryOf([]), T0, T0);
    s.registries["prod/web"] = ["srv-web"];
    s.containerInstances[CI] = { ip: "10.0.9.9", ec2InstanceId: "i-0123456789abcdef0" };
    s.taskDefinitions[onEc2("bbb").taskDefinitionArn] = "bridge";
    expect(applyEvent(s, { kind: "task", eventId: "e", time: "2026-11-25T10:01:00Z", facts: { ...onEc2("bbb"), version: 2 } })).toBe("applied");
    const g = buildDocument(toDiscovery(s), undefined).document[0]!;
    expect(g.targets).toEqual(["10.0.9.9:32768"]);
    expect(g.labels.__meta_ecs_ec2_instance_id).toBe("i-0123456789abcdef0");
    expect(g.labels.__meta_ecs_ec2_instance_type).toBeUndefined();
  });

  it('an instance type EC2 did not report ("") is no label', () => {
    const s = mergeDiscovery(emptyState(T0), discoveryOf([onEc2("bbb")]), T0, T0);
    recordContainerInstances(s, { [CI]: { ...TYPED, instanceType: "" } });
    expect(typeOf(s)).toEqual([undefined]);
  });

  it("the audit's fresh discovery takes the type from the state's cache too (withContainerInstances)", () => {
    const d = discoveryOf([onEc2("bbb"), task("aaa")]);
    const s = mergeDiscovery(emptyState(T0), d, T0, T0);
    recordContainerInstances(s, { [CI]: TYPED });
    const expected = buildDocument(withContainerInstances(d, s.containerInstances), undefined).document;
    expect(serializeDocument(expected)).toBe(serializeDocument(buildDocument(toDiscovery(s), undefined).document));
    expect(Object.fromEntries(expected.map((g) => [g.labels.taskid, g.labels.__meta_ecs_ec2_instance_type]))).toEqual({ aaa: undefined, bbb: "c6g.large" });
    // The discovery itself is left as it was.
    expect(d.services[0]!.tasks.bbb!.ec2InstanceType).toBeUndefined();
  });
});

describe("the container instances a full reconcile reads", () => {
  it("those of EC2 tasks the cache does not know, each once, sorted; an entry without its type by its EC2 instance id; never Fargate or ECS Anywhere", () => {
    const CI3 = "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/0000";
    const d = discoveryOf([
      onEc2("b1"),
      onEc2("b2"), // same container instance
      onEc2("b3", CI2),
      onEc2("b4", CI3),
      task("f1"), // Fargate
      { ...onEc2("x1", "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ext"), launchType: "EXTERNAL" },
    ]);
    const s = emptyState(T0);
    s.containerInstances[CI2] = { ip: "10.0.9.10", ec2InstanceId: "i-0fedcba9876543210" }; // cached before the type was kept
    s.containerInstances[CI3] = { ip: "10.0.9.11", ec2InstanceId: "i-0aaaaaaaaaaaaaaaa", instanceType: "t3.micro" };
    const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";
    expect(containerInstancesToResolve(s, d)).toEqual([
      { cluster, arn: CI },
      { cluster, arn: CI2, ec2InstanceId: "i-0fedcba9876543210" },
    ]);
    // Once read (type "" included), never again.
    recordContainerInstances(s, { [CI]: TYPED, [CI2]: { ip: "10.0.9.10", ec2InstanceId: "i-0fedcba9876543210", instanceType: "" } });
    expect(containerInstancesToResolve(s, d)).toEqual([]);
  });
});
