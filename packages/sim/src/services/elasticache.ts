// Amazon ElastiCache (awsQuery, Version=2015-02-02) over the account's cache clusters
// (state/elasticache.ts): DescribeCacheClusters (Marker paging, MaxRecords 20-100, nodes
// only with ShowCacheNodeInfo=true, no tags, as AWS) and ListTagsForResource.
import { AwsError } from "../errors";
import type { CacheClusterRecord } from "../model";
import type { SimState } from "../state";
import type { XmlNode } from "../xml";
import { defineQueryService, markerPage, tagXml } from "./aws-query";

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
      const store = ctx.state.elastiCache;
      const id = params.get("CacheClusterId");
      let items: CacheClusterRecord[];
      if (id) {
        const rec = store.clusters.get(id);
        if (!rec) throw new AwsError("CacheClusterNotFound", `CacheCluster not found: ${id}`, 404);
        items = [rec];
      } else items = [...store.clusters.values()];
      const showNodes = params.get("ShowCacheNodeInfo") === "true";
      const { page, marker } = markerPage(items, params, ctx);
      return { Marker: marker, CacheClusters: { CacheCluster: page.map((c) => clusterXml(ctx.state, c, showNodes)) } };
    },
    ListTagsForResource(params, ctx) {
      const arn = params.get("ResourceName");
      if (!arn) throw new AwsError("MissingParameter", "The request must contain the parameter ResourceName");
      const m = /^arn:aws[a-z-]*:elasticache:[^:]*:\d{12}:cluster:(.+)$/.exec(arn);
      if (!m) throw new AwsError("InvalidARN", `${arn} is not a valid cache cluster ARN`);
      const rec = ctx.state.elastiCache.clusters.get(m[1]!);
      if (!rec) throw new AwsError("CacheClusterNotFound", `CacheCluster not found: ${m[1]}`, 404);
      return { TagList: tagXml(rec.tags) };
    },
  },
});
