// Planning: series per resource, windows from marks, calls of <= 500 queries with valid
// unique ids, and merging result pages back into per-series samples.
import { describe, expect, it } from "vitest";
import { DEFAULT_METRIC_SET, metricsFor, parseMetricSet } from "../src/metric-sets";
import { buildCalls, collectResults, planSeries, QUERY_ID_RE, seriesStart, windowEnd, type SeriesPlan } from "../src/queries";
import type { Resource } from "../src/resource";

const MIN = 60_000;
const T0 = Date.parse("2026-11-25T12:00:00Z");

function instance(id: string, engine = "postgres"): Resource {
  return {
    kind: "rdsInstance",
    id,
    arn: `arn:aws:rds:us-east-1:123456789012:db:${id}`,
    region: "us-east-1",
    accountId: "123456789012",
    dimensions: [{ Name: "DBInstanceIdentifier", Value: id }],
    tags: {},
    engine,
    aurora: engine.startsWith("aurora"),
  };
}

function node(cluster: string, nodeId: string): Resource {
  return {
    kind: "elastiCacheNode",
    id: `${cluster}/${nodeId}`,
    arn: `arn:aws:elasticache:us-east-1:123456789012:cluster:${cluster}`,
    region: "us-east-1",
    accountId: "123456789012",
    dimensions: [
      { Name: "CacheClusterId", Value: cluster },
      { Name: "CacheNodeId", Value: nodeId },
    ],
    tags: {},
    engine: "redis",
    aurora: false,
  };
}

const naming = { job: "cloudwatch", tagLabels: [] };
const count = (kind: "rdsInstance" | "rdsCluster" | "elastiCacheNode", aurora = false) =>
  metricsFor(DEFAULT_METRIC_SET, kind, aurora).reduce((n, m) => n + m.statistics.length, 0);

describe("planSeries", () => {
  it("makes one series per (resource, metric, statistic); Aurora instances skip storage metrics", () => {
    const plans = planSeries([instance("a"), instance("b", "aurora-postgresql"), node("c-001", "0001")], DEFAULT_METRIC_SET, naming);
    expect(count("rdsInstance")).toBe(19);
    expect(count("rdsInstance", true)).toBe(16);
    expect(count("elastiCacheNode")).toBe(16);
    expect(plans).toHaveLength(19 + 16 + 16);
    expect(new Set(plans.map((p) => p.key)).size).toBe(plans.length);
    const b = plans.filter((p) => p.resource.id === "b").map((p) => p.metric);
    expect(b).not.toContain("FreeStorageSpace");
    expect(b).toContain("CPUUtilization");
    const hits = plans.find((p) => p.labels.__name__ === "aws_elasticache_cache_hits_sum")!;
    expect(hits.dimensions).toEqual([
      { Name: "CacheClusterId", Value: "c-001" },
      { Name: "CacheNodeId", Value: "0001" },
    ]);
    expect(hits.statistic).toBe("Sum");
    expect(hits.period).toBe(60);
  });

  it("skips a resource without its kind's exact dimension set", () => {
    const broken = { ...node("x", "0001"), dimensions: [{ Name: "CacheClusterId", Value: "x" }] };
    expect(planSeries([broken], DEFAULT_METRIC_SET, naming)).toEqual([]);
  });

  it("uses an overridden metric set (a kind's list replaced, [] turns it off)", () => {
    const set = parseMetricSet({ rdsInstance: [{ name: "CPUUtilization", statistics: ["Maximum"] }], elastiCacheNode: [] });
    const plans = planSeries([instance("a"), node("c", "0001")], set, naming);
    expect(plans.map((p) => p.labels.__name__)).toEqual(["aws_rds_cpuutilization_maximum"]);
  });
});

describe("windows", () => {
  const opts = { now: T0 + 30_000, lookbackMs: 10 * MIN, delayMs: MIN };

  it("ends at the last period boundary at or before now - delay", () => {
    expect(windowEnd(opts, 60)).toBe(T0 - MIN);
    expect(windowEnd({ now: T0, delayMs: 0 }, 60)).toBe(T0);
    expect(windowEnd({ now: T0 + 30_000, delayMs: 0 }, 300)).toBe(T0);
  });

  it("starts the period after the mark, but never before now - lookback", () => {
    expect(seriesStart(undefined, opts, 60)).toBe(T0 - 9 * MIN); // ceil(now - 10 min)
    expect(seriesStart(T0 - 5 * MIN, opts, 60)).toBe(T0 - 4 * MIN);
    expect(seriesStart(T0 - 5 * MIN + 1, opts, 60)).toBe(T0 - 4 * MIN);
    expect(seriesStart(T0 - 60 * MIN, opts, 60)).toBe(T0 - 9 * MIN);
  });
});

describe("buildCalls", () => {
  const fleet = [...Array.from({ length: 30 }, (_, i) => instance(`db-${i}`)), ...Array.from({ length: 12 }, (_, i) => node(`cache-${i}`, "0001"))];
  const plans = planSeries(fleet, DEFAULT_METRIC_SET, naming);
  const opts = { now: T0, lookbackMs: 10 * MIN, delayMs: MIN };

  it("packs at most 500 queries per call, with ids valid for CloudWatch and unique per call", () => {
    expect(plans).toHaveLength(30 * 19 + 12 * 16);
    const { calls, notDue } = buildCalls(plans, () => undefined, opts);
    expect(notDue).toBe(0);
    expect(calls.map((c) => c.queries.length)).toEqual([500, plans.length - 500]);
    for (const c of calls) {
      const ids = c.queries.map((q) => q.Id!);
      expect(ids.every((id) => QUERY_ID_RE.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...c.byId.keys()]).toEqual(ids);
      expect(c.startTime.getTime()).toBe(T0 - 10 * MIN);
      expect(c.endTime.getTime()).toBe(T0 - MIN);
    }
    const all = calls.flatMap((c) => [...c.byId.values()].map((s) => s.plan.key));
    expect(new Set(all).size).toBe(plans.length);
    const q = calls[0]!.queries[0]!;
    expect(q.MetricStat).toMatchObject({ Period: 60, Metric: { Namespace: expect.stringMatching(/^AWS\//) } });
    expect(q.ReturnData).toBe(true);
    expect(() => buildCalls(plans, () => undefined, opts, 501)).toThrow(RangeError);
  });

  it("does not query series with nothing settled since their mark, and starts each call at its earliest series", () => {
    const marks = new Map<string, number>();
    plans.forEach((p, i) => {
      marks.set(p.key, i % 2 === 0 ? T0 - 2 * MIN : T0 - 6 * MIN);
    });
    const { calls, notDue } = buildCalls(plans, (k) => marks.get(k), opts);
    // Marked at T0-2min: the next datapoint (T0-1min) ends at T0, after the window end T0-1min.
    expect(notDue).toBe(Math.ceil(plans.length / 2));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.queries).toHaveLength(Math.floor(plans.length / 2));
    expect(calls[0]!.startTime.getTime()).toBe(T0 - 5 * MIN);
  });

  it("groups series by start time so a call's window stays short", () => {
    const marks = new Map<string, number>();
    plans.forEach((p, i) => {
      marks.set(p.key, i < 300 ? T0 - 3 * MIN : T0 - 9 * MIN);
    });
    const { calls } = buildCalls(plans, (k) => marks.get(k), { ...opts, lookbackMs: 30 * MIN });
    // 462 series marked at T0-9min need T0-8min on; they fill the first call (with 38 others).
    expect(calls.map((c) => c.queries.length)).toEqual([500, plans.length - 500]);
    expect(calls[0]!.startTime.getTime()).toBe(T0 - 8 * MIN);
    expect(calls[1]!.startTime.getTime()).toBe(T0 - 2 * MIN);
    expect([...calls[1]!.byId.values()].every((s) => s.from === T0 - 2 * MIN)).toBe(true);
  });
});

describe("collectResults", () => {
  const plans: SeriesPlan[] = planSeries([instance("a")], DEFAULT_METRIC_SET, naming).slice(0, 3);
  const opts = { now: T0, lookbackMs: 10 * MIN, delayMs: MIN };
  const { calls } = buildCalls(plans, (k) => (k === plans[1]!.key ? T0 - 5 * MIN : undefined), opts);
  const call = calls[0]!;
  const idOf = (p: SeriesPlan) => [...call.byId].find(([, s]) => s.plan.key === p.key)![0];

  it("merges a query's datapoints across pages, sorts them, and keeps only the series' window", () => {
    const id0 = idOf(plans[0]!);
    const id1 = idOf(plans[1]!);
    const pages = [
      [
        { Id: id0, Timestamps: [new Date(T0 - 3 * MIN), new Date(T0 - 4 * MIN)], Values: [3, 4], StatusCode: "PartialData" as const },
        { Id: id1, Timestamps: [new Date(T0 - 5 * MIN), new Date(T0 - 4 * MIN)], Values: [50, 40], StatusCode: "Complete" as const },
      ],
      [
        // T0-1min ends at T0: not settled (window end T0-1min); T0-11min is before the lookback.
        { Id: id0, Timestamps: [new Date(T0 - 2 * MIN), new Date(T0 - MIN), new Date(T0 - 11 * MIN)], Values: [2, 1, 11], StatusCode: "Complete" as const },
        { Id: "unknown", Timestamps: [new Date(T0 - 2 * MIN)], Values: [9], StatusCode: "Complete" as const },
      ],
    ];
    const got = collectResults(call, pages);
    const by = new Map(got.series.map((s) => [s.plan.key, s.samples]));
    expect(by.get(plans[0]!.key)).toEqual([
      { timestamp: T0 - 4 * MIN, value: 4 },
      { timestamp: T0 - 3 * MIN, value: 3 },
      { timestamp: T0 - 2 * MIN, value: 2 },
    ]);
    // The mark (T0-5min) is excluded: only after it.
    expect(by.get(plans[1]!.key)).toEqual([{ timestamp: T0 - 4 * MIN, value: 40 }]);
    expect(by.has(plans[2]!.key)).toBe(false);
    expect(got.outsideWindow).toBe(3);
    expect(got.failed).toEqual([]);
  });

  it("reports queries CloudWatch answered with Forbidden or InternalError", () => {
    const got = collectResults(call, [[{ Id: idOf(plans[2]!), Timestamps: [], Values: [], StatusCode: "Forbidden" }]]);
    expect(got.failed).toEqual([{ id: idOf(plans[2]!), key: plans[2]!.key, status: "Forbidden" }]);
  });
});
