// What the metrics forwarder costs in CloudWatch GetMetricData per month, measured from
// its own counters: runs the real forwarder (real SDK clients) on the local AWS simulator
// with 10 RDS PostgreSQL instances and 6 ElastiCache Redis nodes and the default metric
// set, one cycle per schedule interval over a simulated period, into an in-process
// remote-write receiver, then scales the summed `metricsRequested` counter to a 30-day
// month at $0.01 per 1,000 metrics requested (us-east-1 list price; GetMetricData is not
// in the free tier). S3 requests for the high-water marks are reported beside it.
//
//   npx tsx bench/forwarder-cost.ts [--hours 2] [--json]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createForwarder, createForwarderClients, parseForwardConfig } from "@scrape-reconciler/forwarder";
import { startSimulator } from "@scrape-reconciler/sim";

const PRICE_PER_1000_METRICS = 0.01;
const S3_PUT_PER_1000 = 0.005;
const S3_GET_PER_1000 = 0.0004;
const MONTH_MINUTES = 30 * 24 * 60;

const { values } = parseArgs({ options: { hours: { type: "string", default: "2" }, json: { type: "boolean" } } });
const hours = Number(values.hours);
if (!(hours > 0)) throw new Error("--hours must be a positive number");

const FLEET = {
  seed: "cost-bench",
  buckets: ["bench-state"],
  rdsInstances: Array.from({ length: 10 }, (_, i) => ({ id: `pg-${i + 1}`, tags: { env: "prod" } })),
  // Two Redis replication groups of three node clusters (one node each): 6 nodes.
  cacheClusters: ["sessions", "cache"].flatMap((g) => [1, 2, 3].map((n) => ({ id: `${g}-00${n}`, replicationGroup: g, tags: { env: "prod" } }))),
};

interface Run {
  scheduleMinutes: number;
  cycles: number;
  resources: Record<string, number>;
  series: number;
  metricsRequested: number;
  getMetricDataRequests: number;
  samplesSent: number;
  s3Gets: number;
  s3Puts: number;
  errors: string[];
}

async function measure(scheduleMinutes: number): Promise<Run> {
  let posts = 0;
  const receiver = createServer((req, res) => {
    posts++;
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const clock = { now: Math.floor(Date.now() / 60_000) * 60_000 - hours * 3_600_000 + 5_000 };
  const sim = await startSimulator({ scenario: FLEET, clock: () => new Date(clock.now) });
  try {
    const env = {
      ...sim.endpointEnv(),
      AWS_ENDPOINT_URL: sim.url,
      REMOTE_WRITE_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`,
      FORWARD_STATE_BUCKET: "bench-state",
    };
    const config = parseForwardConfig(env);
    const forwarder = createForwarder({ config, clients: createForwarderClients(env), now: () => clock.now, env });
    const run: Run = {
      scheduleMinutes,
      cycles: 0,
      resources: {},
      series: 0,
      metricsRequested: 0,
      getMetricDataRequests: 0,
      samplesSent: 0,
      s3Gets: 0,
      s3Puts: 0,
      errors: [],
    };
    const cycles = Math.round((hours * 60) / scheduleMinutes);
    for (let i = 0; i < cycles; i++) {
      const s = await forwarder.run();
      run.cycles++;
      run.resources = s.resources;
      run.series = s.seriesPlanned;
      run.metricsRequested += s.metricsRequested;
      run.getMetricDataRequests += s.calls["cloudwatch:GetMetricData"] ?? 0;
      run.samplesSent += s.samplesSent;
      run.s3Gets += s.calls["s3:GetObject"] ?? 0;
      run.s3Puts += s.calls["s3:PutObject"] ?? 0;
      run.errors.push(...s.errors);
      clock.now += scheduleMinutes * 60_000;
    }
    if (posts === 0) run.errors.push("no remote write reached the receiver");
    return run;
  } finally {
    await sim.close();
    await new Promise((r) => receiver.close(r));
  }
}

const usd = (x: number) => `$${x.toFixed(2)}`;
const results = [];
for (const schedule of [1, 5]) {
  const r = await measure(schedule);
  const perMonth = (n: number) => (n / (r.cycles * r.scheduleMinutes)) * MONTH_MINUTES;
  const metricsPerMonth = perMonth(r.metricsRequested);
  results.push({
    ...r,
    metricsRequestedPerCycle: r.metricsRequested / r.cycles,
    metricsRequestedPerMonth: Math.round(metricsPerMonth),
    getMetricDataUsdPerMonth: Number(((metricsPerMonth / 1000) * PRICE_PER_1000_METRICS).toFixed(2)),
    s3UsdPerMonth: Number(((perMonth(r.s3Puts) / 1000) * S3_PUT_PER_1000 + (perMonth(r.s3Gets) / 1000) * S3_GET_PER_1000).toFixed(2)),
  });
}

if (values.json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const r0 = results[0]!;
  console.log(
    `fleet: ${r0.resources.rdsInstance} RDS instances, ${r0.resources.elastiCacheNode} ElastiCache nodes, default metric set: ${r0.series} series (metric x statistic x resource)`,
  );
  for (const r of results) {
    console.log(
      `schedule every ${r.scheduleMinutes} min: ${r.cycles} cycles over ${hours} h simulated, ${r.metricsRequestedPerCycle} metrics requested per cycle ` +
        `(${r.getMetricDataRequests} GetMetricData requests, ${r.samplesSent} samples sent) -> ${r.metricsRequestedPerMonth.toLocaleString("en-US")} metrics requested per 30-day month ` +
        `= ${usd(r.getMetricDataUsdPerMonth)}/month GetMetricData (+ ${usd(r.s3UsdPerMonth)} S3 requests)${r.errors.length ? `; ERRORS: ${r.errors.join("; ")}` : ""}`,
    );
  }
}
