// Amazon RDS (the awsQuery protocol: form-encoded POST `Action=...&Version=2014-10-31`,
// XML out wrapped in <ActionResponse><ActionResult>, errors as <ErrorResponse>):
// DescribeDBInstances, DescribeDBClusters (Marker paging, MaxRecords 20-100, TagList)
// and ListTagsForResource. Also the awsQuery helpers ElastiCache shares, and the RDS
// records of a simulated account (seeded from the scenario's rdsInstances/rdsClusters).
import { AwsError } from "../errors";
import type { Scenario } from "../scenario";
import type { SimState } from "../state";
import { escapeXml, renderXml, type XmlNode } from "../xml";
import { paginate } from "./json";
import { isReadOnlyOperation, type HandlerContext, type ServiceHandler, type SimRequest, type SimResponse } from "./types";

// ---- awsQuery protocol (shared with elasticache.ts) -------------------------------------

export type QueryOperation = (params: URLSearchParams, ctx: HandlerContext, req: SimRequest) => XmlNode;

export interface QueryServiceSpec {
  /** IAM prefix and SigV4 signing name (rds, elasticache). */
  service: string;
  /** API version the SDK sends (Version=...). */
  version: string;
  xmlns: string;
  operations: Record<string, QueryOperation>;
}

/** The fault table is shared with EC2's query protocol; awsQuery services answer with their own codes. */
const QUERY_CODES: Record<string, [string, number]> = {
  RequestLimitExceeded: ["Throttling", 400],
  UnauthorizedOperation: ["AccessDenied", 403],
  Unavailable: ["ServiceUnavailable", 503],
};

export function queryErrorResponse(err: AwsError, requestId: string): SimResponse {
  const [code, status] = QUERY_CODES[err.code] ?? [err.code, err.status];
  const type = status >= 500 ? "Receiver" : "Sender";
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { "content-type": "text/xml" }, body };
}

export function defineQueryService(spec: QueryServiceSpec): ServiceHandler {
  return {
    service: spec.service,
    route: `query:${spec.service}`,
    // Injected faults use the query-protocol table; error() renders them as this service would.
    protocol: "ec2",
    operation(req) {
      const action = new URLSearchParams(req.body.toString("utf8")).get("Action") ?? "";
      if (!Object.hasOwn(spec.operations, action)) throw new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`);
      return action;
    },
    handle(op, req, ctx) {
      const params = new URLSearchParams(req.body.toString("utf8"));
      const version = params.get("Version");
      if (version !== spec.version) throw new AwsError("InvalidParameterValue", `Unsupported API version ${version ?? "(none)"}; expected ${spec.version}`);
      const result = spec.operations[op]!(params, ctx, req);
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="${spec.xmlns}"><${op}Result>${renderXml(result)}</${op}Result>` +
        `<ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></${op}Response>`;
      return { status: 200, headers: { "content-type": "text/xml" }, body };
    },
    error: (err, req) => queryErrorResponse(err, req.requestId),
    readOnly: isReadOnlyOperation,
    iamAction: (op) => `${spec.service}:${op}`,
  };
}

/** MaxRecords (20-100 for RDS and ElastiCache), capped by the simulator's page size. */
export function maxRecords(params: URLSearchParams, ctx: HandlerContext): number {
  const raw = params.get("MaxRecords");
  const n = raw === null ? undefined : Number(raw);
  if (n !== undefined && (!Number.isInteger(n) || n < 20 || n > 100)) {
    throw new AwsError("InvalidParameterValue", `Invalid value for MaxRecords: ${raw}. Valid values are between 20 and 100.`);
  }
  return ctx.pageSize(n, { max: 100, errorCode: "InvalidParameterValue", field: "MaxRecords" });
}

/** Marker paging over a list (the Marker is opaque to clients). */
export function markerPage<T>(items: readonly T[], params: URLSearchParams, limit: number): { page: T[]; marker?: string } {
  const { page, nextToken } = paginate(items, params.get("Marker") ?? undefined, limit, "InvalidParameterValue");
  return nextToken ? { page, marker: nextToken } : { page };
}

export function tagXml(tags: Record<string, string>): XmlNode {
  return { Tag: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
}

// ---- RDS records ----------------------------------------------------------------------

export interface RdsInstanceRecord {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  status: string;
  clusterId?: string;
  tags: Record<string, string>;
  createdAt: Date;
  availabilityZone: string;
  resourceId: string;
}

export interface RdsClusterRecord {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  status: string;
  tags: Record<string, string>;
  createdAt: Date;
  resourceId: string;
}

export interface RdsInstanceInput {
  id: string;
  engine?: string;
  engineVersion?: string;
  instanceClass?: string;
  status?: string;
  cluster?: string;
  tags?: Record<string, string>;
}

export interface RdsClusterInput {
  id: string;
  engine?: string;
  engineVersion?: string;
  status?: string;
  tags?: Record<string, string>;
}

export class RdsStore {
  readonly instances = new Map<string, RdsInstanceRecord>();
  readonly clusters = new Map<string, RdsClusterRecord>();
  constructor(private readonly state: SimState) {}

  addCluster(input: RdsClusterInput): RdsClusterRecord {
    const s = this.state;
    const engine = input.engine ?? "aurora-postgresql";
    const rec: RdsClusterRecord = {
      id: input.id,
      arn: `arn:aws:rds:${s.region}:${s.accountId}:cluster:${input.id}`,
      engine,
      engineVersion: input.engineVersion ?? (engine.includes("postgres") ? "16.4" : "8.0.mysql_aurora.3.08.0"),
      status: input.status ?? "available",
      tags: { ...(input.tags ?? {}) },
      createdAt: s.now(),
      resourceId: `cluster-${s.ids.hex32("rds-cluster").slice(0, 26).toUpperCase()}`,
    };
    this.clusters.set(rec.id, rec);
    return rec;
  }

  addInstance(input: RdsInstanceInput): RdsInstanceRecord {
    const s = this.state;
    const cluster = input.cluster !== undefined ? this.clusters.get(input.cluster) : undefined;
    if (input.cluster !== undefined && !cluster) throw new AwsError("DBClusterNotFoundFault", `DBCluster ${input.cluster} not found.`, 404);
    const engine = input.engine ?? cluster?.engine ?? "postgres";
    const azs = ["a", "b", "c"];
    const rec: RdsInstanceRecord = {
      id: input.id,
      arn: `arn:aws:rds:${s.region}:${s.accountId}:db:${input.id}`,
      engine,
      engineVersion: input.engineVersion ?? cluster?.engineVersion ?? "16.4",
      instanceClass: input.instanceClass ?? (engine.startsWith("aurora") ? "db.r6g.large" : "db.t4g.medium"),
      status: input.status ?? "available",
      ...(cluster ? { clusterId: cluster.id } : {}),
      tags: { ...(input.tags ?? {}) },
      createdAt: s.now(),
      availabilityZone: `${s.region}${azs[this.instances.size % azs.length]}`,
      resourceId: `db-${s.ids.hex32("rds-db").slice(0, 26).toUpperCase()}`,
    };
    this.instances.set(rec.id, rec);
    return rec;
  }

  /** The instance or cluster an ARN names. */
  byArn(arn: string): RdsInstanceRecord | RdsClusterRecord | undefined {
    const m = /^arn:aws[a-z-]*:rds:[^:]*:\d{12}:(db|cluster):(.+)$/.exec(arn);
    if (!m) return undefined;
    return m[1] === "db" ? this.instances.get(m[2]!) : this.clusters.get(m[2]!);
  }
}

const stores = new WeakMap<SimState, RdsStore>();

/** The RDS records of a simulated account (empty until seeded or added to). */
export function rdsStore(state: SimState): RdsStore {
  let s = stores.get(state);
  if (!s) {
    s = new RdsStore(state);
    stores.set(state, s);
  }
  return s;
}

/** Seeds the scenario's Aurora clusters, then its DB instances. */
export function seedRds(state: SimState, scenario: Pick<Scenario, "rdsClusters" | "rdsInstances">): void {
  const store = rdsStore(state);
  for (const c of scenario.rdsClusters) store.addCluster(c);
  for (const i of scenario.rdsInstances) store.addInstance(i);
}

// ---- the RDS API --------------------------------------------------------------------------

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

const INSTANCE_FILTERS: Record<string, (i: RdsInstanceRecord) => string[]> = {
  "db-instance-id": (i) => [i.id, i.arn],
  "db-cluster-id": (i) => (i.clusterId ? [i.clusterId, `arn:aws:rds:${i.arn.split(":")[3]}:${i.arn.split(":")[4]}:cluster:${i.clusterId}`] : []),
  engine: (i) => [i.engine],
  "dbi-resource-id": (i) => [i.resourceId],
};

const CLUSTER_FILTERS: Record<string, (c: RdsClusterRecord) => string[]> = {
  "db-cluster-id": (c) => [c.id, c.arn],
  engine: (c) => [c.engine],
};

function applyFilters<T>(items: T[], params: URLSearchParams, table: Record<string, (x: T) => string[]>): T[] {
  for (const f of filters(params)) {
    const get = table[f.name];
    if (!get) throw new AwsError("InvalidParameterValue", `Unrecognized filter name: ${f.name}`);
    items = items.filter((x) => get(x).some((v) => f.values.has(v)));
  }
  return items;
}

export const rds = defineQueryService({
  service: "rds",
  version: "2014-10-31",
  xmlns: "http://rds.amazonaws.com/doc/2014-10-31/",
  operations: {
    DescribeDBInstances(params, ctx) {
      const store = rdsStore(ctx.state);
      const id = params.get("DBInstanceIdentifier");
      let items: RdsInstanceRecord[];
      if (id) {
        const rec = store.instances.get(id.startsWith("arn:") ? id.slice(id.lastIndexOf(":") + 1) : id);
        if (!rec) throw new AwsError("DBInstanceNotFound", `DBInstance ${id} not found.`, 404);
        items = [rec];
      } else items = [...store.instances.values()];
      items = applyFilters(items, params, INSTANCE_FILTERS);
      const { page, marker } = markerPage(items, params, maxRecords(params, ctx));
      return { DBInstances: { DBInstance: page.map((i) => instanceXml(ctx.state, i)) }, Marker: marker };
    },
    DescribeDBClusters(params, ctx) {
      const store = rdsStore(ctx.state);
      const id = params.get("DBClusterIdentifier");
      let items: RdsClusterRecord[];
      if (id) {
        const rec = store.clusters.get(id.startsWith("arn:") ? id.slice(id.lastIndexOf(":") + 1) : id);
        if (!rec) throw new AwsError("DBClusterNotFoundFault", `DBCluster ${id} not found.`, 404);
        items = [rec];
      } else items = [...store.clusters.values()];
      items = applyFilters(items, params, CLUSTER_FILTERS);
      const { page, marker } = markerPage(items, params, maxRecords(params, ctx));
      const members = (c: RdsClusterRecord) => [...store.instances.values()].filter((i) => i.clusterId === c.id);
      return { DBClusters: { DBCluster: page.map((c) => clusterXml(ctx.state, c, members(c))) }, Marker: marker };
    },
    ListTagsForResource(params, ctx) {
      const arn = params.get("ResourceName");
      if (!arn) throw new AwsError("MissingParameter", "The request must contain the parameter ResourceName");
      const rec = rdsStore(ctx.state).byArn(arn);
      if (!rec) {
        if (/:cluster:/.test(arn)) throw new AwsError("DBClusterNotFoundFault", `DBCluster ${arn} not found.`, 404);
        throw new AwsError("DBInstanceNotFound", `DBInstance ${arn} not found.`, 404);
      }
      return { TagList: tagXml(rec.tags) };
    },
  },
});
