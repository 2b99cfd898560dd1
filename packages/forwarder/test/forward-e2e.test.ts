// End to end: the forwarder's real SDK clients on the simulator (RDS, Aurora, ElastiCache,
// CloudWatch, S3 marks), remote writing into a real Prometheus (--web.enable-remote-write-
// receiver). The simulator's clock and the forwarder's `now` move a minute per cycle.
// Checked through Prometheus' HTTP API: every expected minute of every series, with the
// exact value CloudWatch (the simulator) returns for it, nothing twice, and Prometheus'
// own count of remote-write 400s. Failure cases: the remote write failing at cycle k,
// the mark write failing at cycle k (same process), and a crash between the two (a new
// process). Skips only when no prometheus binary exists.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import { createRemoteWriteClient } from "@scrape-reconciler/remote-write";
import { simClientConfig, type Simulator } from "@scrape-reconciler/sim";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { findPrometheus, startPrometheus, type PrometheusHandle } from "../../../test/support/prometheus";
import { createForwarderClients } from "../src/clients";
import { parseForwardConfig } from "../src/config";
import { createForwarder, type Forwarder } from "../src/forwarder";
import { parseMarkDocument } from "../src/high-water";
import { fetchMetricData } from "../src/metric-data";
import { buildCalls, planSeries, type SeriesPlan } from "../src/queries";
import { discoverResources } from "../src/discovery";
import { forwarderEnv, minuteAgo, remoteWriteAnswers, samplesAt, seriesAt, startFleet, STATE_BUCKET, type SimClock } from "./helpers";

const binary = findPrometheus();
const title = binary
  ? "forwarder into a real Prometheus"
  : "forwarder into a real Prometheus (SKIPPED: no prometheus binary; install the prometheus package or set PROMETHEUS_BIN)";
if (!binary) console.warn(`[forwarder] ${title}`);

const MIN = 60_000;

function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;
}

interface Rig {
  job: string;
  sim: Simulator;
  clock: SimClock;
  /** The minute of the first cycle. */
  m0: number;
  env: Record<string, string>;
  forwarder: Forwarder;
  /** A new forwarder: a restarted process (empty memory, marks from S3). */
  restart(): Forwarder;
  failWrites: { on: boolean };
  plans: SeriesPlan[];
  storedMarks(): Promise<Record<string, number>>;
}

describe.skipIf(!binary)(title, () => {
  let prom: PrometheusHandle;
  const rigs: Rig[] = [];

  beforeAll(async () => {
    prom = await startPrometheus({ args: ["--web.enable-remote-write-receiver"] });
  });
  afterAll(async () => {
    await prom?.stop();
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.sim.close();
  });

  async function rig(job: string): Promise<Rig> {
    const m0 = minuteAgo(30);
    const clock = { now: m0 + 5_000 };
    const sim = await startFleet(clock);
    const env = forwarderEnv(sim, {
      REMOTE_WRITE_URL: `${prom.url}/api/v1/write`,
      FORWARD_LOOKBACK: "10m",
      FORWARD_DELAY: "60s",
      FORWARD_TAG_LABELS: "team",
      FORWARD_JOB: job,
      FORWARD_STATE_KEY: `forwarder/${job}.json`,
    });
    const config = parseForwardConfig(env);
    const clients = createForwarderClients(env);
    const failWrites = { on: false };
    const rwFetch: typeof fetch = (input, init) => (failWrites.on ? Promise.resolve(new Response("injected outage", { status: 503 })) : fetch(input, init));
    const make = () =>
      createForwarder({
        config,
        clients,
        now: () => clock.now,
        remoteWrite: createRemoteWriteClient({ url: config.remoteWrite.url, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, fetch: rwFetch }),
      });
    const found = await discoverResources(clients, { rds: config.rds, elastiCache: config.elastiCache, tagLabels: config.tagLabels });
    const plans = planSeries(found.resources, config.metricSet, { job, tagLabels: config.tagLabels });
    const s3 = new S3Client(simClientConfig(sim));
    const r: Rig = {
      job,
      sim,
      clock,
      m0,
      env,
      forwarder: make(),
      restart: () => (r.forwarder = make()),
      failWrites,
      plans,
      storedMarks: async () => {
        const o = await s3.send(new GetObjectCommand({ Bucket: STATE_BUCKET, Key: config.state.key }));
        return parseMarkDocument(await o.Body!.transformToString());
      },
    };
    rigs.push(r);
    return r;
  }

  /** Moves both clocks and runs one cycle. */
  async function cycle(r: Rig, minutes = 1) {
    r.clock.now += minutes * MIN;
    return r.forwarder.run();
  }

  /**
   * Every series in Prometheus holds exactly the minutes first..last, each with the value
   * CloudWatch (the simulator) gives for it.
   */
  async function expectComplete(r: Rig, first: number, last: number) {
    const cw = new CloudWatchClient(simClientConfig(r.sim));
    const { calls } = buildCalls(r.plans, () => undefined, { now: r.clock.now, lookbackMs: r.clock.now - first + MIN, delayMs: 0 });
    const reference = new Map<string, { t: number; v: number }[]>();
    for (const call of calls) {
      for (const s of (await fetchMetricData(cw, call)).collected.series) {
        reference.set(
          s.plan.key,
          s.samples.filter((x) => x.timestamp >= first && x.timestamp <= last).map((x) => ({ t: x.timestamp, v: x.value })),
        );
      }
    }
    const minutes = Array.from({ length: (last - first) / MIN + 1 }, (_, i) => first + i * MIN);
    expect(r.plans.length).toBe(19 + 16 + 4 + 16); // orders, reports-1 (Aurora), reports (cluster), sessions-001/0001
    for (const p of r.plans) {
      const want = reference.get(p.key)!;
      expect(
        want.map((x) => x.t),
        p.key,
      ).toEqual(minutes);
      const got = await samplesAt(prom.url, selector(p.labels), r.clock.now + MIN);
      expect(got, p.key).toEqual(want);
    }
  }

  it("forwards every minute of every series with CloudWatch's timestamps and values, and a re-run sends nothing", async () => {
    const r = await rig("e2e-cycles");
    const rejectedBefore = await remoteWriteAnswers(prom.url, "400");
    const first = await r.forwarder.run();
    expect(first).toMatchObject({
      ok: true,
      errors: [],
      resources: { rdsInstance: 2, rdsCluster: 1, elastiCacheNode: 1 },
      seriesPlanned: 55,
      seriesQueried: 55,
      series: 55,
    });
    // Lookback 10 min from m0+5s: m0-9min..; published up to m0+5s-150s-60s: ..m0-4min -> 6 minutes.
    expect(first.samplesSent).toBe(55 * 6);
    expect(first.metricsRequested).toBe(55);
    expect(first.calls).toMatchObject({
      "cloudwatch:GetMetricData": 1,
      "remote-write:POST": 1,
      "s3:GetObject": 1,
      "s3:PutObject": 1,
      "rds:DescribeDBInstances": 1,
      "rds:DescribeDBClusters": 1,
      "elasticache:DescribeCacheClusters": 1,
      "elasticache:ListTagsForResource": 1,
    });
    for (let k = 1; k <= 4; k++) {
      const s = await cycle(r);
      expect(s, `cycle ${k}`).toMatchObject({ ok: true, samplesSent: 55, series: 55, samplesDropped: {}, samplesPending: 0 });
    }
    await expectComplete(r, r.m0 - 9 * MIN, r.m0);

    // The labels, YACE style.
    const [cpu] = await seriesAt(prom.url, `aws_rds_cpuutilization_average{job="e2e-cycles",dimension_DBInstanceIdentifier="orders"}`, r.clock.now);
    expect(cpu).toEqual({
      __name__: "aws_rds_cpuutilization_average",
      account_id: "123456789012",
      dimension_DBInstanceIdentifier: "orders",
      job: "e2e-cycles",
      name: "arn:aws:rds:us-east-1:123456789012:db:orders",
      region: "us-east-1",
      tag_team: "db",
    });

    // The same window again, in this process and in a fresh one (marks read from S3): nothing is sent.
    const again = await r.forwarder.run();
    expect(again).toMatchObject({ ok: true, samplesSent: 0, series: 0, samplesDropped: {} });
    expect(again.calls["remote-write:POST"]).toBeUndefined();
    expect(again.calls["s3:PutObject"]).toBeUndefined();
    const cold = await r.restart().run();
    expect(cold).toMatchObject({ ok: true, samplesSent: 0, series: 0, samplesDropped: {} });
    expect(await r.storedMarks()).toEqual(r.forwarder.marks.snapshot());
    expect(Object.values(await r.storedMarks()).every((t) => t === r.m0)).toBe(true);
    await expectComplete(r, r.m0 - 9 * MIN, r.m0);
    expect(await remoteWriteAnswers(prom.url, "400")).toBe(rejectedBefore);
  });

  it("a remote write failing at cycle k moves no mark; the next cycles fill the gap", async () => {
    const r = await rig("e2e-rw-fail");
    const rejectedBefore = await remoteWriteAnswers(prom.url, "400");
    expect((await r.forwarder.run()).ok).toBe(true);
    await cycle(r);
    const marks = r.forwarder.marks.snapshot();
    r.failWrites.on = true;
    const failed = await cycle(r, 2);
    r.failWrites.on = false;
    expect(failed.ok).toBe(false);
    expect(failed.errors).toEqual([expect.stringMatching(/^remote write: .*503.*gave up after 2 attempts/)]);
    expect(failed).toMatchObject({ samplesSent: 0, series: 0, samplesPending: 55 * 2 });
    expect(r.forwarder.marks.snapshot()).toEqual(marks);
    expect(await r.storedMarks()).toEqual(marks);
    const caughtUp = await cycle(r);
    expect(caughtUp).toMatchObject({ ok: true, samplesSent: 55 * 3, samplesDropped: {} });
    expect((await cycle(r)).samplesSent).toBe(55);
    await expectComplete(r, r.m0 - 9 * MIN, r.m0 + MIN);
    expect(await remoteWriteAnswers(prom.url, "400")).toBe(rejectedBefore);
  });

  it("a mark write failing at cycle k keeps the marks in memory: the next cycle re-sends nothing", async () => {
    const r = await rig("e2e-mark-fail");
    const rejectedBefore = await remoteWriteAnswers(prom.url, "400");
    expect((await r.forwarder.run()).ok).toBe(true);
    const storedAfterFirst = await r.storedMarks();
    r.sim.setFaults({ deny: { "s3:PutObject": "AccessDenied" } });
    const failed = await cycle(r, 3);
    r.sim.setFaults(null);
    expect(failed.ok).toBe(false);
    expect(failed.samplesSent).toBe(55 * 3);
    expect(failed.errors).toEqual([expect.stringMatching(/^high-water marks not saved .*AccessDenied/)]);
    expect(await r.storedMarks()).toEqual(storedAfterFirst);
    expect(r.forwarder.marks.pending).toBe(true);
    const next = await cycle(r);
    expect(next).toMatchObject({ ok: true, samplesSent: 55, samplesDropped: {} });
    expect(await r.storedMarks()).toEqual(r.forwarder.marks.snapshot());
    await expectComplete(r, r.m0 - 9 * MIN, r.m0);
    expect(await remoteWriteAnswers(prom.url, "400")).toBe(rejectedBefore);
  });

  it("a crash between the remote write and the mark write: the restarted forwarder's re-sends are refused, nothing is missing or doubled", async () => {
    const r = await rig("e2e-crash");
    expect((await r.forwarder.run()).ok).toBe(true);
    r.sim.setFaults({ deny: { "s3:PutObject": "AccessDenied" } });
    expect((await cycle(r, 3)).samplesSent).toBe(55 * 3); // stored in Prometheus, marks lost with the process
    r.sim.setFaults(null);
    r.restart();
    const rejectedBefore = await remoteWriteAnswers(prom.url, "400");
    const resumed = await cycle(r);
    // Re-sent per series: 3 old minutes (the newest of them is accepted again as identical,
    // the 2 older are "out of order") and 1 new minute.
    expect(resumed.samplesDropped).toEqual({ out_of_order: 55 * 2 });
    expect(resumed).toMatchObject({ ok: true, samplesSent: 55 * 2, samplesPending: 0, series: 55 });
    expect(await remoteWriteAnswers(prom.url, "400")).toBeGreaterThan(rejectedBefore);
    const rejectedAfter = await remoteWriteAnswers(prom.url, "400");
    const clean = await cycle(r);
    expect(clean).toMatchObject({ ok: true, samplesSent: 55, samplesDropped: {} });
    expect(await remoteWriteAnswers(prom.url, "400")).toBe(rejectedAfter);
    await expectComplete(r, r.m0 - 9 * MIN, r.m0 + MIN);
  });

  it("the Lambda handler runs a cycle and reports EMF metrics", async () => {
    const clock = { now: Date.now() };
    const sim = await startFleet(clock);
    rigs.push({ sim } as Rig);
    clock.now = Date.now();
    const env = forwarderEnv(sim, {
      REMOTE_WRITE_URL: `${prom.url}/api/v1/write`,
      FORWARD_JOB: "e2e-lambda",
      FORWARD_LOOKBACK: "10m",
      POWERTOOLS_METRICS_NAMESPACE: "ScrapeReconcilerTest",
    });
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      vi.resetModules();
      const { handler } = await import("../../../functions/forward");
      const summary = await handler({ "detail-type": "Scheduled Event" } as never, { functionName: "forward", awsRequestId: "req-1" } as never);
      expect(summary).toMatchObject({ ok: true, series: 55, samplesDropped: {} });
      expect(summary.samplesSent).toBeGreaterThanOrEqual(55 * 5);
      const emf = lines
        .flatMap((l) => l.split("\n"))
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const main = emf.find((e) => "SamplesSent" in e)!;
      expect(main).toMatchObject({ SamplesSent: summary.samplesSent, SeriesSent: 55, MetricsRequested: 55, ForwardErrors: 0, service: "forward" });
      expect((main._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace).toBe("ScrapeReconcilerTest");
      expect(typeof main.ForwardDuration).toBe("number");
    } finally {
      spy.mockRestore();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
