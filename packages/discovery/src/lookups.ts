// The AWS reads an event may need before it can be applied, made once per unknown key
// and then kept in the state (so a warm or cold function alike reads nothing for the next
// event of the same service, container instance or task definition): ECS service ->
// Cloud Map registries (DescribeServices), container instance -> EC2 instance, IP and type
// (container-instances.ts, the reader the full reconcile uses too), task definition ->
// network mode, and the refresh of one Cloud Map service after a service-level API call,
// read by the same reader as a full discovery (cloudmap.ts). What they find goes into core's LookupResults,
// applied to the state inside the conditional write (core's applyBatchToState).
// README guarantee G6, with the task definition cache of ecs-tasks.ts.
import type { EC2Client } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { DiscoveryError, registryKey, type LookupResults, type Lookups, type ReconcilerState, type TagNames } from "@scrape-reconciler/core";
import { readService, serviceIdFromArn } from "./cloudmap";
import { readContainerInstances } from "./container-instances";
import { DESCRIBE_TASKS_BATCH, describeTaskBatch, TaskDefinitionCache } from "./ecs-tasks";

export interface LookupClients {
  servicediscovery: ServiceDiscoveryClient;
  ecs: ECSClient;
  ec2: Pick<EC2Client, "send">;
}

/** Reads one Cloud Map service as a full discovery would: its tags, and its instances when it opted in. */
export async function refreshService(c: LookupClients, state: ReconcilerState, serviceId: string, tagNames: TagNames, r: LookupResults): Promise<void> {
  if (serviceId in r.services) return;
  const read = await readService(c.servicediscovery, serviceId, state.namespaces, tagNames, () => {
    r.reads += 1;
  });
  if (!read) {
    r.services[serviceId] = null;
    return;
  }
  const instances = Object.fromEntries((read.contents.instances ?? []).map((i) => [i.id, i.attributes]));
  const { namespaceName: _, ...service } = read.service;
  r.services[serviceId] = { namespace: read.namespace, service: { ...service, instances } };
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
    const { arn } = need.containerInstance;
    const read = await readContainerInstances(c, [need.containerInstance], { concurrency: 1 });
    r.reads += read.calls.describeContainerInstances + read.calls.describeInstances;
    const found = read.found[arn];
    const failure = read.failures[0];
    if (!found)
      throw (
        failure?.error ?? new DiscoveryError(failure?.operation ?? "ecs:DescribeContainerInstances", failure?.reason ?? `container instance ${arn} not found`)
      );
    r.containerInstances[arn] = found;
  }
  if (need.taskDefinition && !(need.taskDefinition in r.taskDefinitions)) {
    r.reads += 1;
    const res = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: need.taskDefinition }));
    r.taskDefinitions[need.taskDefinition] = res.taskDefinition?.networkMode ?? "bridge";
  }
}
