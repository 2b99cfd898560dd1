// CloudWatch as the emulation sees it: the metrics the stack's alarms watch, read from
// where AWS would take them. Custom metrics come from the functions' Embedded Metric
// Format log lines (Powertools Metrics), AWS/SQS queue depths from the emulated queues,
// AWS/Lambda errors, throttles and invocations from the emulated Lambda service. An
// alarm's state is its comparison against the latest value. Pure over its inputs.
import type { AlarmModel } from "./stack-model";

export interface Datapoint {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: number;
  timestamp: number;
}

/** An EMF document as the format defines it; the fields are checked or converted where read. */
interface EmfDocument {
  _aws?: {
    Timestamp?: unknown;
    CloudWatchMetrics?: unknown;
  };
  [field: string]: unknown;
}

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: string[][];
  Metrics?: { Name: string }[];
}

/** The datapoints of one EMF log line (none when the line is not EMF). */
export function emfDatapoints(line: string): Datapoint[] {
  const start = line.indexOf("{");
  if (start < 0 || !line.includes('"_aws"')) return [];
  let doc: EmfDocument; // the text from the first "{" parses to an object or throws
  try {
    doc = JSON.parse(line.slice(start)) as EmfDocument;
  } catch {
    return [];
  }
  const meta = doc?._aws;
  if (!meta || !Array.isArray(meta.CloudWatchMetrics)) return [];
  const out: Datapoint[] = [];
  for (const directive of meta.CloudWatchMetrics as EmfDirective[]) {
    const dimSets: string[][] = Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
    for (const metric of directive.Metrics ?? []) {
      const raw = doc[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).map(Number).filter((v) => Number.isFinite(v));
      for (const dims of dimSets) {
        const dimensions = Object.fromEntries(dims.map((d) => [d, String(doc[d])]));
        for (const value of values)
          out.push({ namespace: String(directive.Namespace), name: String(metric.Name), dimensions, value, timestamp: Number(meta.Timestamp) || Date.now() });
      }
    }
  }
  return out;
}

export function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

function breaches(alarm: AlarmModel, value: number): boolean | undefined {
  const t = alarm.threshold;
  switch (alarm.comparisonOperator) {
    case "GreaterThanThreshold":
      return value > t;
    case "GreaterThanOrEqualToThreshold":
      return value >= t;
    case "LessThanThreshold":
      return value < t;
    case "LessThanOrEqualToThreshold":
      return value <= t;
    default:
      return undefined;
  }
}

/**
 * An alarm's state from its metric's values, oldest first (one value stands for one
 * period): ALARM when the last `evaluationPeriods` values all breach, OK otherwise,
 * INSUFFICIENT_DATA with no value or an operator it does not know.
 */
export function alarmState(alarm: AlarmModel, values: readonly number[]): AlarmState {
  if (values.length === 0 || breaches(alarm, values.at(-1)!) === undefined) return "INSUFFICIENT_DATA";
  const n = Math.max(1, alarm.evaluationPeriods);
  return values.length >= n && values.slice(-n).every((v) => breaches(alarm, v)) ? "ALARM" : "OK";
}
