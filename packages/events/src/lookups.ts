// The AWS reads an event may need before it can be applied, made once per unknown key
// and then kept in the state (so a warm or cold function alike reads nothing for the next
// event of the same service, container instance or task definition): ECS service ->
// Cloud Map registries (DescribeServices), container instance -> EC2 instance and IP
// (DescribeContainerInstances + DescribeInstances), task definition -> network mode, and
// the refresh of one Cloud Map service after a service-level API call.
// README guarantee G6, with the task definition cache of @scrape-reconciler/aws.
import { DescribeInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { DescribeContainerInstancesCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from "@aws-sdk/client-ecs";
import {
  GetNamespaceCommand,
  GetServiceCommand,
  ListTagsForResourceCommand,
  paginateListInstances,
  type Service,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import { DESCRIBE_TASKS_BATCH, describeTaskBatch, TaskDefinitionCache } from "@scrape-reconciler/aws";
import {
  registryKey,
  type CloudMapNamespace,
  type Lookups,
  type ReconcilerState,
  type StateService,
  type StateTask,
  type TagNames,
} from "@scrape-reconciler/core";
import { serviceIdFromArn } from "./normalize";

export interface LookupClients {
  servicediscovery: ServiceDiscoveryClient;
  ecs: ECSClient;
  ec2: EC2Client;
}

/** What the reads found; applied to the state inside the conditional-write loop. */
export interface LookupResults {
  registries: Record<string, string[]>;
  containerInstances: Record<string, { ip: string; ec2InstanceId?: string }>;
  taskDefinitions: Record<string, string>;
  /** Refreshed Cloud Map services; null = the service no longer exists. */
  services: Record<string, { service: StateService; namespace: CloudMapNamespace } | null>;
  /** Tasks behind a refreshed service's ECS instances that the state did not know. */
  tasks: Record<string, StateTask>;
  reads: number;
  /** When these reads were made (ISO 8601): the observation time of what they found. */
  observedAt: string;
}

export function emptyLookups(now: Date): LookupResults {
  return { registries: {}, containerInstances: {}, taskDefinitions: {}, services: {}, tasks: {}, reads: 0, observedAt: now.toISOString() };
}

export function applyLookups(state: ReconcilerState, r: LookupResults): void {
  Object.assign(state.registries, r.registries);
  Object.assign(state.containerInstances, r.containerInstances);
  Object.assign(state.taskDefinitions, r.taskDefinitions);
  for (const [id, found] of Object.entries(r.services)) {
    if (found === null) {
      delete state.services[id];
      continue;
    }
    state.namespaces[found.namespace.id] = found.namespace;
    state.services[id] = { ...found.service, ...(state.services[id]?.deregistered ? { deregistered: state.services[id]!.deregistered } : {}) };
  }
  for (const [id, t] of Object.entries(r.tasks)) {
    const known = state.tasks[id];
    if (!known || known.version < t.version) state.tasks[id] = t;
    if (t.facts.networkMode) state.taskDefinitions[t.facts.taskDefinitionArn] = t.facts.networkMode;
  }
}

function notFound(err: unknown): boolean {
  const name = (err as Error)?.name ?? "";
  return name === "ServiceNotFound" || name === "NamespaceNotFound" || name === "ResourceNotFoundException";
}

/** Reads one Cloud Map service as a full discovery would: its tags, and its instances when it opted in. */
export async function refreshService(c: LookupClients, state: ReconcilerState, serviceId: string, tagNames: TagNames, r: LookupResults): Promise<void> {
  if (serviceId in r.services) return;
  let svc: Service | undefined;
  try {
    r.reads += 1;
    svc = (await c.servicediscovery.send(new GetServiceCommand({ Id: serviceId }))).Service;
  } catch (err) {
    if (notFound(err)) {
      r.services[serviceId] = null;
      return;
    }
    throw err;
  }
  if (!svc?.Id || !svc.Arn || !svc.Name || !svc.NamespaceId) throw new Error(`GetService ${serviceId} returned no service`);
  let namespace = state.namespaces[svc.NamespaceId];
  if (!namespace) {
    r.reads += 1;
    const ns = (await c.servicediscovery.send(new GetNamespaceCommand({ Id: svc.NamespaceId }))).Namespace;
    namespace = { id: svc.NamespaceId, name: ns?.Name ?? svc.NamespaceId, arn: ns?.Arn, type: ns?.Type ?? "UNKNOWN" };
  }
  r.reads += 1;
  const tagList = (await c.servicediscovery.send(new ListTagsForResourceCommand({ ResourceARN: svc.Arn }))).Tags ?? [];
  const tags = Object.fromEntries(tagList.filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? ""]));
  const instances: Record<string, Record<string, string>> = {};
  if (tags[tagNames.port] !== undefined) {
    for await (const page of paginateListInstances({ client: c.servicediscovery, pageSize: 100 }, { ServiceId: svc.Id })) {
      r.reads += 1;
      for (const i of page.Instances ?? []) if (i.Id) instances[i.Id] = { ...(i.Attributes ?? {}) };
    }
  }
  r.services[serviceId] = { namespace, service: { id: svc.Id, arn: svc.Arn, name: svc.Name, namespaceId: svc.NamespaceId, tags, instances } };
  await describeUnknownTasks(c, state, instances, r);
}

/** The ECS tasks of newly listed instances, as a full discovery would describe them. */
async function describeUnknownTasks(
  c: LookupClients,
  state: ReconcilerState,
  instances: Record<string, Record<string, string>>,
  r: LookupResults,
): Promise<void> {
  const byCluster = new Map<string, string[]>();
  for (const [id, attrs] of Object.entries(instances)) {
    const cluster = attrs.ECS_CLUSTER_NAME;
    if (!cluster || state.tasks[id] || r.tasks[id]) continue;
    byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), id]);
  }
  const cache = new TaskDefinitionCache();
  for (const [arn, mode] of Object.entries({ ...state.taskDefinitions, ...r.taskDefinitions })) cache.prime(arn, mode);
  const observedAt = r.observedAt;
  for (const [cluster, ids] of byCluster) {
    for (let i = 0; i < ids.length; i += DESCRIBE_TASKS_BATCH) {
      r.reads += 1;
      const described = await describeTaskBatch(c.ecs, cache, cluster, ids.slice(i, i + DESCRIBE_TASKS_BATCH));
      for (const [id, facts] of described.tasks) r.tasks[id] = { version: facts.version ?? 0, observedAt, facts };
    }
  }
}

/** Performs the reads one event needs (those not already in the state or in `r`). */
export async function resolveLookups(c: LookupClients, state: ReconcilerState, need: Lookups, tagNames: TagNames, r: LookupResults): Promise<void> {
  if (need.service) await refreshService(c, state, need.service, tagNames, r);
  if (need.registry) {
    const key = registryKey(need.registry.cluster, need.registry.service);
    if (!(key in r.registries)) {
      r.reads += 1;
      const res = await c.ecs.send(new DescribeServicesCommand({ cluster: need.registry.cluster, services: [need.registry.service] }));
      const ids = (res.services?.[0]?.serviceRegistries ?? [])
        .map((s) => (s.registryArn ? serviceIdFromArn(s.registryArn) : undefined))
        .filter((id): id is string => id !== undefined)
        .sort();
      r.registries[key] = ids;
      for (const id of ids) if (!state.services[id]) await refreshService(c, state, id, tagNames, r);
    }
  }
  if (need.containerInstance && !(need.containerInstance.arn in r.containerInstances)) {
    r.reads += 1;
    const res = await c.ecs.send(
      new DescribeContainerInstancesCommand({ cluster: need.containerInstance.cluster, containerInstances: [need.containerInstance.arn] }),
    );
    const ec2InstanceId = res.containerInstances?.[0]?.ec2InstanceId;
    if (!ec2InstanceId) throw new Error(`container instance ${need.containerInstance.arn} not found`);
    r.reads += 1;
    const ec2 = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ec2InstanceId] }));
    const ip = ec2.Reservations?.[0]?.Instances?.[0]?.PrivateIpAddress;
    if (!ip) throw new Error(`EC2 instance ${ec2InstanceId} has no private IP`);
    r.containerInstances[need.containerInstance.arn] = { ip, ec2InstanceId };
  }
  if (need.taskDefinition && !(need.taskDefinition in r.taskDefinitions)) {
    r.reads += 1;
    const res = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: need.taskDefinition }));
    r.taskDefinitions[need.taskDefinition] = res.taskDefinition?.networkMode ?? "bridge";
  }
}
