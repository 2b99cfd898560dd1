// Amazon CloudWatch GetMetricData (the SDK's client-cloudwatch speaks awsJson1_0 with
// X-Amz-Target GraniteServiceVersion20100801.*, query-compatible errors). Datapoints
// exist for the RDS instances and Aurora clusters (AWS/RDS) and ElastiCache nodes
// (AWS/ElastiCache) of the simulated account, for known metric names and the exact
// dimension sets CloudWatch files them under. Values are deterministic per (metric,
// dimensions, statistic, period, timestamp): a level and hourly wave per series plus
// per-minute noise. A datapoint at T appears only once the simulator's clock passes
// T + period + the publication delay (scenario cloudWatch.publicationDelaySeconds,
// default 150 s), as CloudWatch publishes RDS and ElastiCache metrics minutes late.
// Up to 500 queries per call, NextToken paging by MaxDatapoints (capped by the
// simulator's page size for cloudwatch:GetMetricData), ScanBy both ways.
import { AwsError } from "../errors";
import type { Scenario } from "../scenario";
import type { SimState } from "../state";
import { elastiCacheStore } from "./elasticache";
import { defineJsonService, paginate } from "./json";
import { rdsStore } from "./rds";

export interface CloudWatchSettings {
  /** How long after a period ends its datapoint becomes visible. */
  publicationDelayMs: number;
  /** 1-minute datapoints are kept this long (CloudWatch: 15 days). */
  retentionMs: number;
}

const settings = new WeakMap<SimState, CloudWatchSettings>();

export function cloudWatchSettings(state: SimState): CloudWatchSettings {
  let s = settings.get(state);
  if (!s) {
    s = { publicationDelayMs: 150_000, retentionMs: 15 * 24 * 3_600_000 };
    settings.set(state, s);
  }
  return s;
}

export function seedCloudWatch(state: SimState, scenario: Pick<Scenario, "cloudWatch">): void {
  cloudWatchSettings(state).publicationDelayMs = scenario.cloudWatch.publicationDelaySeconds * 1000;
}

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

const STATS = new Set(["Average", "Sum", "Minimum", "Maximum", "SampleCount"]);

interface Dim {
  Name?: string;
  Value?: string;
}

/** The series a (namespace, metric, exact dimensions) names, if the account has it. */
function resolveSeries(state: SimState, ns: string, metric: string, dims: Dim[]): { profile: Profile; since: number } | undefined {
  const d = new Map(dims.map((x) => [x.Name ?? "", x.Value ?? ""]));
  if (d.size !== dims.length) return undefined;
  if (ns === "AWS/RDS" && d.size === 1 && d.has("DBInstanceIdentifier")) {
    const i = rdsStore(state).instances.get(d.get("DBInstanceIdentifier")!);
    const p = RDS_INSTANCE[metric];
    if (!i || !p || (i.engine.startsWith("aurora") && NOT_AURORA.has(metric))) return undefined;
    return { profile: p, since: i.createdAt.getTime() };
  }
  if (ns === "AWS/RDS" && d.size === 1 && d.has("DBClusterIdentifier")) {
    const c = rdsStore(state).clusters.get(d.get("DBClusterIdentifier")!);
    const p = RDS_CLUSTER[metric];
    return c && p && c.engine.startsWith("aurora") ? { profile: p, since: c.createdAt.getTime() } : undefined;
  }
  if (ns === "AWS/ElastiCache" && d.size === 2 && d.has("CacheClusterId") && d.has("CacheNodeId")) {
    const c = elastiCacheStore(state).clusters.get(d.get("CacheClusterId")!);
    const n = c?.nodes.find((x) => x.id === d.get("CacheNodeId"));
    const p = CACHE_NODE[metric];
    return c && n && p ? { profile: p, since: n.createdAt.getTime() } : undefined;
  }
  return undefined;
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

/** Per-series constants (level, phase), computed once. */
const seriesConstants = new Map<string, { level: number; phase: number }>();
function constantsOf(seriesId: string): { level: number; phase: number } {
  let c = seriesConstants.get(seriesId);
  if (!c) {
    if (seriesConstants.size > 100_000) seriesConstants.clear();
    c = { level: unit(`${seriesId}|level`), phase: unit(`${seriesId}|phase`) };
    seriesConstants.set(seriesId, c);
  }
  return c;
}

const round = (x: number, integer: boolean | undefined) => (integer ? Math.round(x) : Math.round(x * 1e6) / 1e6);

/** The datapoint of one series and statistic for the period starting at `t` (ms). */
export function datapointValue(seriesId: string, profile: Profile, stat: string, periodSeconds: number, t: number): number {
  const { min, max } = profile;
  const k = constantsOf(seriesId);
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

function toMs(value: unknown, field: string): number {
  const ms =
    typeof value === "number" ? value * 1000 : typeof value === "string" ? (/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value)) : NaN;
  if (!Number.isFinite(ms)) throw new AwsError("MissingParameter", `The parameter ${field} is required.`);
  return ms;
}

interface Query {
  Id?: string;
  MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dim[] }; Period?: number; Stat?: string; Unit?: string };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
}

interface GetMetricDataInput {
  MetricDataQueries?: Query[];
  StartTime?: unknown;
  EndTime?: unknown;
  NextToken?: string;
  ScanBy?: string;
  MaxDatapoints?: number;
}

const ID_RE = /^[a-z][a-zA-Z0-9_]*$/;

export const cloudwatch = defineJsonService({
  service: "cloudwatch",
  targetPrefix: "GraniteServiceVersion20100801",
  version: "1.0",
  operations: {
    GetMetricData(input: GetMetricDataInput, ctx) {
      const queries = input.MetricDataQueries ?? [];
      if (queries.length === 0) throw new AwsError("MissingParameter", "The parameter MetricDataQueries is required.");
      if (queries.length > 500)
        throw new AwsError("InvalidParameterValue", `The collection MetricDataQueries must not have a size greater than 500 (got ${queries.length}).`);
      const start = toMs(input.StartTime, "StartTime");
      const end = toMs(input.EndTime, "EndTime");
      if (start >= end) throw new AwsError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.");
      const ids = new Set<string>();
      queries.forEach((q, i) => {
        if (!q.Id || q.Id.length > 255 || !ID_RE.test(q.Id)) {
          throw new AwsError(
            "InvalidParameterValue",
            `The value ${q.Id ?? ""} for parameter MetricDataQueries.member.${i + 1}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.`,
          );
        }
        if (ids.has(q.Id)) throw new AwsError("InvalidParameterValue", `The values for parameter id in MetricDataQueries are not unique.`);
        ids.add(q.Id);
        if (q.Expression !== undefined) throw new AwsError("InvalidParameterValue", "Metric math expressions are not supported by the simulator.");
        const ms = q.MetricStat;
        if (!ms?.Metric?.MetricName || !ms.Metric.Namespace || !ms.Period || !ms.Stat) {
          throw new AwsError("MissingParameter", `MetricDataQueries.member.${i + 1}.MetricStat needs Metric (Namespace, MetricName), Period and Stat.`);
        }
        if (!(ms.Period % 60 === 0 || [1, 5, 10, 20, 30].includes(ms.Period))) {
          throw new AwsError(
            "InvalidParameterValue",
            `The parameter MetricDataQueries.member.${i + 1}.MetricStat.Period must be a multiple of 60 or one of 1, 5, 10, 20, 30.`,
          );
        }
        if (!STATS.has(ms.Stat))
          throw new AwsError("InvalidParameterValue", `Stat ${ms.Stat} is not supported by the simulator (Average, Sum, Minimum, Maximum, SampleCount).`);
      });
      const descending = (input.ScanBy ?? "TimestampDescending") === "TimestampDescending";
      const now = ctx.state.now().getTime();
      const cw = cloudWatchSettings(ctx.state);

      // Every visible datapoint of every query, in query order, then time order.
      const points: { q: number; t: number; v: number }[] = [];
      const counts = queries.map(() => 0);
      queries.forEach((q, qi) => {
        const ms = q.MetricStat!;
        const m = ms.Metric!;
        const series = resolveSeries(ctx.state, m.Namespace!, m.MetricName!, m.Dimensions ?? []);
        if (!series) return;
        const p = ms.Period! * 1000;
        const id = `${m.Namespace}|${m.MetricName}|${[...(m.Dimensions ?? [])]
          .sort((a, b) => ((a.Name ?? "") < (b.Name ?? "") ? -1 : 1))
          .map((d) => `${d.Name}=${d.Value}`)
          .join(",")}`;
        const first = Math.max(Math.floor(start / p) * p, Math.ceil(Math.max(series.since, now - cw.retentionMs) / p) * p);
        const lastVisible = now - cw.publicationDelayMs - p; // T + period + delay <= now
        const times: number[] = [];
        for (let t = first; t < end && t <= lastVisible; t += p) times.push(t);
        if (descending) times.reverse();
        for (const t of times) points.push({ q: qi, t, v: datapointValue(id, series.profile, ms.Stat!, ms.Period!, t) });
        counts[qi] = times.length;
      });

      const limit = ctx.pageSize(input.MaxDatapoints, { max: 100_800, errorCode: "InvalidParameterValue", field: "MaxDatapoints" });
      const { page, nextToken } = paginate(points, input.NextToken, limit, "InvalidNextToken");
      const firstPage = !input.NextToken;
      const byQuery = new Map<number, { t: Date[]; v: number[] }>();
      for (const pt of page) {
        let r = byQuery.get(pt.q);
        if (!r) {
          r = { t: [], v: [] };
          byQuery.set(pt.q, r);
        }
        r.t.push(new Date(pt.t));
        r.v.push(pt.v);
      }
      // How many of each query's points were sent up to the end of this page.
      const offset = points.length === 0 ? 0 : points.indexOf(page[0]!);
      const through = queries.map(() => 0);
      for (let i = 0; i < offset + page.length; i++) through[points[i]!.q]!++;
      const MetricDataResults = [];
      for (let qi = 0; qi < queries.length; qi++) {
        const r = byQuery.get(qi);
        if (!r && !(firstPage && counts[qi] === 0)) continue;
        MetricDataResults.push({
          Id: queries[qi]!.Id,
          Label: queries[qi]!.Label ?? queries[qi]!.MetricStat!.Metric!.MetricName,
          Timestamps: r?.t ?? [],
          Values: r?.v ?? [],
          StatusCode: through[qi]! < counts[qi]! ? "PartialData" : "Complete",
        });
      }
      return { MetricDataResults, Messages: [], ...(nextToken ? { NextToken: nextToken } : {}) };
    },
  },
});
