// The one reader of container instances (ECS on EC2): container instance ARN -> the EC2
// instance's private IP, id and type. DescribeContainerInstances per cluster in batches of
// 100, then DescribeInstances for up to 1,000 instance ids per call (following NextToken),
// with bounded concurrency. Used for one container instance by an event's lookup
// (lookups.ts, which fails the event when the read fails) and for every new container
// instance of a full reconcile's EC2 tasks (@scrape-reconciler/reconcile's full.ts, where a
// failed read fails nothing). What it finds is cached in the state (core's
// recordContainerInstances), so each container instance is read once, never per event
// (README guarantee G6). The EC2 SDK is imported only when a DescribeInstances call is
// due (a dynamic import, its own chunk in the function bundle): a read that needs no EC2
// call, and every invocation that reads no container instance, loads no EC2 code.
import type { EC2Client, Instance } from "@aws-sdk/client-ec2";
import { DescribeContainerInstancesCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { errorLine, type ContainerInstanceFacts, type ContainerInstanceRef } from "@scrape-reconciler/core";
import pLimit from "p-limit";
import { arnName } from "./ecs-tasks";

/** DescribeContainerInstances takes up to 100 container instances. */
export const DESCRIBE_CONTAINER_INSTANCES_BATCH = 100;
/** At most 1,000 instance ids per DescribeInstances call (the EC2 API's pagination guidance). */
export const DESCRIBE_INSTANCES_BATCH = 1000;

export interface ContainerInstanceClients {
  ecs: ECSClient;
  /** An EC2Client, or anything sending its commands the same way (reconcile's lazily loaded one). */
  ec2: Pick<EC2Client, "send">;
}

/** Why one container instance got no facts. */
export interface ContainerInstanceFailure {
  arn: string;
  operation: "ecs:DescribeContainerInstances" | "ec2:DescribeInstances";
  /** One line: the call's error, or what AWS did not return. */
  reason: string;
  /** The error a call threw, when one did (the event path rethrows it). */
  error?: unknown;
}

export interface ContainerInstanceRead {
  /** Container instance ARN -> its facts; an ARN whose read failed or found nothing is absent. */
  found: Record<string, ContainerInstanceFacts>;
  failures: ContainerInstanceFailure[];
  calls: { describeContainerInstances: number; describeInstances: number };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Reads the facts of the given container instances; an ARN with a known EC2 instance id
 * (an entry cached without its instance type) needs only DescribeInstances. Never throws
 * for a failed call: its container instances are reported in `failures`.
 */
export async function readContainerInstances(
  c: ContainerInstanceClients,
  refs: readonly ContainerInstanceRef[],
  options: { concurrency?: number } = {},
): Promise<ContainerInstanceRead> {
  const limit = pLimit(options.concurrency ?? 8);
  const out: ContainerInstanceRead = { found: {}, failures: [], calls: { describeContainerInstances: 0, describeInstances: 0 } };
  const fail = (arns: readonly string[], operation: ContainerInstanceFailure["operation"], reason: string, error?: unknown) => {
    for (const arn of arns) out.failures.push({ arn, operation, reason, ...(error !== undefined ? { error } : {}) });
  };
  /** ARN -> EC2 instance id. */
  const ec2Ids = new Map<string, string>();
  const byCluster = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const r of refs) {
    if (seen.has(r.arn)) continue;
    seen.add(r.arn);
    if (r.ec2InstanceId) ec2Ids.set(r.arn, r.ec2InstanceId);
    else byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r.arn]);
  }

  const describeBatch = async (cluster: string, arns: string[]) => {
    out.calls.describeContainerInstances += 1;
    try {
      const res = await c.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }));
      // By ARN, and by id in case ECS answers in the other ARN format (with or without the cluster).
      const ids = new Map<string, string>();
      for (const ci of res.containerInstances ?? []) {
        if (!ci.containerInstanceArn || !ci.ec2InstanceId) continue;
        ids.set(ci.containerInstanceArn, ci.ec2InstanceId);
        ids.set(arnName(ci.containerInstanceArn), ci.ec2InstanceId);
      }
      for (const arn of arns) {
        const id = ids.get(arn) ?? ids.get(arnName(arn));
        if (id) ec2Ids.set(arn, id);
        else fail([arn], "ecs:DescribeContainerInstances", `container instance ${arn} not found`);
      }
    } catch (err) {
      fail(arns, "ecs:DescribeContainerInstances", errorLine(err), err);
    }
  };
  await Promise.all(
    [...byCluster].flatMap(([cluster, arns]) => chunks(arns, DESCRIBE_CONTAINER_INSTANCES_BATCH).map((b) => limit(() => describeBatch(cluster, b)))),
  );

  // EC2 instance id -> the container instances on it. An ECS Anywhere instance ("mi-...") is no EC2 instance.
  const arnsOf = new Map<string, string[]>();
  for (const [arn, id] of ec2Ids) {
    if (!id.startsWith("i-")) fail([arn], "ec2:DescribeInstances", `${id} is not an EC2 instance`);
    else arnsOf.set(id, [...(arnsOf.get(id) ?? []), arn]);
  }
  const instances = new Map<string, Instance>();
  const describeInstances = async (ids: string[]) => {
    try {
      const { DescribeInstancesCommand } = await import("@aws-sdk/client-ec2");
      let token: string | undefined;
      do {
        out.calls.describeInstances += 1;
        const res = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids, NextToken: token }));
        for (const r of res.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) instances.set(i.InstanceId, i);
        token = res.NextToken;
      } while (token);
    } catch (err) {
      fail(
        ids.flatMap((id) => arnsOf.get(id) ?? []),
        "ec2:DescribeInstances",
        errorLine(err),
        err,
      );
      for (const id of ids) arnsOf.delete(id);
    }
  };
  await Promise.all(chunks([...arnsOf.keys()], DESCRIBE_INSTANCES_BATCH).map((ids) => limit(() => describeInstances(ids))));

  for (const [id, arns] of arnsOf) {
    const ip = instances.get(id)?.PrivateIpAddress;
    if (!ip) {
      fail(arns, "ec2:DescribeInstances", instances.has(id) ? `EC2 instance ${id} has no private IP` : `EC2 instance ${id} not found`);
      continue;
    }
    for (const arn of arns) out.found[arn] = { ip, ec2InstanceId: id, instanceType: instances.get(id)?.InstanceType ?? "" };
  }
  return out;
}
