// ECS reads (DescribeServices, DescribeTasks, DescribeTaskDefinition,
// DescribeContainerInstances) in the API reference's shapes, and the EC2 hosts behind them.
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { ListInstancesCommand } from "@aws-sdk/client-servicediscovery";
import { describe, expect, it } from "vitest";
import { failure, useSimulator } from "./helpers";

const env = useSimulator();

/** The service's running tasks, described through the API. */
async function tasksOf(cluster: string, service: string): Promise<Task[]> {
  const arns = env.sim.state.tasks({ cluster, service, desiredStatus: "RUNNING" }).map((t) => t.taskArn!);
  return (await env.c.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks!;
}

describe("services", () => {
  it("describes services with the Cloud Map registry ARN; more than 10 is InvalidParameterException", async () => {
    const d = await env.c.ecs.send(new DescribeServicesCommand({ cluster: "legacy", services: ["billing", "haproxy", "ghost"] }));
    expect(d.services!.map((s) => s.serviceName)).toEqual(["billing", "haproxy"]);
    const billing = d.services![0]!;
    const cloudMap = env.sim.state.cloudMapServiceFor("legacy", "billing");
    expect(billing.serviceRegistries).toEqual([{ registryArn: cloudMap.arn, containerName: "billing", containerPort: 8080 }]);
    expect(billing).toMatchObject({ launchType: "EC2", desiredCount: 3, runningCount: 3, pendingCount: 0, status: "ACTIVE" });
    expect(billing.taskDefinition).toBe("arn:aws:ecs:us-east-1:123456789012:task-definition/billing:7");
    expect(billing.createdAt).toBeInstanceOf(Date);
    expect(d.failures).toEqual([{ arn: "arn:aws:ecs:us-east-1:123456789012:service/legacy/ghost", reason: "MISSING" }]);
    const byArn = await env.c.ecs.send(new DescribeServicesCommand({ cluster: "legacy", services: [billing.serviceArn!] }));
    expect(byArn.services!.map((s) => s.serviceName)).toEqual(["billing"]);
    const eleven = Array.from({ length: 11 }, (_, i) => `s${i}`);
    expect((await failure(env.c.ecs.send(new DescribeServicesCommand({ cluster: "legacy", services: eleven })))).name).toBe("InvalidParameterException");
    expect((await failure(env.c.ecs.send(new DescribeServicesCommand({ cluster: "ghost", services: ["x"] })))).name).toBe("ClusterNotFoundException");
  });
});

describe("tasks", () => {
  it("describes a Fargate awsvpc task as the API does (ENI attachment, container network interfaces)", async () => {
    const [t] = await tasksOf("web", "frontend");
    const ip = t!.attachments![0]!.details!.find((d) => d.name === "privateIPv4Address")!.value;
    expect(t).toMatchObject({
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      healthStatus: "HEALTHY",
      launchType: "FARGATE",
      group: "service:frontend",
      version: 4,
      taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/frontend:3",
      attachments: [{ type: "ElasticNetworkInterface", status: "ATTACHED" }],
      containers: [{ name: "app", lastStatus: "RUNNING", networkBindings: [], networkInterfaces: [{ privateIpv4Address: ip }] }],
    });
    expect(t!.taskArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/web\/[0-9a-f]{32}$/);
    expect(t!.startedAt).toBeInstanceOf(Date);
    expect(t!.containerInstanceArn).toBeUndefined();
    expect(ip).toMatch(/^10\.0\.\d+\.\d+$/);
  });

  it("bridge tasks bind ephemeral host ports on their container instance; host tasks bind the container port", async () => {
    const bridge = await tasksOf("legacy", "billing");
    expect(bridge).toHaveLength(3);
    const bindings = bridge.flatMap((t) => t.containers![0]!.networkBindings!);
    expect(bindings.map((b) => b.containerPort)).toEqual([8080, 8081, 8080, 8081, 8080, 8081]);
    for (const b of bindings) expect(b.hostPort).toBeGreaterThanOrEqual(32768);
    for (const t of bridge) {
      expect(t.containerInstanceArn).toMatch(/container-instance\/legacy\/[0-9a-f]{32}$/);
      expect(t.attachments).toEqual([]);
    }
    const perInstance = new Map<string, number[]>();
    for (const t of bridge)
      perInstance.set(t.containerInstanceArn!, [
        ...(perInstance.get(t.containerInstanceArn!) ?? []),
        ...t.containers![0]!.networkBindings!.map((b) => b.hostPort!),
      ]);
    for (const ports of perInstance.values()) expect(new Set(ports).size).toBe(ports.length);
    const host = await tasksOf("legacy", "haproxy");
    expect(host.map((t) => t.containers![0]!.networkBindings)).toEqual([
      [{ bindIP: "0.0.0.0", containerPort: 8404, hostPort: 8404, protocol: "tcp" }],
      [{ bindIP: "0.0.0.0", containerPort: 8404, hostPort: 8404, protocol: "tcp" }],
    ]);
    expect(new Set(host.map((t) => t.containerInstanceArn)).size).toBe(2);
  });

  it("the Cloud Map registration of a bridge task carries the container instance's IP and host port", async () => {
    const [t] = await tasksOf("legacy", "billing");
    const id = t!.taskArn!.split("/").pop()!;
    const d = await env.c.sd.send(new ListInstancesCommand({ ServiceId: env.sim.state.cloudMapServiceFor("legacy", "billing").id }));
    const inst = d.Instances!.find((i) => i.Id === id)!;
    expect(inst.Attributes!.AWS_INSTANCE_PORT).toBe(String(t!.containers![0]!.networkBindings![0]!.hostPort));
    const ec2 = await env.c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.Attributes!.EC2_INSTANCE_ID!] }));
    const instance = ec2.Reservations![0]!.Instances![0]!;
    expect(instance.PrivateIpAddress).toBe(inst.Attributes!.AWS_INSTANCE_IPV4);
    expect(instance.State!.Name).toBe("running");
    expect(instance.Placement!.AvailabilityZone).toBe(t!.availabilityZone);
    const cis = await env.c.ecs.send(new DescribeContainerInstancesCommand({ cluster: "legacy", containerInstances: [t!.containerInstanceArn!, "nope"] }));
    expect(cis.containerInstances![0]!.ec2InstanceId).toBe(inst.Attributes!.EC2_INSTANCE_ID);
    expect(cis.failures).toEqual([{ arn: "nope", reason: "MISSING" }]);
  });

  it("DescribeTasks: unknown tasks are MISSING, more than 100 is InvalidParameterException", async () => {
    const [t] = await tasksOf("web", "frontend");
    const id = t!.taskArn!.split("/").pop()!;
    const d = await env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: [id, "0123456789abcdef0123456789abcdef"] }));
    expect(d.tasks!.map((x) => x.taskArn)).toEqual([t!.taskArn]);
    expect(d.failures).toEqual([{ arn: "arn:aws:ecs:us-east-1:123456789012:task/web/0123456789abcdef0123456789abcdef", reason: "MISSING" }]);
    const many = Array.from({ length: 101 }, () => id);
    expect((await failure(env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: many })))).name).toBe("InvalidParameterException");
    expect((await failure(env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: [] })))).name).toBe("InvalidParameterException");
  });
});

describe("task definitions, container instances and EC2", () => {
  it("describes task definitions by family:revision, ARN and family (latest)", async () => {
    const byRev = await env.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "worker:1" }));
    expect(byRev.taskDefinition).toMatchObject({ family: "worker", revision: 1, networkMode: "awsvpc", status: "ACTIVE" });
    expect(byRev.taskDefinition!.containerDefinitions!.map((d) => [d.name, d.portMappings!.map((p) => p.containerPort)])).toEqual([
      ["celery", []],
      ["statsd-exporter", [9102, 9125]],
    ]);
    const byArn = await env.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: byRev.taskDefinition!.taskDefinitionArn! }));
    expect(byArn.taskDefinition!.revision).toBe(1);
    const bridge = await env.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "billing" }));
    expect(bridge.taskDefinition).toMatchObject({ revision: 7, networkMode: "bridge" });
    expect(bridge.taskDefinition!.containerDefinitions![0]!.portMappings![0]).toMatchObject({ containerPort: 8080, hostPort: 0 });
    expect((await failure(env.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "ghost:1" })))).name).toBe("ClientException");
  });

  it("describes container instances and their EC2 hosts", async () => {
    const arns = env.sim.state.ecs.cluster("legacy").containerInstances.map((ci) => ci.arn);
    expect(arns).toHaveLength(2);
    const d = await env.c.ecs.send(new DescribeContainerInstancesCommand({ cluster: "legacy", containerInstances: arns }));
    const ids = d.containerInstances!.map((ci) => ci.ec2InstanceId!);
    expect(d.containerInstances!.map((ci) => ci.runningTasksCount).reduce((a, b) => a! + b!, 0)).toBe(5);
    const ec2 = await env.c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    expect(ec2.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual(ids);
    const err = await failure(env.c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0000000000000000f"] })));
    expect(err.name).toBe("InvalidInstanceID.NotFound");
    const filtered = await env.c.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-id", Values: [ids[1]!] }] }));
    expect(filtered.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual([ids[1]]);
  });
});
