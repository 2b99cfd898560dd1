// Amazon ElastiCache (awsQuery, Version=2015-02-02): DescribeCacheClusters (Marker
// paging, MaxRecords 20-100, nodes only with ShowCacheNodeInfo=true, no tags, as AWS)
// and ListTagsForResource; plus the cache clusters of a simulated account, seeded from
// the scenario's cacheClusters (a node cluster of a Redis replication group is one
// cache cluster with one node, e.g. sessions-001 / 0001).
import { AwsError } from "../errors";
import type { Scenario } from "../scenario";
import type { SimState } from "../state";
import type { XmlNode } from "../xml";
import { defineQueryService, markerPage, maxRecords, tagXml } from "./rds";

export interface CacheNodeRecord {
  id: string;
  status: string;
  createdAt: Date;
  availabilityZone: string;
}

export interface CacheClusterRecord {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  nodeType: string;
  status: string;
  replicationGroupId?: string;
  nodes: CacheNodeRecord[];
  tags: Record<string, string>;
  createdAt: Date;
}

export interface CacheClusterInput {
  id: string;
  engine?: string;
  engineVersion?: string;
  nodeType?: string;
  status?: string;
  /** Number of nodes (Redis node clusters have one; Memcached up to 40). */
  nodes?: number;
  replicationGroup?: string;
  tags?: Record<string, string>;
}

export class ElastiCacheStore {
  readonly clusters = new Map<string, CacheClusterRecord>();
  constructor(private readonly state: SimState) {}

  addCluster(input: CacheClusterInput): CacheClusterRecord {
    const s = this.state;
    const engine = input.engine ?? "redis";
    const azs = ["a", "b", "c"];
    const now = s.now();
    const rec: CacheClusterRecord = {
      id: input.id,
      arn: `arn:aws:elasticache:${s.region}:${s.accountId}:cluster:${input.id}`,
      engine,
      engineVersion: input.engineVersion ?? (engine === "memcached" ? "1.6.22" : "7.1.0"),
      nodeType: input.nodeType ?? "cache.t4g.small",
      status: input.status ?? "available",
      ...(input.replicationGroup ? { replicationGroupId: input.replicationGroup } : {}),
      nodes: Array.from({ length: input.nodes ?? 1 }, (_, i) => ({
        id: String(i + 1).padStart(4, "0"),
        status: "available",
        createdAt: now,
        availabilityZone: `${s.region}${azs[(this.clusters.size + i) % azs.length]}`,
      })),
      tags: { ...(input.tags ?? {}) },
      createdAt: now,
    };
    this.clusters.set(rec.id, rec);
    return rec;
  }
}

const stores = new WeakMap<SimState, ElastiCacheStore>();

/** The ElastiCache records of a simulated account (empty until seeded or added to). */
export function elastiCacheStore(state: SimState): ElastiCacheStore {
  let s = stores.get(state);
  if (!s) {
    s = new ElastiCacheStore(state);
    stores.set(state, s);
  }
  return s;
}

export function seedElastiCache(state: SimState, scenario: Pick<Scenario, "cacheClusters">): void {
  const store = elastiCacheStore(state);
  for (const c of scenario.cacheClusters) store.addCluster(c);
}

function clusterXml(state: SimState, c: CacheClusterRecord, showNodes: boolean): XmlNode {
  const port = c.engine === "memcached" ? 11211 : 6379;
  return {
    CacheClusterId: c.id,
    ClientDownloadLandingPage: "https://console.aws.amazon.com/elasticache/home#client-download:",
    CacheNodeType: c.nodeType,
    Engine: c.engine,
    EngineVersion: c.engineVersion,
    CacheClusterStatus: c.status,
    NumCacheNodes: c.nodes.length,
    PreferredAvailabilityZone: c.nodes[0]?.availabilityZone,
    CacheClusterCreateTime: c.createdAt,
    PreferredMaintenanceWindow: "sun:05:00-sun:06:00",
    CacheParameterGroup: { CacheParameterGroupName: `default.${c.engine}7`, ParameterApplyStatus: "in-sync" },
    CacheSubnetGroupName: "default",
    CacheNodes: showNodes
      ? {
          CacheNode: c.nodes.map((n) => ({
            CacheNodeId: n.id,
            CacheNodeStatus: n.status,
            CacheNodeCreateTime: n.createdAt,
            Endpoint: { Address: `${c.id}.sim0ex.${n.id}.${state.region.replace(/-/g, "")}.cache.amazonaws.com`, Port: port },
            ParameterGroupStatus: "in-sync",
            CustomerAvailabilityZone: n.availabilityZone,
          })),
        }
      : undefined,
    AutoMinorVersionUpgrade: true,
    ReplicationGroupId: c.replicationGroupId,
    SnapshotRetentionLimit: 0,
    AuthTokenEnabled: false,
    TransitEncryptionEnabled: false,
    AtRestEncryptionEnabled: false,
    ARN: c.arn,
    ReplicationGroupLogDeliveryEnabled: false,
    NetworkType: "ipv4",
    IpDiscovery: "ipv4",
  };
}

export const elasticache = defineQueryService({
  service: "elasticache",
  version: "2015-02-02",
  xmlns: "http://elasticache.amazonaws.com/doc/2015-02-02/",
  operations: {
    DescribeCacheClusters(params, ctx) {
      const store = elastiCacheStore(ctx.state);
      const id = params.get("CacheClusterId");
      let items: CacheClusterRecord[];
      if (id) {
        const rec = store.clusters.get(id);
        if (!rec) throw new AwsError("CacheClusterNotFound", `CacheCluster not found: ${id}`, 404);
        items = [rec];
      } else items = [...store.clusters.values()];
      const showNodes = params.get("ShowCacheNodeInfo") === "true";
      const { page, marker } = markerPage(items, params, maxRecords(params, ctx));
      return { Marker: marker, CacheClusters: { CacheCluster: page.map((c) => clusterXml(ctx.state, c, showNodes)) } };
    },
    ListTagsForResource(params, ctx) {
      const arn = params.get("ResourceName");
      if (!arn) throw new AwsError("MissingParameter", "The request must contain the parameter ResourceName");
      const m = /^arn:aws[a-z-]*:elasticache:[^:]*:\d{12}:cluster:(.+)$/.exec(arn);
      if (!m) throw new AwsError("InvalidARN", `${arn} is not a valid cache cluster ARN`);
      const rec = elastiCacheStore(ctx.state).clusters.get(m[1]!);
      if (!rec) throw new AwsError("CacheClusterNotFound", `CacheCluster not found: ${m[1]}`, 404);
      return { TagList: tagXml(rec.tags) };
    },
  },
});
