// GetMetricData on the simulator with the real CloudWatch client: more than 500 series
// split into calls, every NextToken page merged (same samples as without paging),
// throttling retried by the SDK, the publication delay respected, and the billing
// counter (queries x requests).
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { RDSClient } from "@aws-sdk/client-rds";
import { simClientConfig, type Simulator } from "@scrape-reconciler/sim";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discoverResources } from "../src/discovery";
import { fetchMetricData } from "../src/metric-data";
import { DEFAULT_METRIC_SET } from "../src/metric-sets";
import { buildCalls, planSeries, type CallPlan, type SeriesPlan } from "../src/queries";
import { startFleet } from "./helpers";

const MIN = 60_000;

describe("GetMetricData (simulator, real SDK client)", () => {
  const clock = { now: Date.parse("2026-11-25T12:00:20Z") };
  let sim: Simulator;
  let cloudwatch: CloudWatchClient;
  let plans: SeriesPlan[];
  let plan: CallPlan;

  beforeAll(async () => {
    sim = await startFleet(clock, {
      seed: "metric-data",
      rdsInstances: Array.from({ length: 24 }, (_, i) => ({ id: `db-${i}` })),
      cacheClusters: Array.from({ length: 6 }, (_, i) => ({ id: `cache-${i}`, nodes: 2 })),
      cloudWatch: { publicationDelaySeconds: 150 },
    });
    const cfg = { ...simClientConfig(sim), maxAttempts: 6 };
    cloudwatch = new CloudWatchClient(cfg);
    const found = await discoverResources(
      { rds: new RDSClient(cfg), elasticache: new ElastiCacheClient(cfg) },
      { rds: { enabled: true, clusters: true }, elastiCache: { enabled: true }, tagLabels: [] },
    );
    plans = planSeries(found.resources, DEFAULT_METRIC_SET, { job: "cloudwatch", tagLabels: [] });
    plan = buildCalls(plans, () => undefined, { now: clock.now, lookbackMs: 20 * MIN, delayMs: MIN });
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(() => {
    sim.setFaults(null);
    sim.setPageSizes(null);
    sim.calls.reset();
  });

  async function fetchAll() {
    const out = new Map<string, { timestamp: number; value: number }[]>();
    let requests = 0;
    let metricsRequested = 0;
    for (const call of plan.calls) {
      const f = await fetchMetricData(cloudwatch, call);
      requests += f.requests;
      metricsRequested += f.metricsRequested;
      expect(f.collected.failed).toEqual([]);
      for (const s of f.collected.series) out.set(s.plan.key, s.samples);
    }
    return { out, requests, metricsRequested };
  }

  it("splits 648 series into calls of <= 500 and gets every settled, published minute", async () => {
    expect(plans).toHaveLength(24 * 19 + 12 * 16);
    expect(plan.calls.map((c) => c.queries.length)).toEqual([500, 148]);
    const { out, requests, metricsRequested } = await fetchAll();
    expect(requests).toBe(2);
    expect(metricsRequested).toBe(648);
    expect(out.size).toBe(648);
    // lookback 20 min -> from 11:40:20 rounded up to 11:41; published up to now - 150 s - 60 s = 11:56:50 -> 11:56.
    const expected = Array.from({ length: 16 }, (_, i) => Date.parse("2026-11-25T11:41:00Z") + i * MIN);
    for (const samples of out.values()) expect(samples.map((s) => s.timestamp)).toEqual(expected);
    const cpu = [...out.entries()].find(([k]) => k.startsWith("aws_rds_cpuutilization_average{") && k.includes('"db-3"'))![1];
    expect(cpu.every((s) => s.value >= 0 && s.value <= 100)).toBe(true);
  });

  it("merges every NextToken page into the same samples, and bills every page", async () => {
    const { out: reference } = await fetchAll();
    sim.calls.reset();
    sim.setPageSizes({ "cloudwatch:GetMetricData": 997 });
    const paged = await fetchAll();
    // 500 x 16 = 8000 points -> 9 pages; 148 x 16 = 2368 -> 3 pages.
    expect(paged.requests).toBe(12);
    expect(sim.calls.get("cloudwatch:GetMetricData")).toBe(12);
    expect(paged.metricsRequested).toBe(9 * 500 + 3 * 148);
    expect(paged.out).toEqual(reference);
  });

  it("rides out throttling: the SDK retries, results unchanged, only answered requests billed", async () => {
    const { out: reference } = await fetchAll();
    sim.calls.reset();
    sim.setFaults({ next: [{ operation: "cloudwatch:GetMetricData", error: "ThrottlingException", count: 2 }] });
    const throttled = await fetchAll();
    expect(sim.calls.log.map((c) => [c.status, c.fault ?? "ok"])).toEqual([
      [400, "queued"],
      [400, "queued"],
      [200, "ok"],
      [200, "ok"],
    ]);
    expect(throttled.requests).toBe(2);
    expect(throttled.metricsRequested).toBe(648);
    expect(throttled.out).toEqual(reference);
  });

  it("sees a minute only once CloudWatch has published it", async () => {
    const before = (await fetchAll()).out;
    clock.now += MIN;
    try {
      plan = buildCalls(plans, () => undefined, { now: clock.now, lookbackMs: 20 * MIN, delayMs: 0 });
      const after = (await fetchAll()).out;
      const key = plans[0]!.key;
      // One more minute published (11:57), window moved by one (from 11:42).
      expect(
        after
          .get(key)!
          .map((s) => s.timestamp)
          .at(-1),
      ).toBe(Date.parse("2026-11-25T11:57:00Z"));
      expect(after.get(key)!.slice(0, -1)).toEqual(before.get(key)!.slice(1));
    } finally {
      clock.now -= MIN;
      plan = buildCalls(plans, () => undefined, { now: clock.now, lookbackMs: 20 * MIN, delayMs: MIN });
    }
  });
});
