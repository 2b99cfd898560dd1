// RDS part of the account: DB instances and Aurora clusters (an instance may be a
// member of a cluster, which it takes its engine and version from). Seeded from the
// scenario's rdsClusters and rdsInstances; services/rds.ts answers the API from here.
import { AwsError } from "../errors";
import { arns, type ArnContext, type IdSource } from "../ids";
import type { DatabaseInput, RdsClusterRecord, RdsInstanceRecord } from "../model";

export interface RdsInstanceInput extends DatabaseInput {
  instanceClass?: string;
  /** The Aurora cluster (added before) this instance belongs to. */
  cluster?: string;
}

const AZ_SUFFIXES = ["a", "b", "c"];

export class RdsStore {
  readonly instances = new Map<string, RdsInstanceRecord>();
  readonly clusters = new Map<string, RdsClusterRecord>();

  constructor(
    private readonly ctx: ArnContext,
    private readonly ids: IdSource,
    private readonly now: () => Date,
  ) {}

  addCluster(input: DatabaseInput): RdsClusterRecord {
    const engine = input.engine ?? "aurora-postgresql";
    const rec: RdsClusterRecord = {
      id: input.id,
      arn: arns.rdsCluster(this.ctx, input.id),
      engine,
      engineVersion: input.engineVersion ?? (engine.includes("postgres") ? "16.4" : "8.0.mysql_aurora.3.08.0"),
      status: input.status ?? "available",
      tags: { ...(input.tags ?? {}) },
      createdAt: this.now(),
      resourceId: `cluster-${this.ids.hex32("rds-cluster").slice(0, 26).toUpperCase()}`,
    };
    this.clusters.set(rec.id, rec);
    return rec;
  }

  addInstance(input: RdsInstanceInput): RdsInstanceRecord {
    const cluster = input.cluster !== undefined ? this.clusters.get(input.cluster) : undefined;
    if (input.cluster !== undefined && !cluster) throw new AwsError("DBClusterNotFoundFault", `DBCluster ${input.cluster} not found.`, 404);
    const engine = input.engine ?? cluster?.engine ?? "postgres";
    const rec: RdsInstanceRecord = {
      id: input.id,
      arn: arns.rdsInstance(this.ctx, input.id),
      engine,
      engineVersion: input.engineVersion ?? cluster?.engineVersion ?? "16.4",
      instanceClass: input.instanceClass ?? (engine.startsWith("aurora") ? "db.r6g.large" : "db.t4g.medium"),
      status: input.status ?? "available",
      ...(cluster ? { clusterId: cluster.id } : {}),
      tags: { ...(input.tags ?? {}) },
      createdAt: this.now(),
      availabilityZone: `${this.ctx.region}${AZ_SUFFIXES[this.instances.size % AZ_SUFFIXES.length]}`,
      resourceId: `db-${this.ids.hex32("rds-db").slice(0, 26).toUpperCase()}`,
    };
    this.instances.set(rec.id, rec);
    return rec;
  }

  /** The Aurora cluster's member instances, in the order they were added. */
  members(clusterId: string): RdsInstanceRecord[] {
    return [...this.instances.values()].filter((i) => i.clusterId === clusterId);
  }
}
