// The curated CloudWatch metrics forwarded per resource kind, and the JSON override a
// deployment may give instead (FORWARD_METRIC_SET). Each (metric, statistic) pair is one
// GetMetricData query per resource per run, which is what CloudWatch bills for, so the
// defaults pick one statistic for slow gauges, Average+Maximum for spiky ones and Sum
// for counts. Every kind has an exact dimension set: CloudWatch matches dimensions
// exactly, so a query with fewer or more dimensions would return nothing. The override's
// schema is written with zod/mini (the same checks and English messages as full zod, a
// fraction of the function's cold-start code).
import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";

// The messages zod's full build sets on import ("Invalid input: expected string, ...").
z.config(en());

export const STATISTICS = ["Average", "Maximum", "Minimum", "Sum", "SampleCount"] as const;
export type Statistic = (typeof STATISTICS)[number];

/** What is measured: an RDS DB instance, an Aurora DB cluster, one ElastiCache (Redis) node. */
export type ResourceKind = "rdsInstance" | "rdsCluster" | "elastiCacheNode";
export const RESOURCE_KINDS: readonly ResourceKind[] = ["rdsInstance", "rdsCluster", "elastiCacheNode"];

export const NAMESPACE: Record<ResourceKind, string> = {
  rdsInstance: "AWS/RDS",
  rdsCluster: "AWS/RDS",
  elastiCacheNode: "AWS/ElastiCache",
};

/** The exact CloudWatch dimension names per kind, in the order they are sent. */
export const DIMENSIONS: Record<ResourceKind, readonly string[]> = {
  rdsInstance: ["DBInstanceIdentifier"],
  rdsCluster: ["DBClusterIdentifier"],
  elastiCacheNode: ["CacheClusterId", "CacheNodeId"],
};

export interface MetricSpec {
  /** CloudWatch metric name, e.g. CPUUtilization. */
  name: string;
  statistics: Statistic[];
  /**
   * RDS instances only: "aurora" or "non-aurora" limits the metric to those engines
   * (Aurora has no FreeStorageSpace, BurstBalance or SwapUsage per instance). Default: all.
   */
  engines?: "aurora" | "non-aurora";
}

export interface MetricSet {
  /** Seconds; a multiple of 60 (standard-resolution RDS and ElastiCache metrics). */
  period: number;
  rdsInstance: MetricSpec[];
  rdsCluster: MetricSpec[];
  elastiCacheNode: MetricSpec[];
}

// The statistic(s) each figure gets, by what it is (see the header): one query per statistic.
/** A slow gauge: its average. */
const level = (name: string): MetricSpec => ({ name, statistics: ["Average"] });
/** A spiky gauge: its average and its peak. */
const spiky = (name: string): MetricSpec => ({ name, statistics: ["Average", "Maximum"] });
/** A lag or an age, whose worst is its highest: the maximum. */
const highest = (name: string): MetricSpec => ({ name, statistics: ["Maximum"] });
/** A balance, whose worst is its lowest: the minimum. */
const lowest = (name: string): MetricSpec => ({ name, statistics: ["Minimum"] });
/** A count of events: the sum over the period. */
const count = (name: string): MetricSpec => ({ name, statistics: ["Sum"] });
/** A per-instance metric Aurora does not publish. */
const nonAurora = (m: MetricSpec): MetricSpec => ({ ...m, engines: "non-aurora" });

export const DEFAULT_METRIC_SET: MetricSet = {
  period: 60,
  rdsInstance: [
    spiky("CPUUtilization"),
    level("FreeableMemory"),
    nonAurora(level("FreeStorageSpace")),
    spiky("DatabaseConnections"),
    level("ReadIOPS"),
    level("WriteIOPS"),
    spiky("ReadLatency"),
    spiky("WriteLatency"),
    level("ReadThroughput"),
    level("WriteThroughput"),
    level("DiskQueueDepth"),
    highest("ReplicaLag"),
    nonAurora(level("SwapUsage")),
    highest("MaximumUsedTransactionIDs"),
    nonAurora(lowest("BurstBalance")),
  ],
  // Cluster-level (DBClusterIdentifier alone) metrics only Aurora publishes; per-instance
  // figures of Aurora members come from rdsInstance above.
  rdsCluster: [level("VolumeBytesUsed"), level("VolumeReadIOPs"), level("VolumeWriteIOPs"), highest("AuroraReplicaLagMaximum")],
  elastiCacheNode: [
    spiky("CPUUtilization"),
    spiky("EngineCPUUtilization"),
    level("DatabaseMemoryUsagePercentage"),
    level("CurrConnections"),
    count("NewConnections"),
    count("Evictions"),
    count("CacheHits"),
    count("CacheMisses"),
    level("CacheHitRate"),
    highest("ReplicationLag"),
    count("NetworkBytesIn"),
    count("NetworkBytesOut"),
    level("SwapUsage"),
    level("CurrItems"),
  ],
};

const MetricSpecSchema = z.strictObject({
  name: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,255}$/, "expected a CloudWatch metric name")),
  statistics: z.array(z.enum(STATISTICS)).check(
    z.minLength(1),
    z.refine((s) => new Set(s).size === s.length, "statistics repeat"),
  ),
  engines: z.optional(z.enum(["aurora", "non-aurora"])),
});

/** The override: every key optional; a kind given replaces that kind's list, `[]` turns it off. */
const MetricSetSchema = z.strictObject({
  period: z.optional(
    z.number().check(
      z.int(),
      z.gte(60),
      z.lte(86_400),
      z.refine((p) => p % 60 === 0, "must be a multiple of 60"),
    ),
  ),
  rdsInstance: z.optional(z.array(MetricSpecSchema)),
  rdsCluster: z.optional(z.array(MetricSpecSchema)),
  elastiCacheNode: z.optional(z.array(MetricSpecSchema)),
});

/** Validates an override (parsed JSON) and applies it over the defaults; throws Error with a one-line reason. */
export function parseMetricSet(input: unknown, base: MetricSet = DEFAULT_METRIC_SET): MetricSet {
  const r = MetricSetSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String).join(".") || "(root)";
    throw new Error(`${path}: ${issue.message}`);
  }
  const o = r.data;
  for (const kind of RESOURCE_KINDS) {
    const names = (o[kind] ?? []).map((m) => m.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`${kind}: metric ${dup} is listed twice (list every statistic in one entry)`);
  }
  return {
    period: o.period ?? base.period,
    rdsInstance: o.rdsInstance ?? base.rdsInstance,
    rdsCluster: o.rdsCluster ?? base.rdsCluster,
    elastiCacheNode: o.elastiCacheNode ?? base.elastiCacheNode,
  };
}

/** The metrics a resource of this kind gets (engine rules applied). */
export function metricsFor(set: MetricSet, kind: ResourceKind, aurora: boolean): MetricSpec[] {
  return set[kind].filter((m) => !m.engines || (m.engines === "aurora") === aurora);
}
