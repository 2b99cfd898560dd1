// Planning GetMetricData (pure): one series per (resource, metric, statistic), the time
// window each series still needs, and calls of at most 500 queries with ids valid under
// CloudWatch's rules; then turning the pages of answers back into per-series samples.
//
// Window of a series: from the first period after its high-water mark (or `now -
// lookback` when it has none or the mark is older) up to `end = floor((now - delay) /
// period) * period`. Only datapoints whose whole period ends by `end` are kept, so a
// minute CloudWatch is still filling is not sent (a sample cannot be corrected once sent:
// Prometheus rejects another value at the same timestamp). CloudWatch publishes each
// metric late (typically 1-3 minutes) but in order, so a point not there yet arrives in a
// later run, still newer than the mark. A series with nothing settled to fetch is not
// queried at all: every query costs one "metric requested".
import type { MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { byText } from "@scrape-reconciler/core";
import { DIMENSIONS, metricsFor, NAMESPACE, RESOURCE_KINDS, type MetricSet, type Statistic } from "./metric-sets";
import { seriesKey, seriesLabels, type NamingOptions } from "./naming";
import type { Resource } from "./resource";

/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/** CloudWatch: an Id starts with a lower-case letter, then letters, digits and `_`, at most 255. */
export const QUERY_ID_RE = /^[a-z][a-zA-Z0-9_]{0,254}$/;

export interface SeriesPlan {
  /** seriesKey(labels): the identity the high-water mark is kept under. */
  key: string;
  labels: Record<string, string>;
  namespace: string;
  metric: string;
  statistic: Statistic;
  /** Seconds. */
  period: number;
  dimensions: { Name: string; Value: string }[];
  resource: Resource;
}

/** Every series the resources and metric set call for, sorted by key; the same key twice is kept once. */
export function planSeries(resources: readonly Resource[], set: MetricSet, naming: NamingOptions): SeriesPlan[] {
  const out = new Map<string, SeriesPlan>();
  for (const kind of RESOURCE_KINDS) {
    for (const r of resources) {
      if (r.kind !== kind) continue;
      const names = new Set(DIMENSIONS[kind]);
      const dimensions = r.dimensions.filter((d) => names.has(d.Name));
      if (dimensions.length !== names.size) continue; // not the exact dimension set: CloudWatch would match nothing
      for (const m of metricsFor(set, kind, r.aurora)) {
        for (const statistic of m.statistics) {
          const labels = seriesLabels(r, NAMESPACE[kind], m.name, statistic, naming);
          const key = seriesKey(labels);
          if (!out.has(key)) out.set(key, { key, labels, namespace: NAMESPACE[kind], metric: m.name, statistic, period: set.period, dimensions, resource: r });
        }
      }
    }
  }
  return [...out.values()].sort(byText((p) => p.key));
}

export interface WindowOptions {
  /** Epoch ms. */
  now: number;
  /** How far back a series without a (recent) mark starts. */
  lookbackMs: number;
  /** A datapoint is sent once its period ended at least this long ago. */
  delayMs: number;
}

/** Exclusive end of what may be sent now: the last period boundary at or before now - delay. */
export function windowEnd(opts: Pick<WindowOptions, "now" | "delayMs">, periodSeconds: number): number {
  const p = periodSeconds * 1000;
  return Math.floor((opts.now - opts.delayMs) / p) * p;
}

/** First datapoint timestamp a series still needs: the period after its mark, at most `lookback` ago. */
export function seriesStart(mark: number | undefined, opts: Pick<WindowOptions, "now" | "lookbackMs">, periodSeconds: number): number {
  const p = periodSeconds * 1000;
  const floor = Math.ceil((opts.now - opts.lookbackMs) / p) * p;
  const afterMark = mark === undefined ? -Infinity : Math.floor(mark / p) * p + p;
  return Math.max(floor, afterMark);
}

export interface PlannedSeries {
  plan: SeriesPlan;
  /** First timestamp (ms) wanted; everything at or before the mark is earlier. */
  from: number;
  /** Exclusive: a datapoint at T is kept when T + period <= to. */
  to: number;
}

export interface MetricDataCall {
  startTime: Date;
  endTime: Date;
  queries: MetricDataQuery[];
  /** Query id -> the series it fetches. */
  byId: Map<string, PlannedSeries>;
}

export interface CallPlan {
  calls: MetricDataCall[];
  /** Series with nothing settled to fetch this run (not queried). */
  notDue: number;
}

/**
 * Groups the due series into GetMetricData calls of at most `maxQueries` queries, series
 * with close start times together (sorted by start), each call spanning its series'
 * earliest start to the common end.
 */
export function buildCalls(
  plans: readonly SeriesPlan[],
  markOf: (key: string) => number | undefined,
  opts: WindowOptions,
  maxQueries = MAX_QUERIES_PER_CALL,
): CallPlan {
  if (!(maxQueries >= 1 && maxQueries <= MAX_QUERIES_PER_CALL)) throw new RangeError(`maxQueries must be 1-${MAX_QUERIES_PER_CALL}`);
  const due: PlannedSeries[] = [];
  let notDue = 0;
  for (const plan of plans) {
    const to = windowEnd(opts, plan.period);
    const from = seriesStart(markOf(plan.key), opts, plan.period);
    if (from + plan.period * 1000 > to) notDue++;
    else due.push({ plan, from, to });
  }
  due.sort((a, b) => a.from - b.from || a.to - b.to || (a.plan.key < b.plan.key ? -1 : 1));
  const calls: MetricDataCall[] = [];
  for (let i = 0; i < due.length; i += maxQueries) {
    const chunk = due.slice(i, i + maxQueries);
    const byId = new Map<string, PlannedSeries>();
    const queries: MetricDataQuery[] = chunk.map((s, j) => {
      const id = queryId(j);
      byId.set(id, s);
      return {
        Id: id,
        MetricStat: {
          Metric: { Namespace: s.plan.namespace, MetricName: s.plan.metric, Dimensions: s.plan.dimensions.map((d) => ({ ...d })) },
          Period: s.plan.period,
          Stat: s.plan.statistic,
        },
        ReturnData: true,
      };
    });
    const start = Math.min(...chunk.map((s) => s.from));
    const end = Math.max(...chunk.map((s) => s.to));
    calls.push({ startTime: new Date(start), endTime: new Date(end), queries, byId });
  }
  return { calls, notDue };
}

/** The id of the n-th query of a call: q0, q1, ... */
export function queryId(n: number): string {
  return `q${n}`;
}

export interface CollectedSeries {
  plan: SeriesPlan;
  /** Timestamp order, one per timestamp, only inside the series' window. */
  samples: { timestamp: number; value: number }[];
}

export interface Collected {
  series: CollectedSeries[];
  /** Query ids CloudWatch answered with a status other than Complete/PartialData. */
  failed: { id: string; key: string; status: string }[];
  /** Datapoints outside a series' window (already sent, or not settled yet). */
  outsideWindow: number;
}

/** Merges the result pages of one call (a query's datapoints may span pages) into per-series samples. */
export function collectResults(call: MetricDataCall, pages: readonly (readonly MetricDataResult[])[]): Collected {
  const points = new Map<string, Map<number, number>>();
  const failed: Collected["failed"] = [];
  let outsideWindow = 0;
  for (const page of pages) {
    for (const r of page) {
      const s = r.Id ? call.byId.get(r.Id) : undefined;
      if (!s) continue;
      if (r.StatusCode && r.StatusCode !== "Complete" && r.StatusCode !== "PartialData") {
        if (!failed.some((f) => f.id === r.Id)) failed.push({ id: r.Id!, key: s.plan.key, status: r.StatusCode });
        continue;
      }
      const ts = r.Timestamps ?? [];
      const vs = r.Values ?? [];
      let m = points.get(r.Id!);
      if (!m) {
        m = new Map();
        points.set(r.Id!, m);
      }
      for (let i = 0; i < ts.length && i < vs.length; i++) {
        const t = new Date(ts[i]!).getTime();
        const v = vs[i]!;
        if (!Number.isFinite(t) || typeof v !== "number") continue;
        if (t < s.from || t + s.plan.period * 1000 > s.to) {
          outsideWindow++;
          continue;
        }
        m.set(t, v);
      }
    }
  }
  const series: CollectedSeries[] = [];
  for (const [id, s] of call.byId) {
    const m = points.get(id);
    if (!m || m.size === 0) continue;
    const samples = [...m.entries()].sort((a, b) => a[0] - b[0]).map(([timestamp, value]) => ({ timestamp, value }));
    series.push({ plan: s.plan, samples });
  }
  return { series, failed, outsideWindow };
}
