// Finding what to forward: RDS DB instances, Aurora DB clusters and ElastiCache (Redis,
// Valkey) clusters with their nodes, every Marker page, filtered by tags. With explicit
// ids the calls name each resource (so an IAM policy may name the ARNs); without, every
// resource of the account and region is listed. RDS returns tags in TagList;
// ElastiCache needs ListTagsForResource per cluster, called only when a tag filter or tag
// labels need them. A failed source is reported and the other sources still forwarded.
import { DescribeCacheClustersCommand, ListTagsForResourceCommand, type CacheCluster, type ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type DBCluster, type DBInstance, type RDSClient } from "@aws-sdk/client-rds";
import { errorLine, isNotFound } from "@scrape-reconciler/core";
import { arnParts, type Resource } from "./resource";

/** All entries must match: `key=value` (exact value) or `key` alone (tag present). */
export type TagFilter = { key: string; value?: string }[];

export interface DiscoveryOptions {
  rds: {
    enabled: boolean;
    /** DB instance identifiers; undefined = every instance. */
    instances?: string[];
    tagFilter?: TagFilter;
    /** Aurora DB clusters as well (DescribeDBClusters). */
    clusters: boolean;
  };
  elastiCache: {
    enabled: boolean;
    /** Cache cluster ids; undefined = every cluster. */
    clusters?: string[];
    tagFilter?: TagFilter;
  };
  /** Tag keys needed for labels (ElastiCache tags are read only when something needs them). */
  tagLabels: readonly string[];
  /** ListTagsForResource calls in parallel. */
  concurrency?: number;
}

export interface DiscoveryClients {
  rds: RDSClient;
  elasticache: ElastiCacheClient;
}

export interface DiscoveryFailure {
  source: "rds-instances" | "rds-clusters" | "elasticache";
  operation: string;
  error: string;
}

export interface DiscoveryResult {
  resources: Resource[];
  failures: DiscoveryFailure[];
  /** Explicit ids that do not exist. */
  missing: string[];
  /** Requests per `service:Operation` (pages; SDK retries not counted). */
  calls: Record<string, number>;
}

export function matchesTags(tags: Record<string, string>, filter: TagFilter | undefined): boolean {
  return !filter || filter.every((f) => (f.value === undefined ? f.key in tags : tags[f.key] === f.value));
}

function tagRecord(list: { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

/** Instance and cluster states that publish metrics (stopped, creating, deleting... do not). */
const RDS_SKIP = new Set(["stopped", "stopping", "creating", "deleting", "deleted", "failed", "inaccessible-encryption-credentials", "incompatible-restore"]);
const CACHE_SKIP = new Set(["creating", "deleting", "deleted", "create-failed", "incompatible-network"]);
const NODE_SKIP = new Set(["creating", "deleting", "deleted"]);

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function discoverResources(clients: DiscoveryClients, opts: DiscoveryOptions): Promise<DiscoveryResult> {
  const calls: Record<string, number> = {};
  const count = (key: string) => (calls[key] = (calls[key] ?? 0) + 1);
  const result: DiscoveryResult = { resources: [], failures: [], missing: [], calls };

  if (opts.rds.enabled) {
    let instances: DBInstance[] | undefined;
    try {
      instances = await describeAll(rdsInstances(clients.rds), opts.rds.instances, count, result.missing);
      for (const db of instances) {
        const r = instanceResource(db);
        if (r && matchesTags(r.tags, opts.rds.tagFilter)) result.resources.push(r);
      }
    } catch (err) {
      result.failures.push({ source: "rds-instances", operation: "rds:DescribeDBInstances", error: errorLine(err) });
    }
    if (opts.rds.clusters && instances !== undefined) {
      try {
        // With explicit instances: only the clusters they belong to, named one by one.
        const ids = opts.rds.instances ? [...new Set(instances.map((i) => i.DBClusterIdentifier).filter((c): c is string => !!c))] : undefined;
        const clusters = ids && ids.length === 0 ? [] : await describeAll(rdsClusters(clients.rds), ids, count, result.missing);
        for (const c of clusters) {
          const r = clusterResource(c);
          if (r && matchesTags(r.tags, opts.rds.tagFilter)) result.resources.push(r);
        }
      } catch (err) {
        result.failures.push({ source: "rds-clusters", operation: "rds:DescribeDBClusters", error: errorLine(err) });
      }
    }
  }

  if (opts.elastiCache.enabled) {
    let operation = "elasticache:DescribeCacheClusters";
    try {
      const clusters = (await describeAll(cacheClusters(clients.elasticache), opts.elastiCache.clusters, count, result.missing)).filter(
        (c) => /^(redis|valkey)$/i.test(c.Engine ?? "") && !CACHE_SKIP.has((c.CacheClusterStatus ?? "").toLowerCase()) && !!c.CacheClusterId,
      );
      const needTags = opts.elastiCache.tagFilter !== undefined || opts.tagLabels.length > 0;
      operation = "elasticache:ListTagsForResource";
      const tags = needTags
        ? await mapLimit(clusters, opts.concurrency ?? 4, async (c) => {
            if (!c.ARN) return {};
            count("elasticache:ListTagsForResource");
            const res = await clients.elasticache.send(new ListTagsForResourceCommand({ ResourceName: c.ARN }));
            return tagRecord(res.TagList);
          })
        : clusters.map(() => ({}));
      clusters.forEach((c, i) => {
        if (!matchesTags(tags[i]!, opts.elastiCache.tagFilter)) return;
        result.resources.push(...nodeResources(c, tags[i]!));
      });
    } catch (err) {
      result.failures.push({ source: "elasticache", operation, error: errorLine(err) });
    }
  }
  return result;
}

/** How to describe one kind of resource: one `call` serves both the by-id and the paged form. */
interface DescribeAll<T> {
  /** `service:Operation`, counted per call. */
  operation: string;
  /** The prefix of a missing id in `missing` (`rds:db`, ...). */
  missingKind: string;
  /** The request field that names one resource (`DBInstanceIdentifier`, ...). */
  idField: string;
  call(input: Record<string, string | number | boolean>): Promise<{ items: T[] | undefined; marker: string | undefined }>;
}

const PAGE = 100;

/**
 * The one "describe" of the forwarder: each explicit id by its own call (an id that does
 * not exist is recorded in `missing`, any other error propagates), or, without ids, every
 * page by Marker until AWS returns none.
 */
async function describeAll<T>(d: DescribeAll<T>, ids: string[] | undefined, count: (k: string) => void, missing: string[]): Promise<T[]> {
  const out: T[] = [];
  if (ids) {
    for (const id of ids) {
      count(d.operation);
      try {
        out.push(...((await d.call({ [d.idField]: id })).items ?? []));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        missing.push(`${d.missingKind}:${id}`);
      }
    }
    return out;
  }
  let marker: string | undefined;
  do {
    count(d.operation);
    const res = await d.call({ MaxRecords: PAGE, ...(marker ? { Marker: marker } : {}) });
    out.push(...(res.items ?? []));
    marker = res.marker || undefined;
  } while (marker);
  return out;
}

const rdsInstances = (rds: RDSClient): DescribeAll<DBInstance> => ({
  operation: "rds:DescribeDBInstances",
  missingKind: "rds:db",
  idField: "DBInstanceIdentifier",
  call: async (input) => rds.send(new DescribeDBInstancesCommand(input)).then((r) => ({ items: r.DBInstances, marker: r.Marker })),
});

const rdsClusters = (rds: RDSClient): DescribeAll<DBCluster> => ({
  operation: "rds:DescribeDBClusters",
  missingKind: "rds:cluster",
  idField: "DBClusterIdentifier",
  call: async (input) => rds.send(new DescribeDBClustersCommand(input)).then((r) => ({ items: r.DBClusters, marker: r.Marker })),
});

const cacheClusters = (ec: ElastiCacheClient): DescribeAll<CacheCluster> => ({
  operation: "elasticache:DescribeCacheClusters",
  missingKind: "elasticache:cluster",
  idField: "CacheClusterId",
  call: async (input) =>
    ec.send(new DescribeCacheClustersCommand({ ...input, ShowCacheNodeInfo: true })).then((r) => ({ items: r.CacheClusters, marker: r.Marker })),
});

/** An RDS instance or Aurora cluster as the forwarder names it (its one dimension is its identifier). */
function rdsResource(kind: "rdsInstance" | "rdsCluster", dimension: string, id: string, arn: string, tags: Resource["tags"], engine: string): Resource {
  return { kind, id, arn, ...arnParts(arn), dimensions: [{ Name: dimension, Value: id }], tags, engine, aurora: engine.startsWith("aurora") };
}

function instanceResource(db: DBInstance): Resource | undefined {
  const id = db.DBInstanceIdentifier;
  const arn = db.DBInstanceArn;
  if (!id || !arn || RDS_SKIP.has((db.DBInstanceStatus ?? "").toLowerCase())) return undefined;
  return rdsResource("rdsInstance", "DBInstanceIdentifier", id, arn, tagRecord(db.TagList), db.Engine ?? "");
}

function clusterResource(c: DBCluster): Resource | undefined {
  const id = c.DBClusterIdentifier;
  const arn = c.DBClusterArn;
  const engine = c.Engine ?? "";
  // Multi-AZ DB clusters (non-Aurora) publish per-instance metrics only.
  if (!id || !arn || !engine.startsWith("aurora") || RDS_SKIP.has((c.Status ?? "").toLowerCase())) return undefined;
  return rdsResource("rdsCluster", "DBClusterIdentifier", id, arn, tagRecord(c.TagList), engine);
}

function nodeResources(c: CacheCluster, tags: Record<string, string>): Resource[] {
  const clusterId = c.CacheClusterId!;
  const arn = c.ARN ?? "";
  return (c.CacheNodes ?? [])
    .filter((n) => n.CacheNodeId && !NODE_SKIP.has((n.CacheNodeStatus ?? "").toLowerCase()))
    .map((n) => ({
      kind: "elastiCacheNode" as const,
      id: `${clusterId}/${n.CacheNodeId}`,
      arn,
      ...arnParts(arn),
      dimensions: [
        { Name: "CacheClusterId", Value: clusterId },
        { Name: "CacheNodeId", Value: n.CacheNodeId! },
      ],
      tags,
      engine: c.Engine ?? "",
      aurora: false,
    }));
}
