// ECS part of the account: clusters, container instances (and the EC2 instances behind
// them), task definitions and services. Task lifecycles live in state.ts, which also
// keeps Cloud Map in step; this module only creates and looks up records.
import type { ContainerDefinition, TaskDefinition } from "@aws-sdk/client-ecs";
import { AwsError } from "../errors";
import { arnTail, arns, type ArnContext, type IdSource, type IpAllocator } from "../ids";
import type { ClusterRecord, ContainerInstanceRecord, Ec2InstanceRecord, EcsServiceRecord, LaunchType, NetworkMode } from "../model";

export interface ContainerSpec {
  name: string;
  image?: string;
  /** Container ports, in order; the first one of the first container is the Cloud Map port. */
  ports: number[];
  essential?: boolean;
}

export interface TaskDefinitionInput {
  family: string;
  revision?: number;
  networkMode: NetworkMode;
  launchType: LaunchType;
  containers: ContainerSpec[];
  cpu?: string;
  memory?: string;
}

export interface ContainerInstanceInput {
  ec2InstanceId?: string;
  privateIp?: string;
  availabilityZone?: string;
}

export interface CreateEcsServiceInput {
  cluster: string;
  name: string;
  taskDefinitionArn: string;
  desiredCount: number;
  launchType: LaunchType;
  cloudMapServiceId?: string;
  taskHealth?: EcsServiceRecord["taskHealth"];
}

export class EcsStore {
  readonly clusters = new Map<string, ClusterRecord>();
  /** By `family:revision`. */
  readonly taskDefinitions = new Map<string, TaskDefinition>();
  readonly ec2Instances = new Map<string, Ec2InstanceRecord>();
  readonly azs: string[];
  readonly subnets: string[];
  readonly vpcId: string;
  private fargateAz = 0;

  constructor(
    private readonly ctx: ArnContext,
    private readonly ids: IdSource,
    readonly ips: IpAllocator,
    private readonly now: () => Date,
  ) {
    this.azs = ["a", "b", "c"].map((s) => ctx.region + s);
    this.vpcId = ids.ec2("vpc-");
    this.subnets = this.azs.map(() => ids.ec2("subnet-"));
  }

  /** The next AZ and its subnet, round robin (Fargate placement). */
  nextAz(): { az: string; subnetId: string } {
    const i = this.fargateAz++ % this.azs.length;
    return { az: this.azs[i]!, subnetId: this.subnets[i]! };
  }

  createCluster(name: string): ClusterRecord {
    if (this.clusters.has(name)) throw new AwsError("InvalidParameterException", `Cluster ${name} already exists`);
    const c: ClusterRecord = {
      name,
      arn: arns.cluster(this.ctx, name),
      createdAt: this.now(),
      containerInstances: [],
      services: new Map(),
      tasks: new Map(),
      placement: 0,
    };
    this.clusters.set(name, c);
    return c;
  }

  /** By name or ARN; a missing name means `default`, as ECS does. */
  cluster(ref: string | undefined): ClusterRecord {
    const name = arnTail(ref ?? "default");
    const c = this.clusters.get(name);
    if (!c) throw new AwsError("ClusterNotFoundException", "Cluster not found.");
    return c;
  }

  addContainerInstance(clusterRef: string, input: ContainerInstanceInput = {}): ContainerInstanceRecord {
    const cluster = this.cluster(clusterRef);
    const i = cluster.containerInstances.length;
    const az = input.availabilityZone ?? this.azs[i % this.azs.length]!;
    const azIndex = Math.max(0, this.azs.indexOf(az));
    const id = this.ids.hex32("container-instance");
    const ci: ContainerInstanceRecord = {
      id,
      arn: arns.containerInstance(this.ctx, cluster.name, id),
      ec2InstanceId: input.ec2InstanceId ?? this.ids.ec2("i-"),
      privateIp: input.privateIp ?? this.ips.allocate(),
      availabilityZone: az,
      subnetId: this.subnets[azIndex]!,
      registeredAt: this.now(),
      nextHostPort: 32768,
      usedHostPorts: new Set(),
    };
    cluster.containerInstances.push(ci);
    this.ec2Instances.set(ci.ec2InstanceId, {
      instanceId: ci.ec2InstanceId,
      privateIp: ci.privateIp,
      availabilityZone: az,
      subnetId: ci.subnetId,
      vpcId: this.vpcId,
      instanceType: "m5.large",
      launchTime: ci.registeredAt,
    });
    return ci;
  }

  registerTaskDefinition(input: TaskDefinitionInput): TaskDefinition {
    let revision = input.revision;
    if (revision === undefined) {
      revision = 1;
      while (this.taskDefinitions.has(`${input.family}:${revision}`)) revision++;
    }
    const key = `${input.family}:${revision}`;
    if (this.taskDefinitions.has(key)) throw new AwsError("ClientException", `Task definition ${key} already exists`);
    const containerDefinitions: ContainerDefinition[] = input.containers.map((c) => ({
      name: c.name,
      image: c.image ?? `public.ecr.aws/example/${c.name}:latest`,
      cpu: 0,
      essential: c.essential ?? true,
      portMappings: c.ports.map((p) => ({
        containerPort: p,
        hostPort: input.networkMode === "bridge" ? 0 : p,
        protocol: "tcp",
      })),
      environment: [],
      mountPoints: [],
      volumesFrom: [],
    }));
    const td: TaskDefinition = {
      taskDefinitionArn: arns.taskDefinition(this.ctx, input.family, revision),
      family: input.family,
      revision,
      containerDefinitions,
      networkMode: input.networkMode,
      status: "ACTIVE",
      requiresCompatibilities: [input.launchType],
      compatibilities: input.launchType === "FARGATE" ? ["EC2", "FARGATE"] : ["EC2"],
      cpu: input.cpu ?? "256",
      memory: input.memory ?? "512",
      volumes: [],
      placementConstraints: [],
      registeredAt: this.now(),
      registeredBy: `arn:aws:iam::${this.ctx.accountId}:root`,
    };
    this.taskDefinitions.set(key, td);
    return td;
  }

  /** `family`, `family:revision` or a task-definition ARN; `family` alone is the latest ACTIVE revision. */
  taskDefinition(ref: string): TaskDefinition {
    const spec = ref.startsWith("arn:") ? ref.slice(ref.indexOf("task-definition/") + "task-definition/".length) : ref;
    const colon = spec.lastIndexOf(":");
    let td: TaskDefinition | undefined;
    if (colon > 0) td = this.taskDefinitions.get(spec);
    else {
      for (const d of this.taskDefinitions.values()) {
        if (d.family === spec && d.status === "ACTIVE" && (!td || d.revision! > td.revision!)) td = d;
      }
    }
    if (!td) throw new AwsError("ClientException", "Unable to describe task definition.");
    return td;
  }

  createService(input: CreateEcsServiceInput): EcsServiceRecord {
    const cluster = this.cluster(input.cluster);
    if (cluster.services.has(input.name)) {
      throw new AwsError("InvalidParameterException", `Creation of service was not idempotent: ${input.name}`);
    }
    const td = this.taskDefinition(input.taskDefinitionArn);
    const svc: EcsServiceRecord = {
      name: input.name,
      arn: arns.service(this.ctx, cluster.name, input.name),
      cluster: cluster.name,
      taskDefinitionArn: td.taskDefinitionArn!,
      desiredCount: input.desiredCount,
      launchType: input.launchType,
      networkMode: td.networkMode as NetworkMode,
      createdAt: this.now(),
      taskHealth: input.taskHealth ?? "HEALTHY",
    };
    if (input.cloudMapServiceId !== undefined) svc.cloudMapServiceId = input.cloudMapServiceId;
    cluster.services.set(input.name, svc);
    return svc;
  }

  /** By name or ARN within a cluster. */
  service(clusterRef: string | undefined, ref: string): EcsServiceRecord {
    const cluster = this.cluster(clusterRef);
    const svc = cluster.services.get(arnTail(ref));
    if (!svc) throw new AwsError("ServiceNotFoundException", "Service not found.");
    return svc;
  }
}
