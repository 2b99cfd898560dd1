// ECS task shapes: building a new task in its API shape (attachments, containers,
// network bindings) and applying one lastStatus step to it (timestamps, container and
// ENI attachment states, version). Pure functions over a TaskRecord; no Cloud Map here.
import { createHash } from "node:crypto";
import type { Attachment, Container, TaskDefinition } from "@aws-sdk/client-ecs";
import { arns, type ArnContext, type IdSource } from "../ids";
import { TASK_STATUSES, type LaunchType, type NetworkMode, type PortBindingRecord, type TaskRecord, type TaskStatus } from "../model";

export interface NewTaskInput {
  ctx: ArnContext;
  ids: IdSource;
  now: Date;
  cluster: string;
  clusterArn: string;
  service?: string;
  taskDefinition: TaskDefinition;
  launchType: LaunchType;
  networkMode: NetworkMode;
  availabilityZone: string;
  subnetId: string;
  /** ENI IP (awsvpc) or the container instance's IP. */
  ip: string;
  containerInstanceArn?: string;
  containerInstanceId?: string;
  ec2InstanceId?: string;
  bindings: PortBindingRecord[];
  healthStatus: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
  startedBy?: string;
}

const privateDnsName = (ip: string, region: string) => `ip-${ip.replace(/\./g, "-")}.${region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`}`;

export function newTask(input: NewTaskInput): TaskRecord {
  const { ctx, ids, now } = input;
  const id = ids.hex32("task");
  const taskArn = arns.task(ctx, input.cluster, id);
  const attachments: Attachment[] = [];
  let attachmentId: string | undefined;
  if (input.networkMode === "awsvpc") {
    attachmentId = ids.uuid("attachment");
    const mac = ids.hex32("mac").slice(0, 12).match(/../g)!.join(":");
    attachments.push({
      id: attachmentId,
      type: "ElasticNetworkInterface",
      status: "PRECREATED",
      details: [
        { name: "subnetId", value: input.subnetId },
        { name: "networkInterfaceId", value: ids.ec2("eni-") },
        { name: "macAddress", value: mac },
        { name: "privateDnsName", value: privateDnsName(input.ip, ctx.region) },
        { name: "privateIPv4Address", value: input.ip },
      ],
    });
  }
  const containers: Container[] = (input.taskDefinition.containerDefinitions ?? []).map((def) => {
    const c: Container = {
      containerArn: arns.container(ctx, input.cluster, ids.uuid("container")),
      taskArn,
      name: def.name!,
      image: def.image!,
      imageDigest: `sha256:${createHash("sha256")
        .update(def.image ?? "")
        .digest("hex")}`,
      lastStatus: "PENDING",
      networkBindings: [],
      networkInterfaces: attachmentId ? [{ attachmentId, privateIpv4Address: input.ip }] : [],
      healthStatus: "UNKNOWN",
      cpu: String(def.cpu ?? 0),
    };
    if (def.memory !== undefined) c.memory = String(def.memory);
    return c;
  });
  const td = input.taskDefinition;
  const rec: TaskRecord = {
    id,
    cluster: input.cluster,
    ip: input.ip,
    networkMode: input.networkMode,
    bindings: input.bindings,
    healthOnRunning: input.healthStatus,
    task: {
      taskArn,
      clusterArn: input.clusterArn,
      taskDefinitionArn: td.taskDefinitionArn!,
      group: input.service ? `service:${input.service}` : `family:${td.family}`,
      launchType: input.launchType,
      availabilityZone: input.availabilityZone,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      healthStatus: "UNKNOWN",
      connectivity: "CONNECTED",
      connectivityAt: now,
      createdAt: now,
      cpu: td.cpu ?? "256",
      memory: td.memory ?? "512",
      version: 1,
      attachments,
      containers,
      attributes: [{ name: "ecs.cpu-architecture", value: "x86_64" }],
      overrides: { containerOverrides: containers.map((c) => ({ name: c.name })), inferenceAcceleratorOverrides: [] },
      tags: [],
      enableExecuteCommand: false,
    },
  };
  if (input.service !== undefined) rec.service = input.service;
  if (input.startedBy !== undefined) rec.task.startedBy = input.startedBy;
  if (input.launchType === "FARGATE") {
    rec.task.platformVersion = "1.4.0";
    rec.task.platformFamily = "Linux";
    rec.task.ephemeralStorage = { sizeInGiB: 20 };
  }
  if (input.containerInstanceArn !== undefined) rec.task.containerInstanceArn = input.containerInstanceArn;
  if (input.containerInstanceId !== undefined) rec.containerInstanceId = input.containerInstanceId;
  if (input.ec2InstanceId !== undefined) rec.ec2InstanceId = input.ec2InstanceId;
  return rec;
}

const rank = (s: string | undefined) => TASK_STATUSES.indexOf(s as TaskStatus);

/**
 * Moves a task to `status` (forward only), updating timestamps, containers, the ENI
 * attachment and `version` (+1). Returns false when the task already has that status.
 */
export function applyStatus(rec: TaskRecord, status: TaskStatus, now: Date, stopReason?: string): boolean {
  const t = rec.task;
  if (t.lastStatus === status) return false;
  const to = rank(status);
  t.lastStatus = status;
  t.version = (t.version ?? 0) + 1;
  const eni = t.attachments?.[0];
  if (to >= 1 && !t.pullStartedAt) t.pullStartedAt = now;
  if (to >= 2 && !t.pullStoppedAt) t.pullStoppedAt = now;
  if (eni) eni.status = to >= 6 ? (to >= 7 ? "DELETED" : "DETACHING") : to >= 1 ? "ATTACHED" : "PRECREATED";
  if (to >= 3 && !t.startedAt) {
    t.startedAt = now;
    const health = rec.healthOnRunning;
    t.healthStatus = health;
    for (const c of t.containers ?? []) {
      c.lastStatus = "RUNNING";
      c.runtimeId = `${rec.id}-${c.name}`;
      c.healthStatus = health;
      if (rec.networkMode !== "awsvpc") {
        c.networkBindings = rec.bindings
          .filter((b) => b.containerName === c.name)
          .map((b) => ({ bindIP: "0.0.0.0", containerPort: b.containerPort, hostPort: b.hostPort, protocol: "tcp" }));
      }
    }
  }
  if (to >= 4) {
    t.desiredStatus = "STOPPED";
    if (!t.stoppingAt) t.stoppingAt = now;
    if (!t.stopCode) {
      t.stopCode = rec.service ? "ServiceSchedulerInitiated" : "UserInitiated";
      t.stoppedReason = stopReason ?? (rec.service ? "Scaling activity initiated by deployment" : "Task stopped by user");
    }
  }
  if (to >= 6) {
    if (!t.executionStoppedAt) t.executionStoppedAt = now;
    for (const c of t.containers ?? []) {
      c.lastStatus = "STOPPED";
      c.exitCode = 0;
    }
  }
  if (to >= 7 && !t.stoppedAt) t.stoppedAt = now;
  return true;
}

/** A deep copy of a task, Dates preserved. */
export function cloneTask<T>(value: T): T {
  return structuredClone(value);
}
