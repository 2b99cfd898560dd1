// The forwarder's settings, read once from the environment into a typed object (shared
// by the CLI and the function). Every variable is read; missing or bad ones raise one
// ConfigError listing each problem, naming its variable.
//
//   AMP_REMOTE_WRITE_URL | REMOTE_WRITE_URL   required; the remote-write endpoint, without
//                         credentials (a URL with user:password@ is refused, masked)
//   REMOTE_WRITE_AUTH     sigv4 | none (default: sigv4 for an AMP URL, none otherwise)
//   AMP_REGION            SigV4 region (default: the AMP URL's region, else AWS_REGION)
//   AMP_ROLE_ARN          role to assume for signing (AMP workspace in another account)
//   FORWARD_STATE_BUCKET  bucket of the high-water marks (default TARGETS_BUCKET)
//   FORWARD_STATE_KEY     key of the marks (default forwarder/high-water.json)
//   FORWARD_LOOKBACK      how far back a series without a mark starts (default 30m)
//   FORWARD_DELAY         send a datapoint once its period ended this long ago (default 1m)
//   FORWARD_INTERVAL      CLI loop interval (default 60s)
//   FORWARD_SOURCES       rds,elasticache (default both)
//   RDS_INSTANCES, ELASTICACHE_CLUSTERS   explicit ids (default: all in the region)
//   RDS_TAG_FILTER (or RDS_TAG), ELASTICACHE_TAG_FILTER (or ELASTICACHE_TAG)
//                         KEY=VALUE[,KEY=VALUE...] or KEY (tag present); all must match
//   FORWARD_AURORA_CLUSTERS  true|false: Aurora cluster-level metrics (default true)
//   FORWARD_METRIC_SET    JSON override of the metric set, inline ({...}) or a file path
//   FORWARD_TAG_LABELS    tag keys copied to tag_<key> labels, comma-separated
//   FORWARD_JOB           value of the job label (default cloudwatch)
//
// The names are @scrape-reconciler/core's ENV constants, which the stack also sets from.
import { readFileSync } from "node:fs";
import { checkBucketName, ConfigError, ConfigProblems, ENV, envValue, integerValue, listValue, s3KeyValue } from "@scrape-reconciler/core";
import { maskUserinfo } from "@scrape-reconciler/remote-write";
import type { TagFilter } from "./discovery";
import { DEFAULT_METRIC_SET, parseMetricSet, type MetricSet } from "./metric-sets";
import { tagLabel } from "./naming";

type Env = Record<string, string | undefined>;

export interface ForwardConfig {
  remoteWrite: {
    url: string;
    auth: { type: "none" } | { type: "sigv4"; region: string; roleArn?: string };
  };
  state: { bucket: string; key: string };
  lookbackMs: number;
  delayMs: number;
  intervalMs: number;
  rds: { enabled: boolean; instances?: string[]; tagFilter?: TagFilter; clusters: boolean };
  elastiCache: { enabled: boolean; clusters?: string[]; tagFilter?: TagFilter };
  metricSet: MetricSet;
  tagLabels: string[];
  job: string;
  /** Series per remote-write request (each batch's marks are persisted after it). */
  maxSeriesPerWrite: number;
}

export const FORWARD_DEFAULTS = {
  stateKey: "forwarder/high-water.json",
  lookback: "30m",
  delay: "1m",
  interval: "60s",
  job: "cloudwatch",
  maxSeriesPerWrite: 500,
} as const;

const AMP_HOST = /^aps-workspaces\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/;
const get = envValue;

/** `90s`, `5m`, `1h`, `250ms`, or plain seconds. */
export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(name, `${name}=${JSON.stringify(raw)} is not a duration (e.g. 90s, 5m, 1h)`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(n * unit);
}

export function parseTagFilter(name: string, raw: string): TagFilter {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf("=");
      const key = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (!key) throw new ConfigError(name, `${name}=${JSON.stringify(raw)}: "${part}" has no tag key (want KEY=VALUE or KEY)`);
      return eq < 0 ? { key } : { key, value: part.slice(eq + 1).trim() };
    });
}

function tagFilter(env: Env, ...names: string[]): TagFilter | undefined {
  for (const name of names) {
    const raw = get(env, name);
    if (raw) return parseTagFilter(name, raw);
  }
  return undefined;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = get(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (["true", "1", "yes"].includes(raw)) return true;
  if (["false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(name, `${name}=${JSON.stringify(raw)} must be true or false`);
}

function metricSet(env: Env): MetricSet {
  const raw = get(env, ENV.FORWARD_METRIC_SET);
  if (!raw) return DEFAULT_METRIC_SET;
  let text = raw;
  let where = "inline JSON";
  if (!raw.startsWith("{")) {
    where = raw;
    try {
      text = readFileSync(raw, "utf8");
    } catch (err) {
      throw new ConfigError(ENV.FORWARD_METRIC_SET, `${ENV.FORWARD_METRIC_SET}: cannot read ${raw}: ${(err as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(ENV.FORWARD_METRIC_SET, `${ENV.FORWARD_METRIC_SET} (${where}) is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseMetricSet(json);
  } catch (err) {
    throw new ConfigError(ENV.FORWARD_METRIC_SET, `${ENV.FORWARD_METRIC_SET} (${where}): ${(err as Error).message}`);
  }
}

function remoteWriteUrl(env: Env): URL {
  const urlVar = get(env, ENV.AMP_REMOTE_WRITE_URL) ? ENV.AMP_REMOTE_WRITE_URL : ENV.REMOTE_WRITE_URL;
  const rawUrl = get(env, urlVar);
  if (!rawUrl)
    throw new ConfigError(ENV.AMP_REMOTE_WRITE_URL, `${ENV.AMP_REMOTE_WRITE_URL} (or ${ENV.REMOTE_WRITE_URL}) is required: the remote-write endpoint`);
  // A message quotes the URL with its password masked and without its query (which may
  // hold a token): it may carry credentials (refused below).
  const shown = (text: string) => maskUserinfo(text.replace(/[?#].*$/s, (rest) => (rest.length > 1 ? `${rest[0]}…` : rest)));
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new ConfigError(urlVar, `${urlVar}=${JSON.stringify(shown(rawUrl))} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(urlVar, `${urlVar} must be an http(s) URL, got ${url.protocol}`);
  if (url.username || url.password) {
    // fetch refuses such a URL on every request (an error no retry fixes), and its error
    // line would print the password into the function's logs.
    throw new ConfigError(
      urlVar,
      `${urlVar}=${shown(url.href)} has credentials in the URL, which are refused (never sent, and they would be logged): remove them; ` +
        `${ENV.REMOTE_WRITE_AUTH} supports sigv4 or none`,
    );
  }
  return url;
}

type Auth = ForwardConfig["remoteWrite"]["auth"];

/** The signing settings; undefined when a problem was recorded or the URL (which decides the default) is unusable. */
function remoteWriteAuth(env: Env, url: URL | undefined, problems: ConfigProblems): Auth | undefined {
  const explicit = get(env, ENV.REMOTE_WRITE_AUTH)?.toLowerCase();
  if (explicit !== undefined && explicit !== "sigv4" && explicit !== "none") {
    problems.add(ENV.REMOTE_WRITE_AUTH, `${ENV.REMOTE_WRITE_AUTH}=${JSON.stringify(explicit)} must be sigv4 or none`);
    return undefined;
  }
  if (!url) return undefined;
  const ampRegion = AMP_HOST.exec(url.hostname)?.[1];
  if ((explicit ?? (ampRegion ? "sigv4" : "none")) === "none") return { type: "none" };
  const region = problems.check(() => {
    const r = get(env, ENV.AMP_REGION) ?? ampRegion ?? get(env, "AWS_REGION") ?? get(env, "AWS_DEFAULT_REGION");
    if (!r) throw new ConfigError(ENV.AMP_REGION, `${ENV.AMP_REGION} is required for SigV4 when the remote-write URL is not an AMP URL`);
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)) throw new ConfigError(ENV.AMP_REGION, `${ENV.AMP_REGION}=${JSON.stringify(r)} is not an AWS region`);
    if (ampRegion && r !== ampRegion) throw new ConfigError(ENV.AMP_REGION, `${ENV.AMP_REGION}=${r} does not match the AMP URL's region ${ampRegion}`);
    return r;
  });
  const roleArn = get(env, ENV.AMP_ROLE_ARN);
  if (roleArn && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/.test(roleArn)) {
    problems.add(ENV.AMP_ROLE_ARN, `${ENV.AMP_ROLE_ARN}=${JSON.stringify(roleArn)} is not an IAM role ARN`);
    return undefined;
  }
  return region === undefined ? undefined : { type: "sigv4", region, ...(roleArn ? { roleArn } : {}) };
}

function stateBucket(env: Env): string {
  const bucketVar = get(env, ENV.FORWARD_STATE_BUCKET) ? ENV.FORWARD_STATE_BUCKET : ENV.TARGETS_BUCKET;
  const bucket = get(env, bucketVar);
  if (!bucket)
    throw new ConfigError(
      ENV.FORWARD_STATE_BUCKET,
      `${ENV.FORWARD_STATE_BUCKET} (or ${ENV.TARGETS_BUCKET}) is required: the S3 bucket of the high-water marks`,
    );
  return checkBucketName(bucketVar, bucket);
}

export function parseForwardConfig(env: Env): ForwardConfig {
  const problems = new ConfigProblems();
  const url = problems.check(() => remoteWriteUrl(env));
  const auth = remoteWriteAuth(env, url, problems);
  const bucket = problems.check(() => stateBucket(env));
  const key = problems.check(() => s3KeyValue(env, ENV.FORWARD_STATE_KEY, FORWARD_DEFAULTS.stateKey));

  const set = problems.check(() => metricSet(env));
  const duration = (name: string, fallback: string) => problems.check(() => parseDuration(name, get(env, name) ?? fallback));
  const lookbackMs = duration(ENV.FORWARD_LOOKBACK, FORWARD_DEFAULTS.lookback);
  const delayMs = duration(ENV.FORWARD_DELAY, FORWARD_DEFAULTS.delay);
  const intervalMs = duration(ENV.FORWARD_INTERVAL, FORWARD_DEFAULTS.interval);
  const delayOk = delayMs !== undefined && delayMs <= 3_600_000;
  if (delayMs !== undefined && !delayOk) problems.add(ENV.FORWARD_DELAY, `${ENV.FORWARD_DELAY} must be at most 1h`);
  if (lookbackMs !== undefined) {
    // The coverage check needs a valid delay and metric set; a problem with either is already recorded.
    const cover = delayOk && set ? delayMs + 2 * set.period * 1000 : undefined;
    if (cover !== undefined && lookbackMs < cover) {
      problems.add(
        ENV.FORWARD_LOOKBACK,
        `${ENV.FORWARD_LOOKBACK} (${lookbackMs / 1000} s) must cover ${ENV.FORWARD_DELAY} plus two periods (${cover / 1000} s)`,
      );
    } else if (lookbackMs > 24 * 3_600_000) {
      problems.add(ENV.FORWARD_LOOKBACK, `${ENV.FORWARD_LOOKBACK} must be at most 24h`);
    }
  }
  if (intervalMs !== undefined && intervalMs < 1000) problems.add(ENV.FORWARD_INTERVAL, `${ENV.FORWARD_INTERVAL} must be at least 1s`);

  const sources = problems.check(() => listValue(env, ENV.FORWARD_SOURCES)) ?? ["rds", "elasticache"];
  const unknown = sources.find((s) => s !== "rds" && s !== "elasticache");
  if (unknown) problems.add(ENV.FORWARD_SOURCES, `${ENV.FORWARD_SOURCES}: unknown source ${JSON.stringify(unknown)} (rds, elasticache)`);

  const tagLabels = problems.check(() => listValue(env, ENV.FORWARD_TAG_LABELS)) ?? [];
  const badTag = tagLabels.find((t) => !tagLabel(t));
  if (badTag) problems.add(ENV.FORWARD_TAG_LABELS, `${ENV.FORWARD_TAG_LABELS}: tag key ${JSON.stringify(badTag)} does not make a valid label name`);

  const job = get(env, ENV.FORWARD_JOB) ?? FORWARD_DEFAULTS.job;
  const maxSeriesPerWrite = problems.check(() => integerValue(env, ENV.FORWARD_MAX_SERIES_PER_WRITE, FORWARD_DEFAULTS.maxSeriesPerWrite, 1, 2000));
  const rdsInstances = problems.check(() => listValue(env, ENV.RDS_INSTANCES));
  const cacheClusters = problems.check(() => listValue(env, ENV.ELASTICACHE_CLUSTERS));
  const rdsFilter = problems.check(() => tagFilter(env, ENV.RDS_TAG_FILTER, ENV.RDS_TAG));
  const cacheFilter = problems.check(() => tagFilter(env, ENV.ELASTICACHE_TAG_FILTER, ENV.ELASTICACHE_TAG));
  const auroraClusters = problems.check(() => bool(env, ENV.FORWARD_AURORA_CLUSTERS, true));

  const v = problems.finish({ url, auth, bucket, key, set, lookbackMs, delayMs, intervalMs, maxSeriesPerWrite, auroraClusters });
  return {
    remoteWrite: { url: v.url.toString(), auth: v.auth },
    state: { bucket: v.bucket, key: v.key },
    lookbackMs: v.lookbackMs,
    delayMs: v.delayMs,
    intervalMs: v.intervalMs,
    rds: {
      enabled: sources.includes("rds"),
      ...(rdsInstances ? { instances: rdsInstances } : {}),
      ...(rdsFilter ? { tagFilter: rdsFilter } : {}),
      clusters: v.auroraClusters,
    },
    elastiCache: {
      enabled: sources.includes("elasticache"),
      ...(cacheClusters ? { clusters: cacheClusters } : {}),
      ...(cacheFilter ? { tagFilter: cacheFilter } : {}),
    },
    metricSet: v.set,
    tagLabels,
    job,
    maxSeriesPerWrite: v.maxSeriesPerWrite,
  };
}
