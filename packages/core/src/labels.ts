// The labels of one target: the old sidecar's compatibility labels (cluster, service,
// taskdefinition, namespace, taskid, instance = ip:port), __metrics_path__/__scheme__,
// and __meta_ecs_* / __meta_cloudmap_* labels for relabelling. Pure. Empty values are
// left out (in file_sd an empty label is the same as no label).
import type { CloudMapInstance, CloudMapNamespace, CloudMapService, EcsTaskFacts } from "./types";
import type { Endpoint } from "./tags";

/** The label that ties a target group to its Cloud Map service (used to keep targets after an error). */
export const SERVICE_ID_LABEL = "__meta_cloudmap_service_id";
export const NAMESPACE_ID_LABEL = "__meta_cloudmap_namespace_id";

export interface LabelInput {
  namespace: CloudMapNamespace;
  service: CloudMapService;
  instance: CloudMapInstance;
  task: EcsTaskFacts | undefined;
  endpoint: Endpoint;
  ip: string;
  port: number;
}

export function buildLabels(input: LabelInput): Record<string, string> {
  const { namespace, service, instance, task, endpoint, ip, port } = input;
  const attr = instance.attributes;
  const family = task?.family ?? attr.ECS_TASK_DEFINITION_FAMILY;
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
  };
  const labels: Record<string, string> = {};
  for (const key of Object.keys(raw).sort()) {
    const v = raw[key];
    if (v !== undefined && v !== "") labels[key] = v;
  }
  return labels;
}
