// One forwarding cycle: load marks -> discover -> plan GetMetricData calls from the marks
// -> fetch every page -> keep samples newer than each series' mark, in timestamp order
// -> remote write in batches, persisting the marks after each batch -> summary.
//
// Marks move per series to its newest sample that Prometheus took or refused for good
// (out of order, duplicate, out of bounds, invalid: counted in samplesDropped, never
// retried). Samples the client gave up on for a retryable reason (retries exhausted,
// isolation budget spent) stay above the mark and are fetched and sent again next run,
// while the lookback still covers them. A failed source, GetMetricData call, remote write
// or mark write is reported in `errors` and stops only what depends on it.
import type { RemoteWriteClient, Series, WriteResult } from "@scrape-reconciler/remote-write";
import { RemoteWriteError } from "@scrape-reconciler/remote-write";
import { byText, errorLine } from "@scrape-reconciler/core";
import type { ForwarderClients } from "./clients";
import type { ForwardConfig } from "./config";
import { discoverResources } from "./discovery";
import { newerThanMark, type HighWaterMarks } from "./high-water";
import { fetchMetricData } from "./metric-data";
import { RESOURCE_KINDS, type ResourceKind } from "./metric-sets";
import { seriesKey } from "./naming";
import { buildCalls, planSeries, windowEnd } from "./queries";

export interface ForwardDeps {
  config: ForwardConfig;
  clients: Pick<ForwarderClients, "cloudwatch" | "rds" | "elasticache">;
  remoteWrite: RemoteWriteClient;
  marks: HighWaterMarks;
  /** Epoch ms the query window is computed from (default Date.now). */
  now?: () => number;
}

export interface ForwardOptions {
  /** Query and report what would be sent; write nothing, move no mark. */
  dryRun?: boolean;
}

export interface PreviewSeries {
  key: string;
  labels: Record<string, string>;
  samples: { timestamp: number; value: number }[];
}

export interface ForwardSummary {
  dryRun: boolean;
  /** No error of any kind this run. */
  ok: boolean;
  resources: Record<ResourceKind, number>;
  /** Series the resources and metric set call for. */
  seriesPlanned: number;
  /** Series queried this run (the others had nothing settled to fetch). */
  seriesQueried: number;
  /** Series with at least one sample accepted (or, in a dry run, to send). */
  series: number;
  samplesSent: number;
  /** Samples refused for good, by reason (their marks moved past them). */
  samplesDropped: Record<string, number>;
  /** Samples not sent this run that a later run sends (failed write, retryable drop). */
  samplesPending: number;
  /** GetMetricData queries x requests: what CloudWatch bills ($0.01 per 1,000 in us-east-1). */
  metricsRequested: number;
  /** Requests per `service:Operation` (AWS) and `remote-write:POST`. */
  calls: Record<string, number>;
  /** Exclusive end of the window (ISO): datapoints whose period ended by then were eligible. */
  windowEnd: string;
  durationMs: number;
  errors: string[];
  /** Explicit ids (RDS_INSTANCES, ELASTICACHE_CLUSTERS) that do not exist. */
  missing: string[];
  /** Dry run only: what would be sent. */
  preview?: PreviewSeries[];
}

const RETRYABLE = new Set(["retries_exhausted", "isolation_limit"]);

interface Batch {
  items: { key: string; series: Series }[];
}

/** A cycle's summary before it has done anything: every count zero, nothing failed. */
export function emptyForwardSummary(dryRun: boolean, windowEndIso: string): ForwardSummary {
  return {
    dryRun,
    ok: true,
    resources: { rdsInstance: 0, rdsCluster: 0, elastiCacheNode: 0 },
    seriesPlanned: 0,
    seriesQueried: 0,
    series: 0,
    samplesSent: 0,
    samplesDropped: {},
    samplesPending: 0,
    metricsRequested: 0,
    calls: {},
    windowEnd: windowEndIso,
    durationMs: 0,
    errors: [],
    missing: [],
  };
}

/**
 * One forwarding cycle, summarised in the returned ForwardSummary.
 *
 * The steps, each with the failure it prevents (marked `// (n)` in the code):
 *
 *  1. Load the high-water marks (merged by max with those in memory, so marks a warm
 *     process could not save are not lost). A failed load throws: without the marks the
 *     run would send again what Prometheus already has.
 *  2. Discover the RDS instances, Aurora clusters and ElastiCache nodes. A failed source is
 *     an error and the others go on; explicit ids that do not exist are listed in `missing`.
 *  3. Plan the series (resources x metric set) and the GetMetricData calls: a series is
 *     due from the period after its mark (at most the lookback ago) to the last period
 *     the publication delay has settled, so a datapoint CloudWatch may still fill in is
 *     never sent; a series with nothing due is not queried.
 *  4. Fetch every call, all pages. A failed call or query is an error; its series' marks
 *     do not move, so the next run asks again. A call spans the earliest start of its
 *     series, so only samples newer than each series' mark are kept (nothing is resent).
 *  5. Sort by series key, so batches and previews are deterministic.
 *  6. A dry run stops here with a preview: nothing written, no mark moved.
 *  7. Remote write in batches of `maxSeriesPerWrite` series (series the client could not
 *     isolate within its budget are written again, one per call, once). An error that
 *     cannot be attributed per series (401/403/404, signing) leaves the whole batch pending
 *     and stops the run: later batches would fail the same way.
 *  8. Per series, move the mark to its newest sample taken or refused for good (counted in
 *     `samplesDropped`, never retried); samples dropped for a retryable reason stay above
 *     the mark and are sent by a later run, while the lookback covers them. Retries
 *     exhausted is an error and stops the later batches (the receiver is failing).
 *  9. Persist the marks after each batch, so a failure later in the run never resends the
 *     batches already taken. A failed save is an error, stops the run, and keeps the marks
 *     in memory for the next run.
 * 10. If the run was not stopped and marks are still unsaved (a previous run's), save them.
 * 11. Count the S3 calls of the marks, set `ok` and the duration.
 */
export async function forwardOnce(deps: ForwardDeps, opts: ForwardOptions = {}): Promise<ForwardSummary> {
  const started = Date.now();
  const now = (deps.now ?? Date.now)();
  const { config, clients, marks } = deps;
  const dryRun = opts.dryRun ?? false;
  const readsBefore = marks.stats.reads;
  const writesBefore = marks.stats.writes;
  const summary = emptyForwardSummary(dryRun, new Date(windowEnd({ now, delayMs: config.delayMs }, config.metricSet.period)).toISOString());
  const addCalls = (k: string, n: number) => {
    if (n > 0) summary.calls[k] = (summary.calls[k] ?? 0) + n;
  };
  const finish = () => {
    addCalls("s3:GetObject", marks.stats.reads - readsBefore);
    addCalls("s3:PutObject", marks.stats.writes - writesBefore);
    summary.ok = summary.errors.length === 0;
    summary.durationMs = Date.now() - started;
    return summary;
  };

  await marks.load(); // (1)

  // (2)
  const found = await discoverResources(clients, {
    rds: config.rds,
    elastiCache: config.elastiCache,
    tagLabels: config.tagLabels,
  });
  for (const [k, n] of Object.entries(found.calls)) addCalls(k, n);
  for (const f of found.failures) summary.errors.push(`discovery ${f.source}: ${f.operation}: ${f.error}`);
  summary.missing = found.missing;
  for (const kind of RESOURCE_KINDS) summary.resources[kind] = found.resources.filter((r) => r.kind === kind).length;

  // (3)
  const plans = planSeries(found.resources, config.metricSet, { job: config.job, tagLabels: config.tagLabels });
  summary.seriesPlanned = plans.length;
  const { calls } = buildCalls(plans, (k) => marks.get(k), { now, lookbackMs: config.lookbackMs, delayMs: config.delayMs });

  // (4)
  const toSend: { key: string; series: Series }[] = [];
  for (const call of calls) {
    summary.seriesQueried += call.queries.length;
    try {
      const fetched = await fetchMetricData(clients.cloudwatch, call);
      addCalls("cloudwatch:GetMetricData", fetched.requests);
      summary.metricsRequested += fetched.metricsRequested;
      for (const f of fetched.collected.failed) summary.errors.push(`GetMetricData ${f.key}: status ${f.status}`);
      for (const s of fetched.collected.series) {
        const samples = newerThanMark(s.samples, marks.get(s.plan.key));
        if (samples.length > 0) toSend.push({ key: s.plan.key, series: { labels: s.plan.labels, samples } });
      }
    } catch (err) {
      addCalls("cloudwatch:GetMetricData", 1);
      summary.errors.push(`cloudwatch:GetMetricData (${call.queries.length} queries): ${errorLine(err)}`);
    }
  }
  toSend.sort(byText((s) => s.key)); // (5)

  // (6)
  if (dryRun) {
    summary.series = toSend.length;
    summary.preview = toSend.map((s) => ({
      key: s.key,
      labels: s.series.labels,
      samples: s.series.samples.map((x) => ({ timestamp: x.timestamp, value: x.value })),
    }));
    return finish();
  }

  // (7)
  const batches: Batch[] = [];
  for (let i = 0; i < toSend.length; i += config.maxSeriesPerWrite) batches.push({ items: toSend.slice(i, i + config.maxSeriesPerWrite) });
  const sentKeys = new Set<string>();
  let stopped = false;
  for (const batch of batches) {
    const samplesIn = batch.items.reduce((n, s) => n + s.series.samples.length, 0);
    if (stopped) {
      summary.samplesPending += samplesIn;
      continue;
    }
    let result: WriteResult;
    try {
      result = await writeBatch(
        deps.remoteWrite,
        batch.items.map((s) => s.series),
      ); // (7)
    } catch (err) {
      // No answer we can attribute per series (401/403/404, signing): nothing of this
      // batch moves; the rest of the run is not attempted.
      if (err instanceof RemoteWriteError && err.partial) addCalls("remote-write:POST", err.partial.requests);
      summary.errors.push(err instanceof RemoteWriteError ? err.message : `remote write: ${errorLine(err)}`);
      summary.samplesPending += samplesIn;
      stopped = true;
      continue;
    }
    // (8)
    addCalls("remote-write:POST", result.requests);
    summary.samplesSent += result.samplesSent;
    const pending = new Map<string, Set<number>>();
    const refused = new Map<string, Set<number>>();
    let exhausted = false;
    for (const d of result.dropped) {
      const key = seriesKey(d.series.labels);
      let all = refused.get(key);
      if (!all) {
        all = new Set();
        refused.set(key, all);
      }
      for (const s of d.series.samples) all.add(s.timestamp);
      if (RETRYABLE.has(d.reason)) {
        exhausted ||= d.reason === "retries_exhausted";
        let set = pending.get(key);
        if (!set) {
          set = new Set();
          pending.set(key, set);
        }
        for (const s of d.series.samples) set.add(s.timestamp);
        summary.samplesPending += d.series.samples.length;
      } else {
        summary.samplesDropped[d.reason] = (summary.samplesDropped[d.reason] ?? 0) + d.series.samples.length;
      }
    }
    for (const { key, series } of batch.items) {
      const held = pending.get(key);
      const settled = series.samples.filter((s) => !held?.has(s.timestamp));
      if (settled.length === 0) continue;
      // Newest sample taken or refused for good; an older held-back sample can never be
      // stored once a newer one is, so it is not waited for.
      marks.advance(key, Math.max(...settled.map((s) => s.timestamp)));
      const notTaken = refused.get(key);
      if (series.samples.some((s) => !notTaken?.has(s.timestamp))) sentKeys.add(key);
    }
    if (exhausted) {
      const d = result.dropped.find((x) => x.reason === "retries_exhausted")!;
      summary.errors.push(`remote write: ${d.status ? `HTTP ${d.status}: ` : ""}${d.message}`);
      stopped = true; // the receiver is failing: later batches would fail the same way
    }
    try {
      await marks.persist(); // (9)
    } catch (err) {
      summary.errors.push(`high-water marks not saved (kept in memory for the next run): ${errorLine(err)}`);
      stopped = true;
    }
  }
  summary.series = sentKeys.size;
  // (10)
  if (!stopped && marks.pending) {
    try {
      await marks.persist(); // marks a previous run could not save
    } catch (err) {
      summary.errors.push(`high-water marks not saved (kept in memory for the next run): ${errorLine(err)}`);
    }
  }
  return finish(); // (11)
}

/**
 * One remote write; series the client could not isolate within its request budget are
 * written again one per call (each call has its own budget), once.
 */
async function writeBatch(rw: RemoteWriteClient, series: Series[]): Promise<WriteResult> {
  const first = await rw.write(series);
  const isolated = first.dropped.filter((d) => d.reason === "isolation_limit");
  if (isolated.length === 0) return first;
  const total: WriteResult = { ...first, dropped: first.dropped.filter((d) => d.reason !== "isolation_limit") };
  for (const d of isolated) {
    const r = await rw.write([d.series]);
    total.requests += r.requests;
    total.retries += r.retries;
    total.samplesSent += r.samplesSent;
    total.dropped.push(...r.dropped);
  }
  return total;
}
