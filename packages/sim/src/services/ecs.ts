// Amazon ECS (awsJson1_1, target AmazonEC2ContainerServiceV20141113), the reads the
// reconciler makes: DescribeServices, DescribeTasks, DescribeTaskDefinition and
// DescribeContainerInstances, in the shapes of the API reference (unknown names are
// answered in `failures` with MISSING). Tasks change through the state API, not here.
import { AwsError } from "../errors";
import { arnTail, arns, deploymentId, uuidFrom } from "../ids";
import type { ClusterRecord, ContainerInstanceRecord, EcsServiceRecord } from "../model";
import type { SimState } from "../state";
import { defineJsonService } from "./json";

const PENDING = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

function taskCounts(cluster: ClusterRecord, service: string) {
  let running = 0;
  let pending = 0;
  for (const t of cluster.tasks.values()) {
    if (t.service !== service) continue;
    if (t.task.lastStatus === "RUNNING") running++;
    else if (PENDING.has(t.task.lastStatus!) && t.task.desiredStatus === "RUNNING") pending++;
  }
  return { running, pending };
}

function serviceShape(state: SimState, c: ClusterRecord, s: EcsServiceRecord) {
  const { running, pending } = taskCounts(c, s.name);
  const registries = [];
  if (s.cloudMapServiceId) {
    const registry: { registryArn: string; containerName?: string; containerPort?: number } = {
      registryArn: state.cloudMap.services.get(s.cloudMapServiceId)?.arn ?? arns.cloudMapService(state, s.cloudMapServiceId),
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

/** The lists Describe* calls take: at most how many references each may hold, and ECS's answer to an empty one. */
const LISTS = {
  services: { max: 10, empty: "services can not be empty." },
  tasks: { max: 100, empty: "Tasks cannot be empty." },
  containerInstances: { max: 100, empty: "containerInstances can not be empty." },
};

/**
 * A Describe* answer: the record each reference (name, id or ARN) finds, in order, and
 * a MISSING failure for every reference that finds none, named by the reference if it
 * is an ARN, else by `arnOf(reference)`.
 */
function describe<T>(list: keyof typeof LISTS, refs: string[] | undefined, records: ReadonlyMap<string, T>, arnOf = (ref: string) => ref) {
  const { max, empty } = LISTS[list];
  if (!refs || refs.length === 0) throw new AwsError("InvalidParameterException", empty);
  if (refs.length > max) throw new AwsError("InvalidParameterException", `${list} can have at most ${max} items.`);
  const found: T[] = [];
  const failures: { arn: string; reason: "MISSING" }[] = [];
  for (const ref of refs) {
    const rec = records.get(arnTail(ref));
    if (rec) found.push(rec);
    else failures.push({ arn: ref.startsWith("arn:") ? ref : arnOf(ref), reason: "MISSING" });
  }
  return { found, failures };
}

export const ecs = defineJsonService({
  service: "ecs",
  endpointEnvName: "ECS",
  targetPrefix: "AmazonEC2ContainerServiceV20141113",
  operations: {
    DescribeServices(input: { cluster?: string; services?: string[] }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      const { found, failures } = describe("services", input.services, c.services, (name) => arns.service(ctx.state, c.name, name));
      return { services: found.map((s) => serviceShape(ctx.state, c, s)), failures };
    },
    DescribeTasks(input: { cluster?: string; tasks?: string[]; include?: string[] }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      const { found, failures } = describe("tasks", input.tasks, c.tasks, (id) => arns.task(ctx.state, c.name, id));
      return { tasks: found.map((t) => t.task), failures };
    },
    DescribeTaskDefinition(input: { taskDefinition?: string; include?: string[] }, ctx) {
      if (!input.taskDefinition) throw new AwsError("ClientException", "taskDefinition is required.");
      const td = ctx.state.ecs.taskDefinition(input.taskDefinition);
      return { taskDefinition: td, ...(input.include?.includes("TAGS") ? { tags: [] } : {}) };
    },
    DescribeContainerInstances(input: { cluster?: string; containerInstances?: string[] }, ctx) {
      const c = ctx.state.ecs.cluster(input.cluster);
      const byId = new Map(c.containerInstances.map((ci) => [ci.id, ci]));
      const { found, failures } = describe("containerInstances", input.containerInstances, byId);
      return { containerInstances: found.map((ci) => containerInstanceShape(c, ci)), failures };
    },
  },
});
