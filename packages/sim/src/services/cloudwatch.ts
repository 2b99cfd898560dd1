// Amazon CloudWatch GetMetricData (the SDK's client-cloudwatch speaks awsJson1_0 with
// X-Amz-Target GraniteServiceVersion20100801.*, query-compatible errors): validates the
// queries, reads each one's datapoints from the account's metrics (state/cloudwatch.ts)
// and pages them. Up to 500 queries per call, NextToken paging by MaxDatapoints (capped
// by the simulator's page size for cloudwatch:GetMetricData), ScanBy both ways.
import { AwsError } from "../errors";
import type { Dimension } from "../state/cloudwatch";
import { defineJsonService } from "./json";
import { paginate } from "./paging";

const STATS = new Set(["Average", "Sum", "Minimum", "Maximum", "SampleCount"]);

function toMs(value: unknown, field: string): number {
  const ms =
    typeof value === "number" ? value * 1000 : typeof value === "string" ? (/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value)) : NaN;
  if (!Number.isFinite(ms)) throw new AwsError("MissingParameter", `The parameter ${field} is required.`);
  return ms;
}

interface Query {
  Id?: string;
  MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }; Period?: number; Stat?: string; Unit?: string };
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

      // Every visible datapoint of every query, in query order, then time order.
      const points: { q: number; t: number; v: number }[] = [];
      const counts = queries.map(() => 0);
      queries.forEach((q, qi) => {
        const ms = q.MetricStat!;
        const m = ms.Metric!;
        const metric = { namespace: m.Namespace!, metricName: m.MetricName!, dimensions: m.Dimensions ?? [], periodSeconds: ms.Period!, stat: ms.Stat! };
        const series = ctx.state.cloudWatch.datapoints(metric, start, end, now);
        if (descending) series.reverse();
        for (const { t, v } of series) points.push({ q: qi, t, v });
        counts[qi] = series.length;
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
