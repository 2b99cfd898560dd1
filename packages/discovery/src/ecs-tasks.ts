// ECS enrichment: DescribeTasks in batches of 100 per cluster, and task definitions
// (immutable, so cached for the life of the process: a warm Lambda reuses the cache:
// README guarantee G6).
// Turns the API's Task shape into the core's EcsTaskFacts.
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import type { EcsTaskFacts, PortBinding } from "@scrape-reconciler/core";
import pLimit from "p-limit";
import { ECS_BUCKETS, TokenBucket } from "./rate-limit";

export const DESCRIBE_TASKS_BATCH = 100;

/** The last path segment of an ARN ("arn:...:task/cluster/ID" -> "ID"). */
export function arnName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/** "arn:...:task-definition/web:7" -> { family: "web", revision: 7 } */
export function parseTaskDefinitionArn(arn: string): { family: string; revision: number } {
  const name = arnName(arn);
  const i = name.lastIndexOf(":");
  return i < 0 ? { family: name, revision: 0 } : { family: name.slice(0, i), revision: Number(name.slice(i + 1)) || 0 };
}

export function clusterNameOf(clusterArn: string): string {
  return clusterArn.includes(":cluster/") ? arnName(clusterArn) : clusterArn;
}

/**
 * Task definitions never change: at most one successful DescribeTaskDefinition per ARN for
 * the life of a cache (concurrent asks share the call; a failed call is not cached and the
 * next ask tries again), none for an ARN primed from the state.
 */
export class TaskDefinitionCache {
  private readonly entries = new Map<string, Promise<string | undefined>>();
  /** DescribeTaskDefinition's throttle bucket is 50, refilled at 20/s: a few calls at a time. */
  private readonly limit = pLimit(4);
  private readonly bucket = new TokenBucket(ECS_BUCKETS.describeTaskDefinition);
  calls = 0;

  networkMode(ecs: ECSClient, arn: string): Promise<string | undefined> {
    let p = this.entries.get(arn);
    if (!p) {
      this.calls += 1;
      p = this.limit(async () => {
        await this.bucket.take();
        return ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
      }).then(
        (r) => r.taskDefinition?.networkMode,
        (err) => {
          this.entries.delete(arn); // do not cache failures
          throw err;
        },
      );
      this.entries.set(arn, p);
    }
    return p;
  }

  /**
   * Records a network mode already known without a call: the callers (full reconcile,
   * audit, event lookups) prime the cache with the state's `taskDefinitions` (and the
   * lookups of the same batch), so a task definition the state knows is never described
   * again (README guarantee G6). An entry already cached or in flight is kept.
   */
  prime(arn: string, networkMode: string): void {
    if (!this.entries.has(arn)) this.entries.set(arn, Promise.resolve(networkMode));
  }
}

/** DescribeTasks names the task's ENI attachment "ElasticNetworkInterface", the task state change event "eni". */
function isEni(a: { type?: string }): boolean {
  return a.type === "ElasticNetworkInterface" || a.type === "eni";
}

/** One detail (`privateIPv4Address`, `subnetId`...) of the task's first ENI attachment that has it. */
function eniDetail(task: Task, name: string): string | undefined {
  for (const a of task.attachments ?? []) {
    if (!isEni(a)) continue;
    const value = a.details?.find((d) => d.name === name)?.value;
    if (value) return value;
  }
  return undefined;
}

function eniIp(task: Task): string | undefined {
  const ip = eniDetail(task, "privateIPv4Address");
  if (ip) return ip;
  for (const c of task.containers ?? []) {
    const ip = c.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return undefined;
}

function bindings(task: Task): PortBinding[] {
  const out: PortBinding[] = [];
  for (const c of task.containers ?? []) {
    for (const b of c.networkBindings ?? []) {
      if (b.containerPort === undefined || b.hostPort === undefined) continue;
      out.push({ containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol ?? "tcp", containerName: c.name });
    }
  }
  return out;
}

/** The core's view of one described task; the network mode comes from its task definition. */
export function taskFacts(task: Task, networkMode: string | undefined): EcsTaskFacts | undefined {
  if (!task.taskArn || !task.clusterArn || !task.taskDefinitionArn) return undefined;
  const td = parseTaskDefinitionArn(task.taskDefinitionArn);
  const ip = eniIp(task);
  return {
    taskArn: task.taskArn,
    taskId: arnName(task.taskArn),
    clusterArn: task.clusterArn,
    clusterName: clusterNameOf(task.clusterArn),
    serviceName: task.group?.startsWith("service:") ? task.group.slice("service:".length) : undefined,
    group: task.group,
    taskDefinitionArn: task.taskDefinitionArn,
    family: td.family,
    revision: td.revision,
    launchType: task.launchType,
    platformFamily: task.platformFamily,
    platformVersion: task.platformVersion,
    availabilityZone: task.availabilityZone,
    lastStatus: task.lastStatus ?? "UNKNOWN",
    desiredStatus: task.desiredStatus,
    healthStatus: task.healthStatus,
    networkMode: networkMode ?? (ip ? "awsvpc" : undefined),
    taskIp: ip,
    subnetId: eniDetail(task, "subnetId"),
    containerInstanceArn: task.containerInstanceArn,
    bindings: bindings(task),
    version: task.version,
  };
}

export interface DescribedTasks {
  tasks: Map<string, EcsTaskFacts>;
  /** Task ids ECS reported as MISSING (stopped and gone). */
  missing: Set<string>;
}

/** Describes up to 100 tasks of one cluster and resolves their network modes through the cache. */
export async function describeTaskBatch(
  ecs: ECSClient,
  cache: TaskDefinitionCache,
  cluster: string,
  ids: string[],
  bucket?: TokenBucket,
): Promise<DescribedTasks> {
  await bucket?.take();
  const res = await ecs.send(new DescribeTasksCommand({ cluster, tasks: ids }));
  const out: DescribedTasks = { tasks: new Map(), missing: new Set() };
  for (const f of res.failures ?? []) if (f.arn) out.missing.add(arnName(f.arn));
  await Promise.all(
    (res.tasks ?? []).map(async (t) => {
      // A task with an ENI is awsvpc; only bridge and host tasks need their task definition.
      let mode: string | undefined = eniIp(t) ? "awsvpc" : undefined;
      if (!mode && t.taskDefinitionArn) {
        // A failed lookup is not fatal: the host port bindings still give the address.
        mode = await cache.networkMode(ecs, t.taskDefinitionArn).catch(() => undefined);
      }
      const facts = taskFacts(t, mode);
      if (facts) out.tasks.set(facts.taskId, facts);
    }),
  );
  return out;
}
