// Where Prometheus reaches one endpoint of one registered task. Pure.
// awsvpc (Fargate or EC2): the task's ENI IP and the container port from the tag.
// bridge / host (EC2): the container instance's IP and the host port ECS bound to that
// container port (the task's networkBindings); host mode binds the same port.
// An instance registered by something other than ECS: Cloud Map's AWS_INSTANCE_IPV4.
import type { CloudMapInstance, EcsTaskFacts } from "./types";
import type { Endpoint } from "./tags";

export type Address = { ok: true; ip: string; port: number } | { ok: false; reason: string };

export const ECS_ATTRIBUTE = "ECS_CLUSTER_NAME";

/** True when ECS registered this instance (instance id = task id). */
export function isEcsInstance(instance: CloudMapInstance): boolean {
  return instance.attributes[ECS_ATTRIBUTE] !== undefined;
}

export function resolveAddress(instance: CloudMapInstance, task: EcsTaskFacts | undefined, endpoint: Endpoint): Address {
  const registeredIp = instance.attributes.AWS_INSTANCE_IPV4;
  if (!task) {
    if (!registeredIp) return { ok: false, reason: `instance ${instance.id} has no AWS_INSTANCE_IPV4 attribute` };
    return { ok: true, ip: registeredIp, port: endpoint.port };
  }
  if (task.taskIp && (task.networkMode === undefined || task.networkMode === "awsvpc")) {
    return { ok: true, ip: task.taskIp, port: endpoint.port };
  }
  const hostIp = task.hostIp ?? registeredIp;
  if (!hostIp) return { ok: false, reason: `task ${task.taskId} has no host IP (container instance unknown)` };
  const binding = task.bindings.find((b) => b.containerPort === endpoint.port && (b.protocol ?? "tcp") === "tcp");
  if (binding) return { ok: true, ip: hostIp, port: binding.hostPort };
  if (task.networkMode === "host") return { ok: true, ip: hostIp, port: endpoint.port };
  return { ok: false, reason: `task ${task.taskId} has no host port bound to container port ${endpoint.port}` };
}
