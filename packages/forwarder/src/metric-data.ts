// GetMetricData over the wire: one planned call, every NextToken page, timestamps
// ascending. The SDK client retries throttling (its adaptive mode also slows down).
// Counts what CloudWatch bills: each request counts every query it carries as one
// "metric requested", pages included.
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { collectResults, type Collected, type MetricDataCall } from "./queries";

export interface FetchedCall {
  collected: Collected;
  /** GetMetricData requests answered (pages). */
  requests: number;
  /** Queries x requests: the billing unit. */
  metricsRequested: number;
  /** CloudWatch's Messages (e.g. MaxQueryTimeRangeExceed), code: value. */
  messages: string[];
}

/** Pages a single call can take before we stop trusting NextToken. */
const MAX_PAGES = 1000;

export async function fetchMetricData(cloudwatch: CloudWatchClient, call: MetricDataCall): Promise<FetchedCall> {
  const pages: MetricDataResult[][] = [];
  const messages: string[] = [];
  let token: string | undefined;
  let requests = 0;
  do {
    const res = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: call.queries,
        StartTime: call.startTime,
        EndTime: call.endTime,
        ScanBy: "TimestampAscending",
        ...(token ? { NextToken: token } : {}),
      }),
    );
    requests++;
    pages.push(res.MetricDataResults ?? []);
    for (const m of res.Messages ?? []) messages.push(`${m.Code ?? "Message"}: ${m.Value ?? ""}`);
    token = res.NextToken || undefined;
    if (requests >= MAX_PAGES && token) throw new Error(`GetMetricData returned a NextToken on ${MAX_PAGES} pages in a row; giving up`);
  } while (token);
  return { collected: collectResults(call, pages), requests, metricsRequested: requests * call.queries.length, messages };
}
