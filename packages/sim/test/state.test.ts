// The state API: task lifecycles and their Cloud Map registrations, placement,
// deployments, scaling, tags, change listeners and determinism.
import { DescribeServicesCommand, DescribeTasksCommand } from "@aws-sdk/client-ecs";
import { ListInstancesCommand, ListTagsForResourceCommand } from "@aws-sdk/client-servicediscovery";
import { describe, expect, it } from "vitest";
import { SimError, TASK_STATUSES, seedState, parseScenario, type CloudMapChange, type TaskChange } from "../src/index";
import { SMALL, useSimulator } from "./helpers";

const env = useSimulator();

const registered = (cluster: string, service: string) => [...env.sim.state.cloudMapServiceFor(cluster, service).instances.keys()];
const idOf = (arn: string) => arn.split("/").pop()!;

describe("task lifecycle", () => {
  it("startTask walks PROVISIONING → RUNNING, one change per step, registering in Cloud Map at ACTIVATING", async () => {
    const changes: { status: string; version: number; inCloudMap: boolean; task: TaskChange["task"] }[] = [];
    const off = env.sim.state.onChange((ch) =>
      changes.push({ status: ch.lastStatus, version: ch.version, inCloudMap: registered("web", "frontend").includes(ch.taskId), task: ch.task }),
    );
    const task = env.sim.state.startTask("web", "frontend");
    off();
    expect(changes.map((x) => [x.status, x.version, x.inCloudMap])).toEqual([
      ["PROVISIONING", 1, false],
      ["PENDING", 2, false],
      ["ACTIVATING", 3, true],
      ["RUNNING", 4, true],
    ]);
    expect(changes[3]!.task).toMatchObject({ taskArn: task.taskArn, lastStatus: "RUNNING", version: 4, group: "service:frontend" });
    expect(changes[0]!.task.containers![0]!.lastStatus).toBe("PENDING");
    const described = (await env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: [task.taskArn!] }))).tasks![0]!;
    expect(described.version).toBe(4);
    const d = await env.c.sd.send(new ListInstancesCommand({ ServiceId: env.sim.state.cloudMapServiceFor("web", "frontend").id }));
    expect(d.Instances!.map((i) => i.Id)).toContain(idOf(task.taskArn!));
  });

  it("stopTask deregisters at DEACTIVATING and keeps the STOPPED task describable", async () => {
    const task = env.sim.state.startTask("web", "frontend");
    const statuses: string[] = [];
    const off = env.sim.state.onChange((ch) => {
      statuses.push(`${ch.previousStatus}>${ch.lastStatus}:${ch.version}:${registered("web", "frontend").includes(ch.taskId)}`);
    });
    const stopped = env.sim.state.stopTask(task.taskArn!);
    off();
    expect(statuses).toEqual([
      "RUNNING>DEACTIVATING:5:false",
      "DEACTIVATING>STOPPING:6:false",
      "STOPPING>DEPROVISIONING:7:false",
      "DEPROVISIONING>STOPPED:8:false",
    ]);
    expect(stopped).toMatchObject({ lastStatus: "STOPPED", desiredStatus: "STOPPED", stopCode: "ServiceSchedulerInitiated" });
    expect(stopped.stoppedAt).toBeInstanceOf(Date);
    expect(stopped.attachments![0]!.status).toBe("DELETED");
    expect(env.sim.state.tasks({ cluster: "web", desiredStatus: "STOPPED" }).map((t) => t.taskArn)).toContain(task.taskArn);
    expect(env.sim.state.tasks({ cluster: "web", desiredStatus: "RUNNING" }).map((t) => t.taskArn)).not.toContain(task.taskArn);
    expect((await env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: [task.taskArn!] }))).tasks![0]!.lastStatus).toBe("STOPPED");
  });

  it("setTaskStatus moves forward only; skipping ACTIVATING still registers, skipping to STOPPED deregisters", () => {
    const task = env.sim.state.startTask("web", "frontend", { until: "PROVISIONING" });
    expect(task.version).toBe(1);
    expect(registered("web", "frontend")).not.toContain(idOf(task.taskArn!));
    const running = env.sim.state.setTaskStatus(task.taskArn!, "RUNNING");
    expect(running.version).toBe(2);
    expect(registered("web", "frontend")).toContain(idOf(task.taskArn!));
    expect(() => env.sim.state.setTaskStatus(task.taskArn!, "PENDING")).toThrow(SimError);
    expect(env.sim.state.setTaskStatus(task.taskArn!, "RUNNING").version).toBe(2);
    env.sim.state.setTaskStatus(task.taskArn!, "STOPPED");
    expect(registered("web", "frontend")).not.toContain(idOf(task.taskArn!));
    expect(env.sim.state.task(task.taskArn!).version).toBe(3);
    expect(TASK_STATUSES).toHaveLength(8);
  });
});

describe("placement", () => {
  it("host-mode tasks need a free host port: a full cluster refuses, a stopped task frees its port", () => {
    const running = env.sim.state.tasks({ cluster: "legacy", service: "haproxy", status: "RUNNING" });
    expect(running).toHaveLength(2);
    expect(() => env.sim.state.startTask("legacy", "haproxy")).toThrow(/host ports in use/);
    env.sim.state.stopTask(running[0]!.taskArn!);
    const again = env.sim.state.startTask("legacy", "haproxy");
    expect(again.containerInstanceArn).toBe(running[0]!.containerInstanceArn);
    expect(again.containers![0]!.networkBindings![0]!.hostPort).toBe(8404);
  });
});

describe("service helpers", () => {
  it("deployService starts the new revision, stops the old tasks, and Cloud Map follows", async () => {
    const before = env.sim.state.tasks({ cluster: "web", service: "worker", status: "RUNNING" });
    expect(before).toHaveLength(1);
    const changes: TaskChange[] = [];
    const off = env.sim.state.onChange((ch) => changes.push(ch));
    const r = env.sim.state.deployService("web", "worker", 2);
    off();
    expect(r.taskDefinitionArn).toBe("arn:aws:ecs:us-east-1:123456789012:task-definition/worker:2");
    expect(r.started.map((t) => t.taskDefinitionArn)).toEqual([r.taskDefinitionArn]);
    expect(r.stopped.map((t) => [t.taskArn, t.lastStatus])).toEqual([[before[0]!.taskArn, "STOPPED"]]);
    expect(changes.filter((ch) => ch.taskId === idOf(before[0]!.taskArn!)).map((ch) => ch.lastStatus)).toEqual([
      "DEACTIVATING",
      "STOPPING",
      "DEPROVISIONING",
      "STOPPED",
    ]);
    expect(registered("web", "worker")).toEqual([idOf(r.started[0]!.taskArn!)]);
    const svc = (await env.c.ecs.send(new DescribeServicesCommand({ cluster: "web", services: ["worker"] }))).services![0]!;
    expect(svc.taskDefinition).toBe(r.taskDefinitionArn);
    expect(svc.runningCount).toBe(1);
  });

  it("setDesiredCount scales up and down", () => {
    const up = env.sim.state.setDesiredCount("web", "untagged", 3);
    expect(up.started).toHaveLength(2);
    expect(registered("web", "untagged")).toHaveLength(3);
    const down = env.sim.state.setDesiredCount("web", "untagged", 1);
    expect(down.stopped).toHaveLength(2);
    expect(registered("web", "untagged")).toHaveLength(1);
  });

  it("setServiceTags replaces the Cloud Map service's tags (merge on request)", async () => {
    const arn = env.sim.state.cloudMapServiceFor("web", "untagged").arn;
    const tags = async () => Object.fromEntries((await env.c.sd.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags!.map((t) => [t.Key, t.Value]));
    env.sim.state.setServiceTags("web", "untagged", { METRICS_PORT: "8080" });
    expect(await tags()).toEqual({ METRICS_PORT: "8080" });
    env.sim.state.setServiceTags("web", "untagged", { METRICS_PATH: "/m" }, { replace: false });
    expect(await tags()).toEqual({ METRICS_PORT: "8080", METRICS_PATH: "/m" });
    env.sim.state.setServiceTags("web", "untagged", {});
    expect(await tags()).toEqual({});
  });

  it("onCloudMapChange reports registry mutations, from the API and from ECS", () => {
    const seen: CloudMapChange[] = [];
    const off = env.sim.state.onCloudMapChange((ch) => seen.push(ch));
    const cm = env.sim.state.cloudMapServiceFor("web", "frontend");
    env.sim.state.registerInstance(cm.id, "manual", { AWS_INSTANCE_IPV4: "10.9.0.1" });
    env.sim.state.deregisterInstance(cm.id, "manual");
    env.sim.state.startTask("web", "frontend");
    off();
    expect(seen.map((s) => [s.action, s.serviceId])).toEqual([
      ["RegisterInstance", cm.id],
      ["DeregisterInstance", cm.id],
      ["RegisterInstance", cm.id],
    ]);
  });
});

describe("determinism", () => {
  it("the same scenario and seed give the same ids, addresses and timestamps; another seed differs", () => {
    const snapshot = (seed: string) => {
      const state = seedState(parseScenario({ ...SMALL, seed }));
      return state
        .tasks()
        .map((t) => [t.taskArn, t.attachments?.[0]?.details?.find((d) => d.name === "privateIPv4Address")?.value, t.createdAt?.toISOString()]);
    };
    expect(snapshot("one")).toEqual(snapshot("one"));
    expect(snapshot("one")).not.toEqual(snapshot("two"));
    const ips = snapshot("one")
      .map((x) => x[1])
      .filter(Boolean);
    expect(new Set(ips).size).toBe(ips.length);
  });
});
