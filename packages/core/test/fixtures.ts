// Builders for discovery facts used by the core's unit tests.
import type { CloudMapInstance, DiscoveredService, EcsTaskFacts } from "../src";

export function task(id: string, over: Partial<EcsTaskFacts> = {}): EcsTaskFacts {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/${id}`,
    taskId: id,
    clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
    clusterName: "prod",
    serviceName: "web",
    taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
    family: "web",
    revision: 7,
    launchType: "FARGATE",
    availabilityZone: "eu-west-1a",
    lastStatus: "RUNNING",
    networkMode: "awsvpc",
    taskIp: `10.0.0.${id.length}`,
    bindings: [],
    ...over,
  };
}

export function instance(id: string, ip: string, ecs = true): CloudMapInstance {
  const attributes: Record<string, string> = { AWS_INSTANCE_IPV4: ip, AWS_INSTANCE_PORT: "8080" };
  if (ecs) Object.assign(attributes, { ECS_CLUSTER_NAME: "prod", ECS_SERVICE_NAME: "web", ECS_TASK_DEFINITION_FAMILY: "web" });
  return { id, attributes };
}

export function service(
  name: string,
  tags: Record<string, string>,
  instances: CloudMapInstance[],
  tasks: Record<string, EcsTaskFacts | undefined>,
  ns = { id: "ns-1", name: "internal.local", type: "DNS_PRIVATE" },
): DiscoveredService {
  return {
    namespace: ns,
    service: {
      id: `srv-${name}`,
      arn: `arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-${name}`,
      name,
      namespaceId: ns.id,
      namespaceName: ns.name,
      tags,
    },
    instances,
    tasks,
  };
}
