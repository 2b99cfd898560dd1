// The in-memory AWS account and its typed mutations. Composes the stores under state/
// (Cloud Map, ECS, S3, SSM, RDS, ElastiCache, CloudWatch metrics, STS sessions) and owns
// the task lifecycle: every task change bumps `version`, keeps the task's Cloud Map
// registration in step (register at ACTIVATING, deregister at DEACTIVATING) and is reported
// to onChange listeners. Imports no service handler: services/ read and write this.
import type { Task, TaskDefinition } from "@aws-sdk/client-ecs";
import { AwsError } from "./errors";
import { IdSource, IpAllocator, SimError, arnTail, deploymentId, type ArnContext } from "./ids";
import {
  TASK_STATUSES,
  type CloudMapChange,
  type CloudMapServiceRecord,
  type ContainerInstanceRecord,
  type EcsServiceRecord,
  type InstanceHealth,
  type PortBindingRecord,
  type TaskChange,
  type TaskRecord,
  type TaskStatus,
} from "./model";
import { CloudMapStore } from "./state/cloudmap";
import { CloudWatchStore } from "./state/cloudwatch";
import { EcsStore, type ContainerSpec } from "./state/ecs";
import { ElastiCacheStore } from "./state/elasticache";
import { RdsStore } from "./state/rds";
import { ObjectStore, ParameterStore } from "./state/storage";
import { StsStore } from "./state/sts";
import { applyStatus, cloneTask, newTask } from "./state/tasks";

export interface SimStateOptions {
  region: string;
  accountId: string;
  seed: string;
  /** Addresses are handed out after this one (e.g. 10.0.0.0, or 127.0.10.0 for a demo). */
  ipBase: string;
  clock?: () => Date;
}

export interface TaskFilter {
  cluster?: string;
  service?: string;
  /** lastStatus values to keep. */
  status?: TaskStatus | TaskStatus[];
  desiredStatus?: "RUNNING" | "STOPPED";
}

export interface DeployOptions {
  /** New container list for the new revision (default: the current revision's). */
  containers?: ContainerSpec[];
}

const rank = (s: string | undefined) => TASK_STATUSES.indexOf(s as TaskStatus);
const ACTIVATING = rank("ACTIVATING");
const DEACTIVATING = rank("DEACTIVATING");

export class SimState {
  readonly region: string;
  readonly accountId: string;
  readonly seed: string;
  readonly ids: IdSource;
  readonly cloudMap: CloudMapStore;
  readonly ecs: EcsStore;
  readonly s3: ObjectStore;
  readonly ssm: ParameterStore;
  readonly rds: RdsStore;
  readonly elastiCache: ElastiCacheStore;
  readonly cloudWatch: CloudWatchStore;
  readonly sts: StsStore;
  private clock: () => Date;
  private readonly taskIndex = new Map<string, TaskRecord>();
  private readonly listeners = new Set<(c: TaskChange) => void>();

  constructor(opts: SimStateOptions) {
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.seed = opts.seed;
    this.clock = opts.clock ?? (() => new Date());
    const ctx: ArnContext = { region: opts.region, accountId: opts.accountId };
    const now = () => this.now();
    this.ids = new IdSource(opts.seed);
    this.cloudMap = new CloudMapStore(ctx, this.ids, now);
    this.ecs = new EcsStore(ctx, this.ids, new IpAllocator(opts.ipBase), now);
    this.s3 = new ObjectStore(now);
    this.ssm = new ParameterStore(now);
    this.rds = new RdsStore(ctx, this.ids, now);
    this.elastiCache = new ElastiCacheStore(ctx, now);
    this.cloudWatch = new CloudWatchStore(this.rds, this.elastiCache);
    this.sts = new StsStore(this.ids, now);
  }

  now(): Date {
    return this.clock();
  }

  /** Replaces the clock (seeding uses a fixed, stepping clock for deterministic timestamps). */
  setClock(clock: () => Date): void {
    this.clock = clock;
  }

  /** Reports every task change; returns an unsubscribe function. */
  onChange(listener: (change: TaskChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reports every Cloud Map registry mutation (API calls and ECS-driven ones). */
  onCloudMapChange(listener: (change: CloudMapChange) => void): () => void {
    return this.cloudMap.onChange(listener);
  }

  // ---- lookups -------------------------------------------------------------------

  /** A task by ARN or id. */
  taskRecord(ref: string): TaskRecord {
    const rec = this.taskIndex.get(arnTail(ref));
    if (!rec) throw new SimError(`no such task: ${ref}`);
    return rec;
  }

  /** A copy of a task in its ECS API shape. */
  task(ref: string): Task {
    return cloneTask(this.taskRecord(ref).task);
  }

  /** Copies of the tasks matching the filter, in start order. */
  tasks(filter: TaskFilter = {}): Task[] {
    const statuses = filter.status === undefined ? undefined : new Set([filter.status].flat());
    const out: Task[] = [];
    const clusters = filter.cluster ? [this.ecs.cluster(filter.cluster)] : [...this.ecs.clusters.values()];
    for (const c of clusters) {
      for (const rec of c.tasks.values()) {
        if (filter.service !== undefined && rec.service !== filter.service) continue;
        if (statuses && !statuses.has(rec.task.lastStatus as TaskStatus)) continue;
        if (filter.desiredStatus && rec.task.desiredStatus !== filter.desiredStatus) continue;
        out.push(cloneTask(rec.task));
      }
    }
    return out;
  }

  /** The Cloud Map service an ECS service registers its tasks in. */
  cloudMapServiceFor(cluster: string, service: string): CloudMapServiceRecord {
    const svc = this.ecs.service(cluster, service);
    if (!svc.cloudMapServiceId) throw new SimError(`ECS service ${cluster}/${service} has no Cloud Map registry`);
    return this.cloudMap.service(svc.cloudMapServiceId);
  }

  // ---- task lifecycle --------------------------------------------------------------

  /**
   * Starts one task of an ECS service and walks it through the lifecycle up to `until`
   * (default RUNNING), reporting each step. Returns a copy of the task.
   */
  startTask(cluster: string, service: string, opts: { until?: TaskStatus; health?: EcsServiceRecord["taskHealth"] } = {}): Task {
    const c = this.ecs.cluster(cluster);
    const svc = this.ecs.service(cluster, service);
    const td = this.ecs.taskDefinition(svc.taskDefinitionArn);
    const base = {
      ctx: { region: this.region, accountId: this.accountId },
      ids: this.ids,
      now: this.now(),
      cluster: c.name,
      clusterArn: c.arn,
      service: svc.name,
      taskDefinition: td,
      launchType: svc.launchType,
      networkMode: svc.networkMode,
      healthStatus: opts.health ?? svc.taskHealth,
      startedBy: deploymentId(svc.arn, svc.taskDefinitionArn),
    };
    let rec: TaskRecord;
    if (svc.networkMode === "awsvpc" && svc.launchType === "FARGATE") {
      const { az, subnetId } = this.ecs.nextAz();
      rec = newTask({ ...base, availabilityZone: az, subnetId, ip: this.allocateIp(), bindings: [] });
    } else {
      const { ci, bindings } = this.place(c.containerInstances, c.placement++, td, svc.networkMode);
      rec = newTask({
        ...base,
        availabilityZone: ci.availabilityZone,
        subnetId: ci.subnetId,
        ip: svc.networkMode === "awsvpc" ? this.allocateIp() : ci.privateIp,
        containerInstanceArn: ci.arn,
        containerInstanceId: ci.id,
        ec2InstanceId: ci.ec2InstanceId,
        bindings,
      });
    }
    c.tasks.set(rec.id, rec);
    this.taskIndex.set(rec.id, rec);
    this.emit(rec, undefined);
    const until = rank(opts.until ?? "RUNNING");
    for (let i = 1; i <= until; i++) this.setTaskStatus(rec.id, TASK_STATUSES[i]!);
    return cloneTask(rec.task);
  }

  private allocateIp(): string {
    return this.ecs.ips.allocate();
  }

  private place(
    cis: ContainerInstanceRecord[],
    cursor: number,
    td: TaskDefinition,
    mode: string,
  ): { ci: ContainerInstanceRecord; bindings: PortBindingRecord[] } {
    if (cis.length === 0) throw new AwsError("InvalidParameterException", "No Container Instances were found in your cluster.");
    const ports = (td.containerDefinitions ?? []).flatMap((d) => (d.portMappings ?? []).map((p) => ({ name: d.name!, port: p.containerPort! })));
    for (let k = 0; k < cis.length; k++) {
      const ci = cis[(cursor + k) % cis.length]!;
      if (mode === "host" && ports.some((p) => ci.usedHostPorts.has(p.port))) continue;
      const bindings: PortBindingRecord[] = [];
      if (mode === "host") for (const p of ports) bindings.push({ containerName: p.name, containerPort: p.port, hostPort: p.port });
      if (mode === "bridge") {
        for (const p of ports) {
          while (ci.usedHostPorts.has(ci.nextHostPort)) ci.nextHostPort = ci.nextHostPort >= 60999 ? 32768 : ci.nextHostPort + 1;
          bindings.push({ containerName: p.name, containerPort: p.port, hostPort: ci.nextHostPort });
          ci.usedHostPorts.add(ci.nextHostPort);
          ci.nextHostPort = ci.nextHostPort >= 60999 ? 32768 : ci.nextHostPort + 1;
        }
      }
      for (const b of bindings) ci.usedHostPorts.add(b.hostPort);
      return { ci, bindings };
    }
    throw new AwsError("InvalidParameterException", "No container instance meets all of the task's requirements (host ports in use).");
  }

  /**
   * Moves a task forward to `status` (one change, version + 1). Skipped steps still take
   * effect: a task that passes ACTIVATING is registered in Cloud Map, one that reaches
   * DEACTIVATING or later is deregistered. Moving backwards throws.
   */
  setTaskStatus(taskRef: string, status: TaskStatus, reason?: string): Task {
    const rec = this.taskRecord(taskRef);
    const from = rank(rec.task.lastStatus);
    const to = rank(status);
    if (to < 0) throw new SimError(`unknown task status: ${status}`);
    if (to < from) throw new SimError(`task ${rec.id} cannot move from ${rec.task.lastStatus} back to ${status}`);
    if (to === from) return cloneTask(rec.task);
    const previous = rec.task.lastStatus as TaskStatus;
    applyStatus(rec, status, this.now(), reason);
    if (to >= ACTIVATING && to < DEACTIVATING && !rec.registeredIn) this.registerTask(rec);
    if (to >= DEACTIVATING && rec.registeredIn) this.deregisterTask(rec);
    if (status === "STOPPED") this.releasePorts(rec);
    this.emit(rec, previous);
    return cloneTask(rec.task);
  }

  /** Stops a task: desiredStatus STOPPED, then DEACTIVATING → ... → STOPPED, each step reported. */
  stopTask(taskRef: string, reason?: string): Task {
    const rec = this.taskRecord(taskRef);
    rec.task.desiredStatus = "STOPPED";
    const from = Math.max(rank(rec.task.lastStatus) + 1, DEACTIVATING);
    for (let i = from; i < TASK_STATUSES.length; i++) this.setTaskStatus(rec.id, TASK_STATUSES[i]!, reason);
    return cloneTask(rec.task);
  }

  /** Sets a task's health (ECS healthStatus and its Cloud Map instance's health); version + 1. */
  setTaskHealth(taskRef: string, health: "HEALTHY" | "UNHEALTHY" | "UNKNOWN"): Task {
    const rec = this.taskRecord(taskRef);
    rec.task.healthStatus = health;
    for (const c of rec.task.containers ?? []) c.healthStatus = health;
    rec.task.version = (rec.task.version ?? 0) + 1;
    if (rec.registeredIn) this.cloudMap.setInstanceHealth(rec.registeredIn, rec.id, health === "UNHEALTHY" ? "UNHEALTHY" : "HEALTHY");
    this.emit(rec, rec.task.lastStatus as TaskStatus);
    return cloneTask(rec.task);
  }

  private registerTask(rec: TaskRecord): void {
    if (!rec.service) return;
    const svc = this.ecs.service(rec.cluster, rec.service);
    if (!svc.cloudMapServiceId) return;
    const family = rec.task.taskDefinitionArn!.split("task-definition/")[1]!.split(":")[0]!;
    const attributes: Record<string, string> = {
      AWS_INSTANCE_IPV4: rec.ip,
      AVAILABILITY_ZONE: rec.task.availabilityZone!,
      REGION: this.region,
      ECS_SERVICE_NAME: rec.service,
      ECS_CLUSTER_NAME: rec.cluster,
      ECS_TASK_DEFINITION_FAMILY: family,
    };
    const firstPort = rec.networkMode === "awsvpc" ? this.firstContainerPort(rec) : rec.bindings[0]?.hostPort;
    if (firstPort !== undefined) attributes.AWS_INSTANCE_PORT = String(firstPort);
    if (rec.ec2InstanceId) attributes.EC2_INSTANCE_ID = rec.ec2InstanceId;
    const health: InstanceHealth = rec.task.healthStatus === "UNHEALTHY" ? "UNHEALTHY" : "HEALTHY";
    this.cloudMap.registerInstance(svc.cloudMapServiceId, rec.id, attributes, health);
    rec.registeredIn = svc.cloudMapServiceId;
  }

  private firstContainerPort(rec: TaskRecord): number | undefined {
    const td = this.ecs.taskDefinition(rec.task.taskDefinitionArn!);
    return td.containerDefinitions?.flatMap((d) => d.portMappings ?? [])[0]?.containerPort;
  }

  private deregisterTask(rec: TaskRecord): void {
    const serviceId = rec.registeredIn!;
    delete rec.registeredIn;
    try {
      this.cloudMap.deregisterInstance(serviceId, rec.id);
    } catch (e) {
      // Deregistered by hand (DeregisterInstance) or the service was deleted: nothing to do.
      if (!(e instanceof AwsError)) throw e;
    }
  }

  private releasePorts(rec: TaskRecord): void {
    if (!rec.containerInstanceId) return;
    const ci = this.ecs.cluster(rec.cluster).containerInstances.find((x) => x.id === rec.containerInstanceId);
    for (const b of rec.bindings) ci?.usedHostPorts.delete(b.hostPort);
  }

  private emit(rec: TaskRecord, previousStatus: TaskStatus | undefined): void {
    if (this.listeners.size === 0) return;
    const change: TaskChange = {
      task: cloneTask(rec.task),
      taskId: rec.id,
      clusterName: rec.cluster,
      version: rec.task.version ?? 0,
      lastStatus: rec.task.lastStatus as TaskStatus,
    };
    if (rec.service !== undefined) change.serviceName = rec.service;
    if (previousStatus !== undefined) change.previousStatus = previousStatus;
    for (const l of this.listeners) l(change);
  }

  // ---- services -----------------------------------------------------------------------

  /** Starts or stops tasks so that the service has `count` tasks that are not stopping. */
  setDesiredCount(cluster: string, service: string, count: number): { started: Task[]; stopped: Task[] } {
    const svc = this.ecs.service(cluster, service);
    svc.desiredCount = count;
    const live = this.liveTasks(cluster, service);
    const started: Task[] = [];
    const stopped: Task[] = [];
    for (let i = live.length; i < count; i++) started.push(this.startTask(cluster, service));
    for (const rec of live.slice(count)) stopped.push(this.stopTask(rec.id, "Scaling activity initiated by user"));
    return { started, stopped };
  }

  /**
   * Rolls a service to a new task-definition revision of the same family (registered
   * if missing): starts `desiredCount` new tasks, then stops every older task.
   */
  deployService(
    cluster: string,
    service: string,
    newRevision?: number,
    opts: DeployOptions = {},
  ): { taskDefinitionArn: string; started: Task[]; stopped: Task[] } {
    const svc = this.ecs.service(cluster, service);
    const current = this.ecs.taskDefinition(svc.taskDefinitionArn);
    let td: TaskDefinition | undefined;
    if (newRevision !== undefined && !opts.containers) td = this.ecs.taskDefinitions.get(`${current.family}:${newRevision}`);
    if (!td) {
      td = this.ecs.registerTaskDefinition({
        family: current.family!,
        ...(newRevision !== undefined ? { revision: newRevision } : {}),
        networkMode: svc.networkMode,
        launchType: svc.launchType,
        containers:
          opts.containers ??
          (current.containerDefinitions ?? []).map((d) => ({ name: d.name!, image: d.image!, ports: (d.portMappings ?? []).map((p) => p.containerPort!) })),
      });
    }
    const old = this.liveTasks(cluster, service);
    svc.taskDefinitionArn = td.taskDefinitionArn!;
    const started: Task[] = [];
    for (let i = 0; i < svc.desiredCount; i++) started.push(this.startTask(cluster, service));
    const stopped = old.map((rec) => this.stopTask(rec.id, "Scaling activity initiated by deployment"));
    return { taskDefinitionArn: td.taskDefinitionArn!, started, stopped };
  }

  private liveTasks(cluster: string, service: string): TaskRecord[] {
    return [...this.ecs.cluster(cluster).tasks.values()].filter(
      (r) => r.service === service && rank(r.task.lastStatus) < DEACTIVATING && r.task.desiredStatus === "RUNNING",
    );
  }

  /** Sets the tags of the Cloud Map service an ECS service registers in (replacing them by default). */
  setServiceTags(cluster: string, service: string, tags: Record<string, string>, opts: { replace?: boolean } = {}): void {
    this.cloudMap.setTags(this.cloudMapServiceFor(cluster, service).id, tags, opts.replace ?? true);
  }

  /** Registers (or replaces) a Cloud Map instance, as RegisterInstance does. */
  registerInstance(serviceRef: string, instanceId: string, attributes: Record<string, string>, health: InstanceHealth = "HEALTHY"): void {
    this.cloudMap.registerInstance(serviceRef, instanceId, attributes, health);
  }

  deregisterInstance(serviceRef: string, instanceId: string): void {
    this.cloudMap.deregisterInstance(serviceRef, instanceId);
  }
}
