// The labels of one target: the old sidecar's compatibility labels (cluster, service,
// taskdefinition, namespace, taskid, instance = ip:port), __metrics_path__/__scheme__,
// and __meta_ecs_* / __meta_cloudmap_* labels for relabelling. The __meta_ecs_* labels
// include, with the same names and values, those of Prometheus' own ECS discovery
// (`aws_sd_configs` role `ecs`, discovery/aws/ecs.go) that the task's facts and the
// state's container-instance cache hold (no AWS call per target); the Cloud Map service's tags are __meta_cloudmap_service_tag_<name>,
// the name sanitised as Prometheus sanitises tag names. Pure. Empty values are left out
// (in file_sd an empty label is the same as no label).
import { compareText } from "./order";
import type { Endpoint } from "./tags";
import type { CloudMapInstance, CloudMapNamespace, CloudMapService, EcsTaskFacts } from "./types";

/** The label that ties a target group to its Cloud Map service (used to keep targets after an error). */
export const SERVICE_ID_LABEL = "__meta_cloudmap_service_id";
export const NAMESPACE_ID_LABEL = "__meta_cloudmap_namespace_id";
/** The prefix of the Cloud Map service's tag labels: `__meta_cloudmap_service_tag_team`. */
export const SERVICE_TAG_LABEL_PREFIX = "__meta_cloudmap_service_tag_";

export interface LabelInput {
  namespace: CloudMapNamespace;
  service: CloudMapService;
  instance: CloudMapInstance;
  task: EcsTaskFacts | undefined;
  endpoint: Endpoint;
  ip: string;
  port: number;
}

export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE" in its parts; undefined for anything else. */
export function parseArn(arn: string): ArnParts | undefined {
  const m = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}

/**
 * The ECS service's ARN in the long format AWS gives every service since 2021:
 * arn:PARTITION:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE, from the cluster's ARN
 * (arn:PARTITION:ecs:REGION:ACCOUNT:cluster/CLUSTER). A service created before 2021 and
 * never migrated keeps its short ARN (service/SERVICE), which only DescribeServices tells.
 */
export function ecsServiceArn(clusterArn: string, serviceName: string): string | undefined {
  const arn = parseArn(clusterArn);
  if (arn?.service !== "ecs" || !arn.resource.startsWith("cluster/")) return undefined;
  const cluster = arn.resource.slice("cluster/".length);
  return `arn:${arn.partition}:ecs:${arn.region}:${arn.account}:service/${cluster}/${serviceName}`;
}

/**
 * A tag name as a label-name suffix, as Prometheus' strutil.SanitizeLabelName makes it:
 * every character outside [a-zA-Z0-9_] becomes "_" (one "_" per character, so per code
 * point, as Go's regexp replaces per rune: "ñ" or "😀" is one "_").
 */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/gu, "_");
}

/**
 * The service's tags as __meta_cloudmap_service_tag_<sanitised name> labels. Tags with an
 * empty value give no label (file_sd: empty is absent). Two tags whose names sanitise to
 * the same label: the one whose name needs no sanitising wins (`team_name` over
 * `team-name`), else the name first in code-unit order (`team-name` over `team.name`);
 * the other is left out. Prometheus itself keeps whichever its map iteration gives last.
 */
export function serviceTagLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
  const chosen = new Map<string, { key: string; value: string }>();
  const better = (a: string, b: string, label: string) => {
    const exactA = a === label;
    const exactB = b === label;
    return exactA !== exactB ? exactA : compareText(a, b) < 0;
  };
  for (const [key, value] of Object.entries(tags)) {
    if (value === "") continue;
    const suffix = sanitizeLabelName(key);
    const held = chosen.get(suffix);
    if (!held || better(key, held.key, suffix)) chosen.set(suffix, { key, value });
  }
  const out: Record<string, string> = {};
  for (const [suffix, { value }] of chosen) out[`${SERVICE_TAG_LABEL_PREFIX}${suffix}`] = value;
  return out;
}

/**
 * What every target of one Cloud Map service shares: its tag labels and its ARN's account
 * and region, computed once per service object (a full reconcile labels thousands of
 * targets of a few hundred services). Keyed by the object: a changed service is a new one.
 */
const SERVICE_PARTS = new WeakMap<CloudMapService, { tagLabels: Record<string, string>; account?: string; region?: string }>();

function serviceParts(service: CloudMapService) {
  let parts = SERVICE_PARTS.get(service);
  if (!parts) {
    const arn = parseArn(service.arn);
    parts = { tagLabels: serviceTagLabels(service.tags), ...(arn ? { account: arn.account, region: arn.region } : {}) };
    SERVICE_PARTS.set(service, parts);
  }
  return parts;
}

/** A cluster ARN's region and, per service name, the ECS service ARN; a few clusters, many tasks. */
const CLUSTERS = new Map<string, { region?: string; services: Map<string, string | undefined> }>();
const MAX_CLUSTERS = 1000;

function clusterParts(clusterArn: string) {
  let c = CLUSTERS.get(clusterArn);
  if (!c) {
    if (CLUSTERS.size >= MAX_CLUSTERS) CLUSTERS.clear();
    const region = parseArn(clusterArn)?.region;
    c = { ...(region !== undefined ? { region } : {}), services: new Map() };
    CLUSTERS.set(clusterArn, c);
  }
  return c;
}

function serviceArnOf(clusterArn: string, serviceName: string): string | undefined {
  const services = clusterParts(clusterArn).services;
  if (!services.has(serviceName)) services.set(serviceName, ecsServiceArn(clusterArn, serviceName));
  return services.get(serviceName);
}

/** True when the target's address is the task's host (bridge or host mode on EC2), as resolveAddress decides. */
function scrapedOnHost(task: EcsTaskFacts): boolean {
  return !(task.taskIp && (task.networkMode === undefined || task.networkMode === "awsvpc"));
}

/** The labels Prometheus' ECS discovery gives a task that the task's facts hold (README: the published document). */
function ecsSdLabels(task: EcsTaskFacts | undefined, ip: string): Record<string, string | undefined> {
  if (!task) return {};
  const onHost = scrapedOnHost(task) && task.containerInstanceArn !== undefined;
  return {
    __meta_ecs_cluster: task.clusterName,
    __meta_ecs_service: task.serviceName,
    __meta_ecs_service_arn: task.serviceName ? serviceArnOf(task.clusterArn, task.serviceName) : undefined,
    // Facts stored before `group` was kept: a service name came only from "service:NAME".
    __meta_ecs_task_group: task.group ?? (task.serviceName ? `service:${task.serviceName}` : undefined),
    __meta_ecs_task_definition: task.taskDefinitionArn,
    __meta_ecs_region: clusterParts(task.clusterArn).region,
    __meta_ecs_subnet_id: task.subnetId,
    __meta_ecs_ip_address: ip,
    __meta_ecs_platform_family: task.platformFamily,
    __meta_ecs_platform_version: task.platformVersion,
    // Bridge and host tasks are scraped at their EC2 instance's private IP.
    __meta_ecs_ec2_instance_private_ip: onHost ? ip : undefined,
    // From the state's container-instance cache (toDiscovery), EC2 launch type only.
    __meta_ecs_ec2_instance_type: task.ec2InstanceType,
  };
}

export function buildLabels(input: LabelInput): Record<string, string> {
  const { namespace, service, instance, task, endpoint, ip, port } = input;
  const attr = instance.attributes;
  const family = task?.family ?? attr.ECS_TASK_DEFINITION_FAMILY;
  const serviceArn = serviceParts(service);
  // No object spread: spreading the tag and ECS labels into this literal made V8 build
  // every target's object on its slow path (about 60 µs a target, most of a full
  // reconcile's CPU). The three sources are merged by key instead, with the same
  // precedence the spread had: these keys over the ECS discovery's, those over the tags'.
  const raw: Record<string, string | undefined> = {
    cluster: task?.clusterName ?? attr.ECS_CLUSTER_NAME,
    service: task?.serviceName ?? attr.ECS_SERVICE_NAME ?? service.name,
    taskdefinition: task ? `${task.family}:${task.revision}` : family,
    namespace: namespace.name,
    taskid: task?.taskId ?? (attr.ECS_CLUSTER_NAME ? instance.id : undefined),
    instance: `${ip.includes(":") ? `[${ip}]` : ip}:${port}`,
    __metrics_path__: endpoint.path,
    __scheme__: endpoint.scheme,
    __meta_ecs_endpoint: endpoint.role,
    __meta_ecs_container_port: String(endpoint.port),
    __meta_ecs_cluster_arn: task?.clusterArn,
    __meta_ecs_task_arn: task?.taskArn,
    __meta_ecs_task_definition_arn: task?.taskDefinitionArn,
    __meta_ecs_task_definition_family: family,
    __meta_ecs_task_definition_revision: task ? String(task.revision) : undefined,
    __meta_ecs_launch_type: task?.launchType,
    __meta_ecs_availability_zone: task?.availabilityZone ?? attr.AVAILABILITY_ZONE,
    __meta_ecs_network_mode: task?.networkMode,
    __meta_ecs_container_instance_arn: task?.containerInstanceArn,
    __meta_ecs_ec2_instance_id: task?.ec2InstanceId ?? attr.EC2_INSTANCE_ID,
    __meta_cloudmap_namespace_id: namespace.id,
    __meta_cloudmap_namespace_name: namespace.name,
    __meta_cloudmap_namespace_type: namespace.type,
    __meta_cloudmap_service_id: service.id,
    __meta_cloudmap_service_name: service.name,
    __meta_cloudmap_instance_id: instance.id,
    __meta_cloudmap_account_id: serviceArn?.account,
    __meta_cloudmap_region: serviceArn?.region,
  };
  const ecs = ecsSdLabels(task, ip);
  const tags = serviceArn.tagLabels;
  const keys = Object.keys(raw);
  for (const k of Object.keys(ecs)) if (!(k in raw)) keys.push(k);
  for (const k of Object.keys(tags)) if (!(k in raw) && !(k in ecs)) keys.push(k);
  keys.sort();
  const labels: Record<string, string> = {};
  for (const key of keys) {
    const v = key in raw ? raw[key] : key in ecs ? ecs[key] : tags[key];
    if (v !== undefined && v !== "") labels[key] = v;
  }
  return labels;
}
