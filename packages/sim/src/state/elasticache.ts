// ElastiCache part of the account: cache clusters and their nodes. A node cluster of a
// Redis replication group is one cache cluster with one node (e.g. sessions-001 / 0001);
// Memcached clusters have up to 40 nodes. Seeded from the scenario's cacheClusters;
// services/elasticache.ts answers the API from here.
import { arns, type ArnContext } from "../ids";
import type { CacheClusterRecord, DatabaseInput } from "../model";

export interface CacheClusterInput extends DatabaseInput {
  nodeType?: string;
  /** Number of nodes (Redis node clusters have one; Memcached up to 40). */
  nodes?: number;
  replicationGroup?: string;
}

const AZ_SUFFIXES = ["a", "b", "c"];

export class ElastiCacheStore {
  readonly clusters = new Map<string, CacheClusterRecord>();

  constructor(
    private readonly ctx: ArnContext,
    private readonly now: () => Date,
  ) {}

  addCluster(input: CacheClusterInput): CacheClusterRecord {
    const engine = input.engine ?? "redis";
    const now = this.now();
    const rec: CacheClusterRecord = {
      id: input.id,
      arn: arns.cacheCluster(this.ctx, input.id),
      engine,
      engineVersion: input.engineVersion ?? (engine === "memcached" ? "1.6.22" : "7.1.0"),
      nodeType: input.nodeType ?? "cache.t4g.small",
      status: input.status ?? "available",
      ...(input.replicationGroup ? { replicationGroupId: input.replicationGroup } : {}),
      nodes: Array.from({ length: input.nodes ?? 1 }, (_, i) => ({
        id: String(i + 1).padStart(4, "0"),
        status: "available",
        createdAt: now,
        availabilityZone: `${this.ctx.region}${AZ_SUFFIXES[(this.clusters.size + i) % AZ_SUFFIXES.length]}`,
      })),
      tags: { ...(input.tags ?? {}) },
      createdAt: now,
    };
    this.clusters.set(rec.id, rec);
    return rec;
  }
}
