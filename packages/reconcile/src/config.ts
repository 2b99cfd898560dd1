// The reconcile settings, parsed once from the environment into a typed object. Shared by
// the CLI and the functions. Every variable is read; missing or bad ones raise one
// ConfigError listing each problem, naming its variable. The variable names come from
// @scrape-reconciler/core's ENV, which the stack also sets from.
import type { S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import {
  checkBucketName,
  ConfigError,
  ConfigProblems,
  DEFAULT_TAG_NAMES,
  ENV,
  integerValue,
  listValue,
  s3KeyValue,
  type TagNames,
} from "@scrape-reconciler/core";
import type { ObjectCache, StateTarget } from "@scrape-reconciler/store";

export interface ReconcileConfig {
  bucket: string;
  key: string;
  manifestParameter: string;
  /** Cloud Map namespaces to include, each by name, id or ARN; undefined = all. */
  namespaces?: string[];
  /**
   * ECS clusters to include, by name or ARN (an ARN is matched by its cluster name);
   * undefined = all. When set, Cloud Map instances of other clusters are dropped, and so
   * are those without `ECS_CLUSTER_NAME` (registrations that did not come from ECS).
   */
  clusters?: string[];
  /**
   * S3 key of the reconciler state, beside the document: what the last full discovery and
   * the events since found (namespaces, services, tasks with their versions and
   * tombstones, task definitions, failed parts), read and written by the full reconcile
   * and the event path alike; must differ from `key`.
   */
  stateKey: string;
  tagNames: TagNames;
  /** Parallel Cloud Map / ECS calls. */
  concurrency: number;
  /**
   * When the single document (`key`) is written: by every publication ("every-change"), or
   * by the full reconcile only ("full-reconcile", the default), an event batch then
   * publishing only the changed shards and the index, which the manifest points at.
   */
  singleDocument: SingleDocumentMode;
}

export type SingleDocumentMode = "every-change" | "full-reconcile";
const SINGLE_DOCUMENT_MODES: readonly SingleDocumentMode[] = ["every-change", "full-reconcile"];

function singleDocumentMode(env: Env): SingleDocumentMode {
  const v = env[ENV.PUBLISH_SINGLE_DOCUMENT]?.trim() || DEFAULTS.singleDocument;
  if (!(SINGLE_DOCUMENT_MODES as readonly string[]).includes(v)) {
    throw new ConfigError(ENV.PUBLISH_SINGLE_DOCUMENT, `${ENV.PUBLISH_SINGLE_DOCUMENT}=${JSON.stringify(v)} is not one of ${SINGLE_DOCUMENT_MODES.join(", ")}`);
  }
  return v as SingleDocumentMode;
}

export const DEFAULTS = {
  key: "targets/ecs-services.json",
  manifestParameter: "/scrape-reconciler/targets/manifest",
  stateKey: "targets/state.json",
  concurrency: 8,
  singleDocument: "full-reconcile",
} as const;

type Env = Record<string, string | undefined>;

function tagName(env: Env, name: string, fallback: string): string {
  const v = env[name]?.trim() || fallback;
  if (!/^[\w.:/=+\-@ ]{1,128}$/.test(v)) throw new ConfigError(name, `${name}=${JSON.stringify(v)} is not a valid tag key`);
  return v;
}

function targetsBucket(env: Env): string {
  const bucket = env[ENV.TARGETS_BUCKET]?.trim();
  if (!bucket) throw new ConfigError(ENV.TARGETS_BUCKET, `${ENV.TARGETS_BUCKET} is required: the S3 bucket of the targets document`);
  return checkBucketName(ENV.TARGETS_BUCKET, bucket);
}

function manifestParameterName(env: Env): string {
  const name = env[ENV.MANIFEST_PARAMETER]?.trim() || DEFAULTS.manifestParameter;
  if (!/^[a-zA-Z0-9_.\-/]{1,1011}$/.test(name) || (name.includes("/") && !name.startsWith("/"))) {
    throw new ConfigError(
      ENV.MANIFEST_PARAMETER,
      `${ENV.MANIFEST_PARAMETER}=${JSON.stringify(name)} is not a valid SSM parameter name (a path like /app/stage/targets/manifest)`,
    );
  }
  return name;
}

export function parseReconcileConfig(env: Env): ReconcileConfig {
  const problems = new ConfigProblems();
  const bucket = problems.check(() => targetsBucket(env));
  const manifestParameter = problems.check(() => manifestParameterName(env));
  const concurrency = problems.check(() => integerValue(env, ENV.DISCOVERY_CONCURRENCY, DEFAULTS.concurrency, 1, 64));
  const key = problems.check(() => s3KeyValue(env, ENV.TARGETS_KEY, DEFAULTS.key));
  const stateKey = problems.check(() => s3KeyValue(env, ENV.STATE_KEY, DEFAULTS.stateKey));
  if (key !== undefined && stateKey === key) problems.add(ENV.STATE_KEY, `${ENV.STATE_KEY} must differ from ${ENV.TARGETS_KEY} (${key})`);
  const namespaces = problems.check(() => listValue(env, ENV.NAMESPACES));
  const clusters = problems.check(() => listValue(env, ENV.CLUSTERS));
  const tagNames = {
    port: problems.check(() => tagName(env, ENV.TAG_METRICS_PORT, DEFAULT_TAG_NAMES.port)),
    path: problems.check(() => tagName(env, ENV.TAG_METRICS_PATH, DEFAULT_TAG_NAMES.path)),
    infraPort: problems.check(() => tagName(env, ENV.TAG_ECS_METRICS_PORT, DEFAULT_TAG_NAMES.infraPort)),
    infraPath: problems.check(() => tagName(env, ENV.TAG_ECS_METRICS_PATH, DEFAULT_TAG_NAMES.infraPath)),
    scheme: problems.check(() => tagName(env, ENV.TAG_METRICS_SCHEME, DEFAULT_TAG_NAMES.scheme)),
  };
  const singleDocument = problems.check(() => singleDocumentMode(env));
  const valid = problems.finish({ bucket, key, manifestParameter, stateKey, concurrency, singleDocument, ...tagNames });
  return {
    bucket: valid.bucket,
    key: valid.key,
    manifestParameter: valid.manifestParameter,
    namespaces,
    clusters,
    stateKey: valid.stateKey,
    concurrency: valid.concurrency,
    singleDocument: valid.singleDocument,
    tagNames: { port: valid.port, path: valid.path, infraPort: valid.infraPort, infraPath: valid.infraPath, scheme: valid.scheme },
  };
}

/** Where this configuration publishes: the document, its manifest and the state beside it. */
export function stateTargetOf(config: ReconcileConfig, clients: { s3: S3Client; ssm: SSMClient; objects?: ObjectCache }): StateTarget {
  return {
    s3: clients.s3,
    ssm: clients.ssm,
    bucket: config.bucket,
    key: config.key,
    manifestParameter: config.manifestParameter,
    stateKey: config.stateKey,
    ...(clients.objects ? { cache: clients.objects } : {}),
  };
}
