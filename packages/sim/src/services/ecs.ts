// Amazon ECS (awsJson1_1, target AmazonEC2ContainerServiceV20141113): clusters,
// services, tasks, task definitions and container instances, read-only, in the shapes
// of the API reference (Describe* answer unknown names in `failures` with MISSING).
import { AwsError } from "../errors";
import { arnTail, deploymentId, uuidFrom } from "../ids";
import type { ClusterRecord, ContainerInstanceRecord, EcsServiceRecord, TaskRecord } from "../model";
import type { SimState } from "../state";
import { defineJsonService, paginate } from "./json";
import type { HandlerContext } from "./types";

const PENDING = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

function taskCounts(cluster: ClusterRecord, service?: string) {
  let running = 0;
  let pending = 0;
  for (const t of cluster.tasks.values()) {
    if (service !== undefined && t.service !== service) continue;
    if (t.task.lastStatus === "RUNNING") running++;
    else if (PENDING.has(t.task.lastStatus!) && t.task.desiredStatus === "RUNNING") pending++;
  }
  return { running, pending };
}

function clusterShape(c: ClusterRecord) {
  const { running, pending } = taskCounts(c);
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: "ACTIVE",
    registeredContainerInstancesCount: c.containerInstances.length,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: c.services.size,
    statistics: [],
    tags: [],
    settings: [{ name: "containerInsights", value: "disabled" }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
}

function serviceShape(state: SimState, c: ClusterRecord, s: EcsServiceRecord) {
  const { running, pending } = taskCounts(c, s.name);
  const registries = [];
  if (s.cloudMapServiceId) {
    const registry: { registryArn: string; containerName?: string; containerPort?: number } = {
      registryArn:
        state.cloudMap.services.get(s.cloudMapServiceId)?.arn ?? `arn:aws:servicediscovery:${state.region}:${state.accountId}:service/${s.cloudMapServiceId}`,
    };
    if (s.networkMode !== "awsvpc") {
      const first = state.ecs.taskDefinition(s.taskDefinitionArn).containerDefinitions?.find((d) => (d.portMappings ?? []).length > 0);
      if (first) {
        registry.containerName = first.name!;
        registry.containerPort = first.portMappings![0]!.containerPort!;
      }
    }
    registries.push(registry);
  }
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: c.arn,
    loadBalancers: [],
    serviceRegistries: registries,
    status: "ACTIVE",
    desiredCount: s.desiredCount,
    runningCount: running,
    pendingCount: pending,
    launchType: s.launchType,
    ...(s.launchType === "FARGATE" ? { platformVersion: "LATEST", platformFamily: "Linux" } : {}),
    taskDefinition: s.taskDefinitionArn,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 },
    deployments: [
      {
        id: deploymentId(s.arn, s.taskDefinitionArn),
        status: "PRIMARY",
        taskDefinition: s.taskDefinitionArn,
        desiredCount: s.desiredCount,
        pendingCount: pending,
        runningCount: running,
        failedTasks: 0,
        createdAt: s.createdAt,
        updatedAt: s.createdAt,
        launchType: s.launchType,
        rolloutState: "COMPLETED",
        rolloutStateReason: "ECS deployment completed.",
      },
    ],
    events: [
      {
        id: uuidFrom(`${s.arn}|${s.taskDefinitionArn}`),
        createdAt: s.createdAt,
        message: `(service ${s.name}) has reached a steady state.`,
      },
    ],
    createdAt: s.createdAt,
    placementConstraints: [],
    placementStrategy: [],
    ...(s.networkMode === "awsvpc"
      ? { networkConfiguration: { awsvpcConfiguration: { subnets: [...state.ecs.subnets], securityGroups: [], assignPublicIp: "DISABLED" } } }
      : {}),
    schedulingStrategy: "REPLICA",
    createdBy: `arn:aws:iam::${state.accountId}:root`,
    enableECSManagedTags: false,
    propagateTags: "NONE",
    enableExecuteCommand: false,
  };
}

function containerInstanceShape(c: ClusterRecord, ci: ContainerInstanceRecord) {
  let running = 0;
  let pending = 0;
  for (const t of c.tasks.values()) {
    if (t.containerInstanceId !== ci.id) continue;
    if (t.task.lastStatus === "RUNNING") running++;
    else if (PENDING.has(t.task.lastStatus!)) pending++;
  }
  const resources = (ports: string[]) => [
    { name: "CPU", type: "INTEGER", integerValue: 2048, doubleValue: 0, longValue: 0 },
    { name: "MEMORY", type: "INTEGER", integerValue: 7680, doubleValue: 0, longValue: 0 },
    { name: "PORTS", type: "STRINGSET", stringSetValue: ports, doubleValue: 0, longValue: 0, integerValue: 0 },
  ];
  return {
    containerInstanceArn: ci.arn,
    ec2InstanceId: ci.ec2InstanceId,
    version: 1,
    versionInfo: { agentVersion: "1.89.0", agentHash: "0b4c2e8a", dockerVersion: "DockerVersion: 25.0.8" },
    remainingResources: resources(["22", "2375", "2376", "51678", "51679", ...[...ci.usedHostPorts].map(String)]),
    registeredResources: resources(["22", "2375", "2376", "51678", "51679"]),
    status: "ACTIVE",
    agentConnected: true,
    runningTasksCount: running,
    pendingTasksCount: pending,
    attributes: [
      { name: "ecs.availability-zone", value: ci.availabilityZone },
      { name: "ecs.instance-type", value: "m5.large" },
      { name: "ecs.os-type", value: "linux" },
    ],
    registeredAt: ci.registeredAt,
    attachments: [],
    tags: [],
  };
}

function tooMany(list: unknown[] | undefined, max: number, field: string): void {
  if ((list?.length ?? 0) > max) throw new AwsError("InvalidParameterException", `${field} can have at most ${max} items.`);
}

const listPage = (ctx: HandlerContext, input: { maxResults?: number; nextToken?: string }, items: string[], dflt = 100) => {
  const { page, nextToken } = paginate(items, input.nextToken, ctx.pageSize(input.maxResults, { max: 100, default: dflt, field: "maxResults" }));
  return { page, nextToken };
};

export const ecs = defineJsonService({
  service: "ecs",
  endpointEnvName: "ECS",
  targetPrefix: "AmazonEC2ContainerServiceV20141113",
  operations: {
    ListClusters(input: { maxResults?: number; nextToken?: string }, ctx) {
      const { page, nextToken } = listPage(
        ctx,
        input,
        [...ctx.state.ecs.clusters.values()].map((c) => c.arn),
      );
      return { clusterArns: page, nextToken };
    },
    DescribeClusters(input: { clusters?: string[] }, ctx) {
      const refs = input.clusters ?? ["default"];
      tooMany(refs, 100, "clusters");
      const clusters = [];
      const failures = [];
      for (const ref of refs) {
        const c = ctx.state.ecs.clusters.get(arnTail(ref));
        if (c) clusters.push(clusterShape(c));
        else failures.push({ arn: ref.startsWith("arn:") ? ref : `arn:aws:ecs:${ctx.state.region}:${ctx.state.accountId}:cluster/${ref}`, reason: "MISSING" });
      }
      return { clusters, failures };
    },
    ListServices(input: { cluster?: string; launchType?: string; maxResults?: number; nextToken?: string }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      const arns = [...c.services.values()].filter((s) => !input.launchType || s.launchType === input.launchType).map((s) => s.arn);
      const { page, nextToken } = listPage(ctx, input, arns, 10);
      return { serviceArns: page, nextToken };
    },
    DescribeServices(input: { cluster?: string; services?: string[] }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      if (!input.services || input.services.length === 0) throw new AwsError("InvalidParameterException", "services can not be empty.");
      tooMany(input.services, 10, "services");
      const services = [];
      const failures = [];
      for (const ref of input.services) {
        const s = c.services.get(arnTail(ref));
        if (s) services.push(serviceShape(ctx.state, c, s));
        else
          failures.push({
            arn: ref.startsWith("arn:") ? ref : `arn:aws:ecs:${ctx.state.region}:${ctx.state.accountId}:service/${c.name}/${ref}`,
            reason: "MISSING",
          });
      }
      return { services, failures };
    },
    ListTasks(
      input: {
        cluster?: string;
        serviceName?: string;
        desiredStatus?: string;
        family?: string;
        containerInstance?: string;
        launchType?: string;
        startedBy?: string;
        maxResults?: number;
        nextToken?: string;
      },
      ctx,
    ) {
      const c = ctx.state.ecs.cluster(input.cluster);
      const service = input.serviceName === undefined ? undefined : ctx.state.ecs.service(c.name, input.serviceName).name;
      const desired = input.desiredStatus ?? "RUNNING";
      if (!["RUNNING", "PENDING", "STOPPED"].includes(desired)) throw new AwsError("InvalidParameterException", `Invalid desiredStatus: ${desired}`);
      const ci = input.containerInstance === undefined ? undefined : arnTail(input.containerInstance);
      const arns: string[] = [];
      for (const t of c.tasks.values() as Iterable<TaskRecord>) {
        if (service !== undefined && t.service !== service) continue;
        if (desired === "PENDING" ? !(PENDING.has(t.task.lastStatus!) && t.task.desiredStatus === "RUNNING") : t.task.desiredStatus !== desired) continue;
        if (input.family && !t.task.taskDefinitionArn!.includes(`task-definition/${input.family}:`)) continue;
        if (ci !== undefined && t.containerInstanceId !== ci) continue;
        if (input.launchType && t.task.launchType !== input.launchType) continue;
        if (input.startedBy && t.task.startedBy !== input.startedBy) continue;
        arns.push(t.task.taskArn!);
      }
      const { page, nextToken } = listPage(ctx, input, arns);
      return { taskArns: page, nextToken };
    },
    DescribeTasks(input: { cluster?: string; tasks?: string[]; include?: string[] }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      if (!input.tasks || input.tasks.length === 0) throw new AwsError("InvalidParameterException", "Tasks cannot be empty.");
      tooMany(input.tasks, 100, "tasks");
      const tasks = [];
      const failures = [];
      for (const ref of input.tasks) {
        const t = c.tasks.get(arnTail(ref));
        if (t) tasks.push(t.task);
        else
          failures.push({
            arn: ref.startsWith("arn:") ? ref : `arn:aws:ecs:${ctx.state.region}:${ctx.state.accountId}:task/${c.name}/${ref}`,
            reason: "MISSING",
          });
      }
      return { tasks, failures };
    },
    DescribeTaskDefinition(input: { taskDefinition?: string; include?: string[] }, ctx) {
      if (!input.taskDefinition) throw new AwsError("ClientException", "taskDefinition is required.");
      const td = ctx.state.ecs.taskDefinition(input.taskDefinition);
      return { taskDefinition: td, ...(input.include?.includes("TAGS") ? { tags: [] } : {}) };
    },
    ListContainerInstances(input: { cluster?: string; status?: string; maxResults?: number; nextToken?: string }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      const arns = input.status && input.status !== "ACTIVE" ? [] : c.containerInstances.map((ci) => ci.arn);
      const { page, nextToken } = listPage(ctx, input, arns);
      return { containerInstanceArns: page, nextToken };
    },
    DescribeContainerInstances(input: { cluster?: string; containerInstances?: string[] }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      if (!input.containerInstances || input.containerInstances.length === 0) {
        throw new AwsError("InvalidParameterException", "containerInstances can not be empty.");
      }
      tooMany(input.containerInstances, 100, "containerInstances");
      const containerInstances = [];
      const failures = [];
      for (const ref of input.containerInstances) {
        const ci = c.containerInstances.find((x) => x.id === arnTail(ref));
        if (ci) containerInstances.push(containerInstanceShape(c, ci));
        else failures.push({ arn: ref, reason: "MISSING" });
      }
      return { containerInstances, failures };
    },
  },
});
