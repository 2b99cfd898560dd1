// CloudWatch metrics of the account: the AWS/RDS series of the RDS instances and Aurora
// clusters and the AWS/ElastiCache series of the cache nodes, for known metric names
// and the exact dimension sets CloudWatch files them under. Values are deterministic
// per (metric, dimensions, statistic, period, timestamp): a level and an hourly wave per
// series plus per-minute noise. A datapoint at T is visible only once the clock passes
// T + period + the publication delay (scenario cloudWatch.publicationDelaySeconds,
// default 150 s), as CloudWatch publishes RDS and ElastiCache metrics minutes late.
import type { ElastiCacheStore } from "./elasticache";
import type { RdsStore } from "./rds";

interface Profile {
  min: number;
  max: number;
  /** Whole numbers (connections, counts, items). */
  integer?: boolean;
  /** A count per period: its Sum is the natural figure and Average = Sum / samples. */
  count?: boolean;
}

const pct: Profile = { min: 0, max: 100 };
const GiB = 1024 ** 3;

const RDS_INSTANCE: Record<string, Profile> = {
  CPUUtilization: pct,
  FreeableMemory: { min: 0.5 * GiB, max: 8 * GiB, integer: true },
  FreeStorageSpace: { min: 10 * GiB, max: 200 * GiB, integer: true },
  DatabaseConnections: { min: 1, max: 300, integer: true },
  ReadIOPS: { min: 0, max: 800 },
  WriteIOPS: { min: 0, max: 800 },
  ReadLatency: { min: 0.0001, max: 0.01 },
  WriteLatency: { min: 0.0001, max: 0.02 },
  ReadThroughput: { min: 1e3, max: 5e7 },
  WriteThroughput: { min: 1e3, max: 5e7 },
  DiskQueueDepth: { min: 0, max: 8 },
  ReplicaLag: { min: 0, max: 5 },
  SwapUsage: { min: 0, max: 64 * 1024 ** 2, integer: true },
  MaximumUsedTransactionIDs: { min: 1e6, max: 4e8, integer: true },
  BurstBalance: pct,
  NetworkReceiveThroughput: { min: 1e3, max: 1e7 },
  NetworkTransmitThroughput: { min: 1e3, max: 1e7 },
};
/** Aurora instances do not publish these. */
const NOT_AURORA = new Set(["FreeStorageSpace", "BurstBalance", "SwapUsage"]);

const RDS_CLUSTER: Record<string, Profile> = {
  VolumeBytesUsed: { min: 10 * GiB, max: 500 * GiB, integer: true },
  VolumeReadIOPs: { min: 0, max: 1e5, integer: true },
  VolumeWriteIOPs: { min: 0, max: 1e5, integer: true },
  AuroraReplicaLagMaximum: { min: 1, max: 100 },
  CPUUtilization: pct,
  DatabaseConnections: { min: 1, max: 500, integer: true },
};

const CACHE_NODE: Record<string, Profile> = {
  CPUUtilization: pct,
  EngineCPUUtilization: pct,
  DatabaseMemoryUsagePercentage: pct,
  CurrConnections: { min: 1, max: 2000, integer: true },
  NewConnections: { min: 0, max: 200, integer: true, count: true },
  Evictions: { min: 0, max: 1000, integer: true, count: true },
  CacheHits: { min: 0, max: 1e6, integer: true, count: true },
  CacheMisses: { min: 0, max: 1e5, integer: true, count: true },
  CacheHitRate: pct,
  ReplicationLag: { min: 0, max: 2 },
  NetworkBytesIn: { min: 1e4, max: 1e9, integer: true, count: true },
  NetworkBytesOut: { min: 1e4, max: 1e9, integer: true, count: true },
  SwapUsage: { min: 0, max: 64 * 1024 ** 2, integer: true },
  CurrItems: { min: 0, max: 5e6, integer: true },
  FreeableMemory: { min: 0.1 * GiB, max: 4 * GiB, integer: true },
};

export interface Dimension {
  Name?: string;
  Value?: string;
}

/** One metric and statistic, as a GetMetricData MetricStat names it. */
export interface MetricStatQuery {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  periodSeconds: number;
  /** Average, Sum, Minimum, Maximum or SampleCount. */
  stat: string;
}

/** A uniform number in [0, 1) from a string (FNV-1a with a final avalanche; fast and deterministic). */
function unit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

const round = (x: number, integer: boolean | undefined) => (integer ? Math.round(x) : Math.round(x * 1e6) / 1e6);

export class CloudWatchStore {
  /** How long after a period ends its datapoint becomes visible. */
  publicationDelayMs = 150_000;
  /** 1-minute datapoints are kept this long (CloudWatch: 15 days). */
  readonly retentionMs = 15 * 24 * 3_600_000;
  /** Per-series constants (level, phase), computed once. */
  private readonly constants = new Map<string, { level: number; phase: number }>();

  constructor(
    private readonly rds: RdsStore,
    private readonly elastiCache: ElastiCacheStore,
  ) {}

  /**
   * The visible datapoints of one metric and statistic with timestamps in [start, end)
   * (epoch ms), oldest first; none for a series the account does not have.
   */
  datapoints(q: MetricStatQuery, start: number, end: number, now: number): { t: number; v: number }[] {
    const series = this.series(q.namespace, q.metricName, q.dimensions);
    if (!series) return [];
    const p = q.periodSeconds * 1000;
    const id = `${q.namespace}|${q.metricName}|${[...q.dimensions]
      .sort((a, b) => ((a.Name ?? "") < (b.Name ?? "") ? -1 : 1))
      .map((d) => `${d.Name}=${d.Value}`)
      .join(",")}`;
    const first = Math.max(Math.floor(start / p) * p, Math.ceil(Math.max(series.since, now - this.retentionMs) / p) * p);
    const lastVisible = now - this.publicationDelayMs - p; // T + period + delay <= now
    const out: { t: number; v: number }[] = [];
    for (let t = first; t < end && t <= lastVisible; t += p) out.push({ t, v: this.value(id, series.profile, q.stat, q.periodSeconds, t) });
    return out;
  }

  /** The series a (namespace, metric, exact dimensions) names, if the account has it. */
  private series(ns: string, metric: string, dims: Dimension[]): { profile: Profile; since: number } | undefined {
    const d = new Map(dims.map((x) => [x.Name ?? "", x.Value ?? ""]));
    if (d.size !== dims.length) return undefined;
    if (ns === "AWS/RDS" && d.size === 1 && d.has("DBInstanceIdentifier")) {
      const i = this.rds.instances.get(d.get("DBInstanceIdentifier")!);
      const p = RDS_INSTANCE[metric];
      if (!i || !p || (i.engine.startsWith("aurora") && NOT_AURORA.has(metric))) return undefined;
      return { profile: p, since: i.createdAt.getTime() };
    }
    if (ns === "AWS/RDS" && d.size === 1 && d.has("DBClusterIdentifier")) {
      const c = this.rds.clusters.get(d.get("DBClusterIdentifier")!);
      const p = RDS_CLUSTER[metric];
      return c && p && c.engine.startsWith("aurora") ? { profile: p, since: c.createdAt.getTime() } : undefined;
    }
    if (ns === "AWS/ElastiCache" && d.size === 2 && d.has("CacheClusterId") && d.has("CacheNodeId")) {
      const c = this.elastiCache.clusters.get(d.get("CacheClusterId")!);
      const n = c?.nodes.find((x) => x.id === d.get("CacheNodeId"));
      const p = CACHE_NODE[metric];
      return c && n && p ? { profile: p, since: n.createdAt.getTime() } : undefined;
    }
    return undefined;
  }

  private constantsOf(seriesId: string): { level: number; phase: number } {
    let c = this.constants.get(seriesId);
    if (!c) {
      if (this.constants.size > 100_000) this.constants.clear();
      c = { level: unit(`${seriesId}|level`), phase: unit(`${seriesId}|phase`) };
      this.constants.set(seriesId, c);
    }
    return c;
  }

  /** The datapoint of one series and statistic for the period starting at `t` (ms). */
  private value(seriesId: string, profile: Profile, stat: string, periodSeconds: number, t: number): number {
    const { min, max } = profile;
    const k = this.constantsOf(seriesId);
    const level = min + (max - min) * (0.2 + 0.5 * k.level);
    const wave = Math.sin((2 * Math.PI * t) / 3_600_000 + 2 * Math.PI * k.phase);
    const noise = unit(`${seriesId}|${t}`) - 0.5;
    const clamp = (x: number) => Math.min(max, Math.max(min, x));
    const perPeriod = clamp(level * (1 + 0.3 * wave + 0.2 * noise));
    const samples = Math.max(1, Math.round(periodSeconds / 60));
    const spread = stat === "Maximum" || stat === "Minimum" ? unit(`${seriesId}|${t}|spread`) : 0;
    switch (stat) {
      case "SampleCount":
        return samples;
      case "Sum":
        return round(profile.count ? perPeriod : perPeriod * samples, profile.integer);
      case "Maximum":
        return round(clamp(perPeriod * (1 + 0.3 * spread)), profile.integer);
      case "Minimum":
        return round(clamp(perPeriod * (1 - 0.3 * spread)), profile.integer);
      default:
        return round(profile.count ? perPeriod / samples : perPeriod, profile.integer && !profile.count);
    }
  }
}
