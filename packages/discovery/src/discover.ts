// Full discovery: every Cloud Map namespace (DNS private, DNS public, HTTP), every page of
// services and instances, service tags (read by cloudmap.ts), then ECS enrichment of the ECS-registered
// instances. Calls run with bounded concurrency; the SDK retries throttling with backoff.
// A failed listing of namespaces throws (publish nothing); a failure inside one namespace
// or service is recorded as a FailedScope so that its last targets are kept.
// README guarantee G1.
import type { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import type { ECSClient } from "@aws-sdk/client-ecs";
import {
  byText,
  DiscoveryError,
  errorLine,
  failedParts,
  type CloudMapNamespace,
  type CloudMapService,
  type DiscoveredService,
  type Discovery,
  type EcsTaskFacts,
  type FailedScope,
  type TagNames,
} from "@scrape-reconciler/core";
import pLimit from "p-limit";
import { listNamespaces, listServices, readServiceContents } from "./cloudmap";
import { clusterNameOf, DESCRIBE_TASKS_BATCH, describeTaskBatch, TaskDefinitionCache } from "./ecs-tasks";
import { ECS_BUCKETS, TokenBucket } from "./rate-limit";

export interface DiscoveryOptions {
  tagNames: TagNames;
  namespaces?: string[];
  clusters?: string[];
  concurrency?: number;
  taskDefinitions?: TaskDefinitionCache;
  /**
   * Facts the caller vouches for, by task id (core's knownTaskFacts: a running task the
   * state knows, not due to be described again): such a task is not described, and the
   * discovery carries these facts for it. Undefined for a task: it is described.
   */
  known?: (taskId: string) => EcsTaskFacts | undefined;
  /** Tags the caller vouches for, by Cloud Map service id (core's knownServiceTags): not read again. */
  knownTags?: (serviceId: string) => Record<string, string> | undefined;
}

export interface DiscoveryClients {
  servicediscovery: ServiceDiscoveryClient;
  ecs: ECSClient;
}

export interface DiscoveryStats {
  taskBatches: number;
  tasksDescribed: number;
  /** Tasks taken from the caller's known facts, not described. */
  tasksKnown: number;
  /** Services whose tags came from the caller (no ListTagsForResource). */
  tagsKnown: number;
}

/** Runs a full discovery. Throws DiscoveryError only when nothing at all can be listed. */
export async function discover(clients: DiscoveryClients, options: DiscoveryOptions): Promise<Discovery & { stats: DiscoveryStats }> {
  const sd = clients.servicediscovery;
  const limit = pLimit(options.concurrency ?? 8);
  const failed: FailedScope[] = [];
  const namespaces = await listNamespaces(sd, options.namespaces);

  // Services of every namespace, then their tags.
  const services: { ns: CloudMapNamespace; svc: CloudMapService }[] = [];
  let servicesSeen = 0;
  await Promise.all(
    namespaces.map((ns) =>
      limit(async () => {
        try {
          const list = await listServices(sd, ns);
          servicesSeen += list.length;
          for (const s of list) services.push({ ns, svc: { ...s, tags: {} } });
        } catch (err) {
          failed.push({
            scope: "namespace",
            id: ns.id,
            name: ns.name,
            namespaceName: ns.name,
            operation: "servicediscovery:ListServices",
            error: errorLine(err),
          });
        }
      }),
    ),
  );

  const optedIn: DiscoveredService[] = [];
  let tagsKnown = 0;
  await Promise.all(
    services.map(({ ns, svc }) =>
      limit(async () => {
        try {
          const knownTags = options.knownTags?.(svc.id);
          if (knownTags) tagsKnown += 1;
          const contents = await readServiceContents(sd, svc, options.tagNames, undefined, knownTags);
          svc.tags = contents.tags;
          if (contents.instances) optedIn.push({ namespace: ns, service: svc, instances: contents.instances, tasks: {} });
        } catch (err) {
          const operation = err instanceof DiscoveryError ? err.operation : "servicediscovery:ListTagsForResource";
          const cause = err instanceof DiscoveryError ? err.cause : err;
          failed.push({ scope: "service", id: svc.id, name: svc.name, namespaceName: ns.name, operation, error: errorLine(cause) });
        }
      }),
    ),
  );

  const stats = { ...(await enrichWithEcs(clients.ecs, optedIn, failed, options, limit)), tagsKnown };
  const failedIds = failedParts(failed).services;
  const kept = optedIn.filter((d) => !failedIds.has(d.service.id));
  kept.sort(byText((d) => d.service.id));
  failed.sort(byText((f) => f.id));
  return { services: kept, failed, servicesSeen, namespacesSeen: namespaces.length, stats };
}

/**
 * Describes the ECS tasks behind ECS-registered instances (instance id = task id), per
 * cluster in batches of 100, but for the tasks whose facts the caller knows (`known`). Instances of clusters outside the CLUSTERS filter are dropped
 * (and, with a filter set, so are registrations that did not come from ECS). A failed
 * batch marks every service with an instance in it as failed.
 */
async function enrichWithEcs(
  ecs: ECSClient,
  services: DiscoveredService[],
  failed: FailedScope[],
  options: DiscoveryOptions,
  limit: ReturnType<typeof pLimit>,
): Promise<Omit<DiscoveryStats, "tagsKnown">> {
  const cache = options.taskDefinitions ?? new TaskDefinitionCache();
  const bucket = new TokenBucket(ECS_BUCKETS.describeTasks);
  const byCluster = new Map<string, { ids: string[]; owners: Map<string, DiscoveredService> }>();
  let tasksKnown = 0;
  const clusters = options.clusters ? new Set(options.clusters.map(clusterNameOf)) : undefined;
  for (const d of services) {
    d.instances = d.instances.filter((i) => {
      const cluster = i.attributes.ECS_CLUSTER_NAME;
      return cluster === undefined ? !clusters : !clusters || clusters.has(cluster);
    });
    for (const i of d.instances) {
      const cluster = i.attributes.ECS_CLUSTER_NAME;
      if (cluster === undefined) continue;
      const known = options.known?.(i.id);
      if (known) {
        d.tasks[i.id] = known;
        tasksKnown += 1;
        continue;
      }
      let entry = byCluster.get(cluster);
      if (!entry) {
        entry = { ids: [], owners: new Map() };
        byCluster.set(cluster, entry);
      }
      entry.ids.push(i.id);
      entry.owners.set(i.id, d);
    }
  }
  const stats = { taskBatches: 0, tasksDescribed: 0, tasksKnown };
  const jobs: Promise<void>[] = [];
  for (const [cluster, { ids, owners }] of byCluster) {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += DESCRIBE_TASKS_BATCH) {
      const batch = unique.slice(i, i + DESCRIBE_TASKS_BATCH);
      jobs.push(
        limit(async () => {
          stats.taskBatches += 1;
          try {
            const described = await describeTaskBatch(ecs, cache, cluster, batch, bucket);
            stats.tasksDescribed += described.tasks.size;
            for (const id of batch) {
              const task: EcsTaskFacts | undefined = described.tasks.get(id);
              const owner = owners.get(id);
              if (owner && task) owner.tasks[id] = task;
            }
          } catch (err) {
            const hit = new Set(batch.map((id) => owners.get(id)).filter((d): d is DiscoveredService => d !== undefined));
            for (const d of hit) {
              failed.push({
                scope: "service",
                id: d.service.id,
                name: d.service.name,
                namespaceName: d.namespace.name,
                operation: "ecs:DescribeTasks",
                error: errorLine(err),
              });
            }
          }
        }),
      );
    }
  }
  await Promise.all(jobs);
  return stats;
}
