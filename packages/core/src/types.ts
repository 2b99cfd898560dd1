// Discovery facts (what the AWS adapters find) and the published artifacts (what the
// pure core builds from them). This module owns the shapes shared by every package;
// it holds types only, no logic.

/** A Prometheus file_sd / http_sd target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The file_sd document: a JSON array of target groups. */
export type TargetDocument = TargetGroup[];

export type NamespaceType = "DNS_PRIVATE" | "DNS_PUBLIC" | "HTTP";

export interface CloudMapNamespace {
  id: string;
  name: string;
  arn?: string;
  type: NamespaceType | string;
}

export interface CloudMapService {
  id: string;
  arn: string;
  name: string;
  namespaceId: string;
  namespaceName: string;
  tags: Record<string, string>;
}

export interface CloudMapInstance {
  /** For ECS registrations this is the task id. */
  id: string;
  attributes: Record<string, string>;
}

export interface PortBinding {
  containerPort: number;
  hostPort: number;
  protocol?: string;
  containerName?: string;
}

/** The facts about one ECS task that labels and addresses are built from. */
export interface EcsTaskFacts {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  clusterName: string;
  /** ECS service name (from `group` "service:NAME"), when the task belongs to one. */
  serviceName?: string;
  /** The task's `group` as ECS reports it: "service:NAME", or "family:NAME" for a standalone task. */
  group?: string;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  launchType?: string;
  /** Fargate's platform: `platformFamily` (e.g. "Linux") and `platformVersion` (e.g. "1.4.0"). */
  platformFamily?: string;
  platformVersion?: string;
  availabilityZone?: string;
  lastStatus: string;
  desiredStatus?: string;
  healthStatus?: string;
  networkMode?: string;
  /** The task's own IP (awsvpc ENI). */
  taskIp?: string;
  /** The subnet of the task's ENI (awsvpc). */
  subnetId?: string;
  /** The container instance's IP (bridge / host network mode on EC2). */
  hostIp?: string;
  containerInstanceArn?: string;
  bindings: PortBinding[];
  /** ECS's per-task change counter (DescribeTasks `version`, the event's `detail.version`). */
  version?: number;
  /** EC2 instance id behind containerInstanceArn (EC2 launch type). */
  ec2InstanceId?: string;
  /**
   * The EC2 instance type behind containerInstanceArn ("m5.large"). Never stored with the
   * task: the document builder (core's toDiscovery, the audit's withContainerInstances)
   * takes it from the state's container-instance cache, so a task applied by an event and
   * one merged from a full discovery get the same label.
   */
  ec2InstanceType?: string;
}

/**
 * What the reconciler keeps of one container instance (ECS on EC2), read once with
 * DescribeContainerInstances and DescribeInstances (@scrape-reconciler/discovery's
 * container-instances.ts) and cached in the state: none of it changes during the
 * instance's life.
 */
export interface ContainerInstanceFacts {
  /** The EC2 instance's private IP: bridge and host tasks are scraped at it. */
  ip: string;
  ec2InstanceId?: string;
  /**
   * DescribeInstances' InstanceType ("m5.large"); "" when EC2 reported none. Absent in an
   * entry cached before it was kept: the next full reconcile reads it (once).
   */
  instanceType?: string;
}

/** Everything discovered for one opted-in Cloud Map service. */
export interface DiscoveredService {
  namespace: CloudMapNamespace;
  service: CloudMapService;
  instances: CloudMapInstance[];
  /** Task facts keyed by task id; a missing entry means ECS did not describe that instance. */
  tasks: Record<string, EcsTaskFacts | undefined>;
}

/**
 * A part of the account whose discovery failed: its last published targets are kept.
 * scope "service": one Cloud Map service (id = service id); scope "namespace": a whole
 * namespace whose service listing failed (id = namespace id).
 */
export interface FailedScope {
  scope: "service" | "namespace";
  id: string;
  name: string;
  namespaceName?: string;
  /** The AWS operation that failed, e.g. "ecs:DescribeTasks". */
  operation: string;
  error: string;
}

export interface Discovery {
  services: DiscoveredService[];
  failed: FailedScope[];
  /** Number of Cloud Map services seen (opted in or not). */
  servicesSeen: number;
  namespacesSeen: number;
}

/** An endpoint excluded because of a bad tag or a missing port binding. */
export interface SkippedEndpoint {
  serviceId: string;
  serviceName: string;
  namespaceName: string;
  tag: string;
  value: string;
  reason: string;
}

/**
 * The health of one source (cloudmap, ecs) in the manifest, as a reader sees it. This
 * version writes only "ok" and "partial" (WrittenSourceHealth): a source whose calls all
 * failed either makes the discovery fail (nothing is published, so no manifest is written:
 * README guarantee G1) or leaves its parts with their last targets, which is "partial".
 * "failed" stays in the manifest format so that a reader handling it keeps type-checking.
 */
export interface SourceHealth {
  status: "ok" | "partial" | "failed";
  errors: number;
}

/** What this version writes into the manifest: "ok", or "partial" with the failed calls counted. */
export interface WrittenSourceHealth extends SourceHealth {
  status: "ok" | "partial";
}

/** The SSM manifest. It never holds the target list. */
export interface Manifest {
  schemaVersion: 1;
  generation: number;
  sha256: string;
  bucket: string;
  key: string;
  etag: string;
  targets: number;
  groups: number;
  services: number;
  generatedAt: string;
  sources: Record<string, SourceHealth>;
  /** Up to 20 names of services whose last targets were kept after an error. */
  failedServices: string[];
  skippedEndpoints: number;
  /**
   * The shard index (core's shards.ts) of the newest publication, when there is one. The
   * fields above describe the single document, which an event batch no longer rewrites when
   * the single document is published by the full reconcile only (PUBLISH_SINGLE_DOCUMENT):
   * a sidecar following the manifest follows this index, whose generation goes up with
   * every change.
   */
  index?: ManifestIndex;
}

/** The manifest's pointer to the shard index: what a sidecar needs to decide to fetch it. */
export interface ManifestIndex {
  key: string;
  generation: number;
  /** Of the combined document the index describes (the index's own `sha256`). */
  sha256: string;
  etag: string;
}
