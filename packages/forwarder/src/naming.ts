// Prometheus names for CloudWatch series, the way YACE (yet-another-cloudwatch-exporter)
// names them so dashboards built on YACE keep working:
//   aws_rds_cpuutilization_average{dimension_DBInstanceIdentifier="orders", name="arn:...",
//     region="eu-west-1", account_id="123456789012", tag_team="db", job="cloudwatch"}
// Metric name: "aws_" + namespace lower-cased and sanitized ("AWS/RDS" -> aws_rds) + "_" +
// the metric name split at lower-to-upper boundaries, sanitized and lower-cased
// (FreeableMemory -> freeable_memory, CPUUtilization -> cpuutilization, ReadIOPS ->
// read_iops) + "_" + the statistic lower-cased. Labels: `dimension_<Name>` per dimension,
// `name` = the resource ARN, `region`, `account_id`, `tag_<Key>` for the configured tag
// keys, plus `job` (YACE gets its job from the scrape; a pushed series must carry its own).
// Pure: no I/O.
import type { Resource } from "./resource";

const REPLACEMENTS: Record<string, string> = {
  " ": "_",
  ",": "_",
  "\t": "_",
  "/": "_",
  "\\": "_",
  ".": "_",
  "-": "_",
  ":": "_",
  "=": "_",
  "\u201c": "_",
  "@": "_",
  "<": "_",
  ">": "_",
  "%": "_percent",
};
const REPLACE_RE = /[ ,\t/\\.\-:=\u201c@<>%]/g;

/** YACE's sanitize: separators to `_`, `%` to `_percent`; case kept. */
export function sanitize(text: string): string {
  return text.replace(REPLACE_RE, (c) => REPLACEMENTS[c]!);
}

/** YACE's PromString: split lower/digit-to-upper boundaries, sanitize, lower-case. */
export function promString(text: string): string {
  return sanitize(text.replace(/([a-z0-9])([A-Z])/g, "$1.$2")).toLowerCase();
}

/** YACE's BuildMetricName, e.g. ("AWS/ElastiCache", "CPUUtilization", "Maximum") -> aws_elasticache_cpuutilization_maximum. */
export function metricName(namespace: string, metric: string, statistic: string): string {
  let ns = promString(namespace.toLowerCase()).replace(/^_/, "");
  const prefix = ns.startsWith("aws") ? "" : "aws_";
  let name = promString(metric);
  // As YACE: a metric name repeating parts of the namespace loses them (Glue's glue_* metrics).
  for (const part of ns.split("_")) if (part && name.startsWith(part)) name = name.slice(part.length);
  name = name.replace(/^_/, "");
  ns = `${prefix}${ns}`;
  return statistic ? `${ns}_${name}_${promString(statistic)}` : `${ns}_${name}`;
}

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The label a tag key becomes (`tag_` + sanitized key); undefined when not a valid label name. */
export function tagLabel(key: string): string | undefined {
  const label = `tag_${sanitize(key)}`;
  return LABEL_NAME.test(label) ? label : undefined;
}

export interface NamingOptions {
  /** Value of the `job` label. */
  job: string;
  /** Tag keys copied into `tag_<key>` labels (absent tags give no label). */
  tagLabels: readonly string[];
}

/** Every label of one series, `__name__` included. */
export function seriesLabels(resource: Resource, namespace: string, metric: string, statistic: string, opts: NamingOptions): Record<string, string> {
  const labels: Record<string, string> = { __name__: metricName(namespace, metric, statistic) };
  for (const d of resource.dimensions) labels[`dimension_${sanitize(d.Name)}`] = d.Value;
  for (const key of opts.tagLabels) {
    const label = tagLabel(key);
    const value = resource.tags[key];
    if (label && value !== undefined && value !== "") labels[label] = value;
  }
  labels.name = resource.arn;
  labels.region = resource.region;
  labels.account_id = resource.accountId;
  labels.job = opts.job;
  return labels;
}

/** Canonical identity of a series: `name{a="b",c="d"}` with labels sorted by name (empty values left out). */
export function seriesKey(labels: Record<string, string>): string {
  const name = labels.__name__ ?? "";
  const rest = Object.keys(labels)
    .filter((k) => k !== "__name__" && labels[k] !== "")
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${rest.join(",")}}`;
}
