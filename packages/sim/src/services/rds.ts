// Amazon RDS (awsQuery, Version=2014-10-31): DescribeDBInstances and DescribeDBClusters
// over the account's RDS records (state/rds.ts): by identifier or ARN, Filters, Marker
// paging with MaxRecords 20-100, TagList in every answer.
import { AwsError } from "../errors";
import type { RdsClusterRecord, RdsInstanceRecord } from "../model";
import type { SimState } from "../state";
import type { XmlNode } from "../xml";
import { defineQueryService, markerPage, tagXml } from "./aws-query";
import type { HandlerContext } from "./types";

/** RDS filters: `Filters.Filter.N.Name` and `Filters.Filter.N.Values.Value.M`. */
function filters(params: URLSearchParams): { name: string; values: Set<string> }[] {
  const out: { name: string; values: Set<string> }[] = [];
  for (let i = 1; params.has(`Filters.Filter.${i}.Name`); i++) {
    const values = new Set<string>();
    for (let j = 1; params.has(`Filters.Filter.${i}.Values.Value.${j}`); j++) values.add(params.get(`Filters.Filter.${i}.Values.Value.${j}`)!);
    out.push({ name: params.get(`Filters.Filter.${i}.Name`)!, values });
  }
  return out;
}

function instanceXml(state: SimState, i: RdsInstanceRecord): XmlNode {
  const port = i.engine.includes("postgres") ? 5432 : 3306;
  return {
    DBInstanceIdentifier: i.id,
    DBInstanceClass: i.instanceClass,
    Engine: i.engine,
    DBInstanceStatus: i.status,
    MasterUsername: "postgres",
    Endpoint: { Address: `${i.id}.c0sim0example.${state.region}.rds.amazonaws.com`, Port: port, HostedZoneId: "Z2R2ITUGPM61AM" },
    AllocatedStorage: i.engine.startsWith("aurora") ? 1 : 100,
    InstanceCreateTime: i.createdAt,
    PreferredBackupWindow: "03:00-03:30",
    BackupRetentionPeriod: 7,
    AvailabilityZone: i.availabilityZone,
    PreferredMaintenanceWindow: "sun:05:00-sun:05:30",
    MultiAZ: false,
    EngineVersion: i.engineVersion,
    AutoMinorVersionUpgrade: true,
    PubliclyAccessible: false,
    StorageType: i.engine.startsWith("aurora") ? "aurora" : "gp3",
    DbInstancePort: 0,
    DBClusterIdentifier: i.clusterId,
    StorageEncrypted: true,
    DbiResourceId: i.resourceId,
    DBInstanceArn: i.arn,
    TagList: tagXml(i.tags),
  };
}

function clusterXml(state: SimState, c: RdsClusterRecord, members: RdsInstanceRecord[]): XmlNode {
  return {
    DBClusterIdentifier: c.id,
    Status: c.status,
    Engine: c.engine,
    EngineVersion: c.engineVersion,
    EngineMode: "provisioned",
    Endpoint: `${c.id}.cluster-c0sim0example.${state.region}.rds.amazonaws.com`,
    ReaderEndpoint: `${c.id}.cluster-ro-c0sim0example.${state.region}.rds.amazonaws.com`,
    Port: c.engine.includes("postgres") ? 5432 : 3306,
    MultiAZ: members.length > 1,
    DBClusterMembers: { DBClusterMember: members.map((m, n) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: n === 0, PromotionTier: 1 })) },
    StorageEncrypted: true,
    DbClusterResourceId: c.resourceId,
    DBClusterArn: c.arn,
    ClusterCreateTime: c.createdAt,
    TagList: tagXml(c.tags),
  };
}

function applyFilters<T>(items: T[], params: URLSearchParams, table: Record<string, (x: T) => string[]>): T[] {
  for (const f of filters(params)) {
    const get = table[f.name];
    if (!get) throw new AwsError("InvalidParameterValue", `Unrecognized filter name: ${f.name}`);
    items = items.filter((x) => get(x).some((v) => f.values.has(v)));
  }
  return items;
}

/** What a Describe* call reads: the parameter naming one record, the error for a name that finds none, the Filters it takes. */
interface DescribeSpec<T> {
  idParam: string;
  notFound: [code: string, noun: string];
  filters: Record<string, (x: T) => string[]>;
}

const INSTANCES: DescribeSpec<RdsInstanceRecord> = {
  idParam: "DBInstanceIdentifier",
  notFound: ["DBInstanceNotFound", "DBInstance"],
  filters: {
    "db-instance-id": (i) => [i.id, i.arn],
    "db-cluster-id": (i) => (i.clusterId ? [i.clusterId, `arn:aws:rds:${i.arn.split(":")[3]}:${i.arn.split(":")[4]}:cluster:${i.clusterId}`] : []),
    engine: (i) => [i.engine],
    "dbi-resource-id": (i) => [i.resourceId],
  },
};

const CLUSTERS: DescribeSpec<RdsClusterRecord> = {
  idParam: "DBClusterIdentifier",
  notFound: ["DBClusterNotFoundFault", "DBCluster"],
  filters: { "db-cluster-id": (c) => [c.id, c.arn], engine: (c) => [c.engine] },
};

/** The record `idParam` names (by identifier or ARN) or every record, narrowed by the Filters: one Marker page of them. */
function describe<T>(params: URLSearchParams, ctx: HandlerContext, spec: DescribeSpec<T>, records: ReadonlyMap<string, T>): { page: T[]; marker?: string } {
  const id = params.get(spec.idParam);
  let items: T[];
  if (id) {
    const rec = records.get(id.startsWith("arn:") ? id.slice(id.lastIndexOf(":") + 1) : id);
    if (!rec) throw new AwsError(spec.notFound[0], `${spec.notFound[1]} ${id} not found.`, 404);
    items = [rec];
  } else items = [...records.values()];
  return markerPage(applyFilters(items, params, spec.filters), params, ctx);
}

export const rds = defineQueryService({
  service: "rds",
  version: "2014-10-31",
  xmlns: "http://rds.amazonaws.com/doc/2014-10-31/",
  operations: {
    DescribeDBInstances(params, ctx) {
      const { page, marker } = describe(params, ctx, INSTANCES, ctx.state.rds.instances);
      return { DBInstances: { DBInstance: page.map((i) => instanceXml(ctx.state, i)) }, Marker: marker };
    },
    DescribeDBClusters(params, ctx) {
      const { page, marker } = describe(params, ctx, CLUSTERS, ctx.state.rds.clusters);
      return { DBClusters: { DBCluster: page.map((c) => clusterXml(ctx.state, c, ctx.state.rds.members(c.id))) }, Marker: marker };
    },
  },
});
