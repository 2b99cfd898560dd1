// The simulated account's records: what state.ts and the stores under state/ keep and
// the service handlers read (Cloud Map, ECS, EC2, S3, SSM, RDS and ElastiCache).
// ECS shapes reuse the SDK's own types, so what DescribeTasks returns is exactly the
// shape the SDK deserializes (timestamps are Dates here, epoch seconds on the wire).
import type { Task, TaskDefinition } from "@aws-sdk/client-ecs";

export type NamespaceType = "DNS_PRIVATE" | "DNS_PUBLIC" | "HTTP";
export type InstanceHealth = "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
export type LaunchType = "FARGATE" | "EC2";
export type NetworkMode = "awsvpc" | "bridge" | "host";

/** ECS lastStatus values, in lifecycle order. */
export const TASK_STATUSES = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface NamespaceRecord {
  id: string;
  arn: string;
  name: string;
  type: NamespaceType;
  description?: string;
  createDate: Date;
  creatorRequestId?: string;
  /** Route 53 hosted zone id, DNS namespaces only. */
  hostedZoneId?: string;
  tags: Record<string, string>;
}

export interface InstanceRecord {
  id: string;
  attributes: Record<string, string>;
  health: InstanceHealth;
}

export interface CloudMapServiceRecord {
  id: string;
  arn: string;
  name: string;
  namespaceId: string;
  type: "HTTP" | "DNS_HTTP" | "DNS";
  description?: string;
  createDate: Date;
  creatorRequestId?: string;
  tags: Record<string, string>;
  /** Services created by ECS have a custom health check (ECS reports task health). */
  healthCheckCustom: boolean;
  dnsTtl: number;
  instances: Map<string, InstanceRecord>;
}

export interface ContainerInstanceRecord {
  id: string;
  arn: string;
  ec2InstanceId: string;
  privateIp: string;
  availabilityZone: string;
  subnetId: string;
  registeredAt: Date;
  /** Next ephemeral host port for bridge-mode bindings (32768-60999). */
  nextHostPort: number;
  usedHostPorts: Set<number>;
}

export interface EcsServiceRecord {
  name: string;
  arn: string;
  cluster: string;
  taskDefinitionArn: string;
  desiredCount: number;
  launchType: LaunchType;
  networkMode: NetworkMode;
  createdAt: Date;
  /** The Cloud Map service the tasks register in (serviceRegistries[0]). */
  cloudMapServiceId?: string;
  /** Health reported for new tasks (ECS healthStatus). */
  taskHealth: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
}

export interface ClusterRecord {
  name: string;
  arn: string;
  createdAt: Date;
  containerInstances: ContainerInstanceRecord[];
  services: Map<string, EcsServiceRecord>;
  /** Tasks by id, in start order. */
  tasks: Map<string, TaskRecord>;
  /** Round-robin cursor for placing EC2 tasks. */
  placement: number;
}

export interface PortBindingRecord {
  containerName: string;
  containerPort: number;
  hostPort: number;
}

export interface TaskRecord {
  id: string;
  cluster: string;
  service?: string;
  /** The ECS API shape (what DescribeTasks returns), kept current on every change. */
  task: Task;
  /** ENI IP (awsvpc) or the container instance's IP (bridge/host). */
  ip: string;
  networkMode: NetworkMode;
  containerInstanceId?: string;
  ec2InstanceId?: string;
  bindings: PortBindingRecord[];
  /** The Cloud Map service this task is registered in right now, if any. */
  registeredIn?: string;
  /** The healthStatus the task reports once RUNNING. */
  healthOnRunning: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
}

export interface Ec2InstanceRecord {
  instanceId: string;
  privateIp: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  instanceType: string;
  launchTime: Date;
}

export interface ObjectRecord {
  body: Buffer;
  /** Quoted md5 hex, as S3 returns it. */
  etag: string;
  contentType: string;
  contentEncoding?: string;
  metadata: Record<string, string>;
  lastModified: Date;
  /** Base64 CRC32 sent by the client, returned when checksum mode is enabled. */
  checksumCrc32?: string;
}

export interface ParameterVersion {
  version: number;
  value: string;
  lastModified: Date;
}

export interface ParameterRecord {
  name: string;
  type: "String" | "StringList" | "SecureString";
  value: string;
  version: number;
  tier: "Standard" | "Advanced" | "Intelligent-Tiering";
  dataType: string;
  description?: string;
  lastModified: Date;
  history: ParameterVersion[];
}

/** What a scenario says of an RDS instance, Aurora cluster or cache cluster; the stores default the rest. */
export interface DatabaseInput {
  id: string;
  engine?: string;
  engineVersion?: string;
  status?: string;
  tags?: Record<string, string>;
}

export interface RdsInstanceRecord {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  status: string;
  /** The Aurora cluster this instance is a member of. */
  clusterId?: string;
  tags: Record<string, string>;
  createdAt: Date;
  availabilityZone: string;
  resourceId: string;
}

export interface RdsClusterRecord {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  status: string;
  tags: Record<string, string>;
  createdAt: Date;
  resourceId: string;
}

export interface CacheNodeRecord {
  /** `0001`, `0002`, ... */
  id: string;
  status: string;
  createdAt: Date;
  availabilityZone: string;
}

export interface CacheClusterRecord {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  nodeType: string;
  status: string;
  replicationGroupId?: string;
  nodes: CacheNodeRecord[];
  tags: Record<string, string>;
  createdAt: Date;
}

/** What onChange listeners receive for every task change. */
export interface TaskChange {
  /** A deep copy of the task in its ECS API shape after the change. */
  task: Task;
  taskId: string;
  clusterName: string;
  serviceName?: string;
  /** `task.version` after the change. */
  version: number;
  previousStatus?: TaskStatus;
  lastStatus: TaskStatus;
}

/** What onCloudMapChange listeners receive (a later engineer turns these into CloudTrail events). */
export interface CloudMapChange {
  action: "RegisterInstance" | "DeregisterInstance" | "CreateService" | "TagResource" | "UpdateInstanceCustomHealthStatus";
  serviceId: string;
  serviceArn: string;
  instanceId?: string;
  time: Date;
}

export type { Task, TaskDefinition };

/** A temporary session issued by sts:AssumeRole (state/sts.ts). */
export interface StsSessionRecord {
  /** `ASIA` + 16 characters, as AWS's temporary keys. */
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  sessionName: string;
  externalId?: string;
  /** `AROA...:SESSION`. */
  assumedRoleId: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  arn: string;
  issuedAt: Date;
  expiration: Date;
  /** Set by StsStore.revokeSessions (IAM's "Revoke active sessions"). */
  revoked: boolean;
}
