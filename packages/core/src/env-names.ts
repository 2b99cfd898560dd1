// Every environment variable a deployed function reads, named once. The parsers
// (@scrape-reconciler/reconcile parseReconcileConfig, @scrape-reconciler/forwarder
// parseForwardConfig) read these names and the stack (infra/) sets them from the same
// constants, so the two can no longer drift apart. Each name carries its documented
// default ("required" when there is none); the README's configuration tables (and
// packages/forwarder/README.md) document the same. Also named here: the variables that
// belong to the runtime rather than to this project (Lambda and the AWS SDK, Powertools,
// Node, SST's resource links). Dependency-free: infra/ imports it by relative path.

/** The documented default of a variable that must be set. */
export const REQUIRED = "required";

const DEFAULTS = {
  // The reconcile settings: the reconcile and audit functions and the CLI.
  TARGETS_BUCKET: REQUIRED,
  TARGETS_KEY: "targets/ecs-services.json",
  MANIFEST_PARAMETER: "/scrape-reconciler/targets/manifest",
  NAMESPACES: "all namespaces",
  CLUSTERS: "all clusters",
  STATE_KEY: "targets/state.json",
  DISCOVERY_CONCURRENCY: "8",
  PUBLISH_SINGLE_DOCUMENT: "full-reconcile",
  TAG_METRICS_PORT: "METRICS_PORT",
  TAG_METRICS_PATH: "METRICS_PATH",
  TAG_ECS_METRICS_PORT: "ECS_METRICS_PORT",
  TAG_ECS_METRICS_PATH: "ECS_METRICS_PATH",
  TAG_METRICS_SCHEME: "METRICS_SCHEME",
  // The forwarder: the forward function and the CLI.
  AMP_REMOTE_WRITE_URL: REQUIRED,
  REMOTE_WRITE_URL: "AMP_REMOTE_WRITE_URL (its alternative name)",
  REMOTE_WRITE_AUTH: "sigv4 for an AMP URL, else none",
  AMP_REGION: "the AMP URL's region, else AWS_REGION",
  AMP_ROLE_ARN: "none (sign with the function's own role)",
  FORWARD_STATE_BUCKET: "TARGETS_BUCKET",
  FORWARD_STATE_KEY: "forwarder/high-water.json",
  FORWARD_LOOKBACK: "30m",
  FORWARD_DELAY: "1m",
  FORWARD_INTERVAL: "60s",
  FORWARD_SOURCES: "rds,elasticache",
  RDS_INSTANCES: "every instance in the region",
  ELASTICACHE_CLUSTERS: "every cache cluster in the region",
  RDS_TAG_FILTER: "none",
  RDS_TAG: "RDS_TAG_FILTER (its alternative name)",
  ELASTICACHE_TAG_FILTER: "none",
  ELASTICACHE_TAG: "ELASTICACHE_TAG_FILTER (its alternative name)",
  FORWARD_AURORA_CLUSTERS: "true",
  FORWARD_METRIC_SET: "the default metric set",
  FORWARD_TAG_LABELS: "none",
  FORWARD_JOB: "cloudwatch",
  FORWARD_MAX_SERIES_PER_WRITE: "500",
} as const;

export type EnvName = keyof typeof DEFAULTS;

/** The names as constants: `ENV.TARGETS_BUCKET === "TARGETS_BUCKET"`; a misspelt one does not compile. */
export const ENV: { readonly [K in EnvName]: K } = Object.freeze(Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, k])) as { [K in EnvName]: K });

/** The documented default of each variable, or REQUIRED. */
export const ENV_DEFAULTS: Readonly<Record<EnvName, string>> = DEFAULTS;

export function isEnvName(name: string): name is EnvName {
  return Object.hasOwn(DEFAULTS, name);
}

/** Runtime variables the stack sets for every function (read by Node and Powertools, not by the parsers). */
export const RUNTIME_ENV = {
  NODE_OPTIONS: "NODE_OPTIONS",
  POWERTOOLS_SERVICE_NAME: "POWERTOOLS_SERVICE_NAME",
  POWERTOOLS_METRICS_NAMESPACE: "POWERTOOLS_METRICS_NAMESPACE",
} as const;

/**
 * Prefixes of variables owned by the runtime, not by this project: Lambda and the AWS SDK
 * (`AWS_REGION`, set by Lambda; `AWS_PROFILE`, `AWS_ENDPOINT_URL[_<SERVICE>]`, the
 * credential chain), Powertools (`POWERTOOLS_*`) and SST, which adds `SST_*` to every
 * function for its resource links.
 */
export const RUNTIME_ENV_PREFIXES = ["AWS_", "POWERTOOLS_", "SST_"] as const;

export function isRuntimeEnv(name: string): boolean {
  return Object.hasOwn(RUNTIME_ENV, name) || RUNTIME_ENV_PREFIXES.some((p) => name.startsWith(p));
}
