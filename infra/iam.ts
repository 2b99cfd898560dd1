// IAM statements of each function and of the Prometheus task role, least
// privilege: exact actions (never a wildcard), resource ARNs wherever the
// service supports resource-level permissions (per the Service Authorization
// Reference), "*" only for the calls that support none, each such statement
// saying why. Generic over the ARN type so sst.config.ts passes Pulumi outputs
// and the tests pass strings. Pure.
import { indexKeyOf, shardPrefixOf } from "../packages/core/src/shards";

export interface Condition {
  test: string;
  variable: string;
  values: string[];
}

export interface Statement<R> {
  actions: string[];
  resources: R[];
  conditions?: Condition[];
}

/** Read calls of a full discovery (reconcile and audit). */
export const DISCOVERY_READ_ACTIONS = [
  "servicediscovery:ListNamespaces",
  "servicediscovery:ListServices",
  "servicediscovery:ListTagsForResource",
  "servicediscovery:ListInstances",
  "ecs:DescribeTasks",
  "ecs:DescribeTaskDefinition",
] as const;

/** Reads the event path makes for what its state does not know yet: an ECS service's
 * Cloud Map registries, a container instance's EC2 instance and IP, one Cloud Map service
 * (and its namespace) after a service-level API call. */
export const EVENT_LOOKUP_ACTIONS = [
  "servicediscovery:GetService",
  "servicediscovery:GetNamespace",
  "ecs:DescribeServices",
  "ecs:DescribeContainerInstances",
  "ec2:DescribeInstances",
] as const;

/**
 * Calls for which the Service Authorization Reference lists no resource type, so the
 * statement's resource must be "*": Cloud Map ListNamespaces and ListServices (and
 * ListInstances, which only has the servicediscovery:ServiceArn condition key), ECS
 * DescribeTaskDefinition, EC2 DescribeInstances. Cloud Map ListTagsForResource stays on
 * "*" too: discovery reads the tags of every service listed, and a narrower resource that
 * the action did not support would deny all of them (every service failed, G1).
 */
export const NO_RESOURCE_LEVEL_ACTIONS = [
  "servicediscovery:ListNamespaces",
  "servicediscovery:ListServices",
  "servicediscovery:ListInstances",
  "servicediscovery:ListTagsForResource",
  "ecs:DescribeTaskDefinition",
  "ec2:DescribeInstances",
] as const;

/**
 * The resources of the discovery calls that support resource-level permissions (Service
 * Authorization Reference: DescribeTasks `task*`, DescribeServices `service*`,
 * DescribeContainerInstances `container-instance*`, Cloud Map GetService `service*`,
 * GetNamespace `namespace*`): patterns of the stage's account and region (infra/naming.ts).
 */
export interface DiscoveryScope<R> {
  /** Every ECS task of the account (`task/*`), even when the stage lists clusters: a Cloud
   * Map service-level event re-reads that service and describes its new tasks, whatever
   * their cluster (packages/discovery lookups.ts), so cluster patterns would fail it. */
  ecsTasks: R[];
  /** The listed clusters' services (`service/CLUSTER/*`), else the account's (`service/*`). */
  ecsServices: R[];
  /** The listed clusters' container instances, else the account's. */
  ecsContainerInstances: R[];
  /** Every Cloud Map service of the account (`service/*`): service ids are not known at deploy time. */
  cloudMapServices: R[];
  /** Every Cloud Map namespace of the account (`namespace/*`): `namespaces` may be names. */
  cloudMapNamespaces: R[];
}

/** The statements of discovery's reads; `lookups` adds the event path's. */
export function discoveryStatements<R>(scope: DiscoveryScope<R>, star: R, lookups: boolean): Statement<R>[] {
  const noResourceLevel = NO_RESOURCE_LEVEL_ACTIONS.filter((a) => lookups || (DISCOVERY_READ_ACTIONS as readonly string[]).includes(a));
  const out: Statement<R>[] = [
    // "*": AWS allows nothing narrower for these (see NO_RESOURCE_LEVEL_ACTIONS).
    { actions: [...noResourceLevel], resources: [star] },
    { actions: ["ecs:DescribeTasks"], resources: [...scope.ecsTasks] },
  ];
  if (lookups) {
    out.push(
      { actions: ["ecs:DescribeServices"], resources: [...scope.ecsServices] },
      { actions: ["ecs:DescribeContainerInstances"], resources: [...scope.ecsContainerInstances] },
      { actions: ["servicediscovery:GetService"], resources: [...scope.cloudMapServices] },
      { actions: ["servicediscovery:GetNamespace"], resources: [...scope.cloudMapNamespaces] },
    );
  }
  return out;
}

/** A scope of `star` for every resource (only for action-level checks: see AuditResources). */
function everywhere<R>(star: R): DiscoveryScope<R> {
  return { ecsTasks: [star], ecsServices: [star], ecsContainerInstances: [star], cloudMapServices: [star], cloudMapNamespaces: [star] };
}

/**
 * s3:ListBucket only so that a missing key answers 404 instead of 403 (the code tells a
 * first publish from a denied read that way), limited by `s3:prefix` to the exact keys the
 * role reads: S3 evaluates that implicit ListBucket check with the requested key as the
 * prefix, and an explicit listing is allowed for those keys only (not the bucket's other
 * keys).
 */
export function listKeysStatement<R>(bucketArn: R, keys: readonly string[]): Statement<R> {
  return { actions: ["s3:ListBucket"], resources: [bucketArn], conditions: [{ test: "StringEquals", variable: "s3:prefix", values: [...keys] }] };
}

/** A statement's conditions as a policy document's `Condition` element (none: nothing). */
export function policyCondition(conditions: readonly Condition[] | undefined): { Condition?: Record<string, Record<string, string[]>> } {
  if (!conditions || conditions.length === 0) return {};
  const out: Record<string, Record<string, string[]>> = {};
  for (const c of conditions) out[c.test] = { ...out[c.test], [c.variable]: [...c.values] };
  return { Condition: out };
}

/** X-Ray's write actions for active tracing; X-Ray supports no resource-level permissions for them. */
export const XRAY_WRITE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] as const;

/** What an SQS event source mapping needs from the function's role. */
export const SQS_CONSUMER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"] as const;

/** Writing to the function's own log group (it is created by the stack, so no CreateLogGroup). */
export function logStatements<R>(logStreamsArn: R): Statement<R>[] {
  return [{ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [logStreamsArn] }];
}

export interface ReconcileResources<R> {
  bucketArn: R;
  /** The keys of the document, the state and the shard index (the ListBucket prefix condition). */
  documentKey: string;
  stateKey: string;
  indexKey: string;
  scope: DiscoveryScope<R>;
  documentObjectArn: R;
  stateObjectArn: R;
  /** The shard index beside the document, and every shard object (`<prefix>*`). */
  indexObjectArn: R;
  shardObjectsArn: R;
  /** Every part object of the state (`<state prefix>.parts/*`). */
  statePartsArn: R;
  manifestParameterArn: R;
  queueArn: R;
  /** `<log group ARN>:*` */
  logStreamsArn: R;
}

export function reconcileStatements<R>(r: ReconcileResources<R>, star: R): Statement<R>[] {
  return [
    ...discoveryStatements(r.scope, star, true),
    listKeysStatement(r.bucketArn, [r.documentKey, r.stateKey, r.indexKey]),
    { actions: ["s3:GetObject", "s3:PutObject"], resources: [r.documentObjectArn, r.stateObjectArn, r.indexObjectArn] },
    // Shards and state parts are written (content-addressed), read back (a cold function's
    // state; a shard kept for a failed part) and deleted once retired.
    { actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources: [r.shardObjectsArn, r.statePartsArn] },
    // PutParameter creates the manifest on the first publish and overwrites it after.
    { actions: ["ssm:GetParameter", "ssm:PutParameter"], resources: [r.manifestParameterArn] },
    { actions: [...SQS_CONSUMER_ACTIONS], resources: [r.queueArn] },
    ...logStatements(r.logStreamsArn),
  ];
}

export interface AuditResources<R> {
  bucketArn: R;
  /** The keys (ListBucket's prefix condition) and the discovery resources. The stack always
   * gives them (infra/audit.ts); without them (packages/audit's action-level simulator
   * test) the statements carry the same actions on `star` and the bucket. */
  documentKey?: string;
  stateKey?: string;
  /** The shard index's key: a missing index is a 404 (nothing published by the index yet), not a 403. */
  indexKey?: string;
  scope?: DiscoveryScope<R>;
  documentObjectArn: R;
  /** The reconciler state: its lastFullReconcileAt tells how long ago a full reconcile succeeded. */
  stateObjectArn: R;
  /** The shard index, the shards and the state's parts: the published targets when event batches moved the index past the document, and the state's entries. */
  indexObjectArn?: R;
  shardObjectsArn?: R;
  statePartsArn?: R;
  manifestParameterArn: R;
  logStreamsArn: R;
}

/** The audit compares the published document with AWS: discovery reads, document, state and manifest reads. */
export function auditStatements<R>(r: AuditResources<R>, star: R): Statement<R>[] {
  return [
    ...discoveryStatements(r.scope ?? everywhere(star), star, false),
    r.documentKey !== undefined && r.stateKey !== undefined
      ? listKeysStatement(r.bucketArn, [r.documentKey, r.stateKey, ...(r.indexKey !== undefined ? [r.indexKey] : [])])
      : { actions: ["s3:ListBucket"], resources: [r.bucketArn] },
    {
      actions: ["s3:GetObject"],
      resources: [r.documentObjectArn, r.stateObjectArn, ...[r.indexObjectArn, r.shardObjectsArn, r.statePartsArn].filter((a): a is R => a !== undefined)],
    },
    { actions: ["ssm:GetParameter"], resources: [r.manifestParameterArn] },
    ...logStatements(r.logStreamsArn),
  ];
}

export type AmpAccess<R> = { kind: "workspace"; workspaceArn: R } | { kind: "assume-role"; roleArn: R };

export interface ForwardResources<R> {
  bucketArn: R;
  forwardStateKey: string;
  forwardStateObjectArn: R;
  amp: AmpAccess<R>;
  /** DB instance ARNs (`...:db:ID`, or `...:db:*` for all); empty: RDS not forwarded. */
  rdsInstanceArns: R[];
  /** Aurora cluster ARNs (`...:cluster:*`: the clusters of the instances are found at run time); empty: none. */
  rdsClusterArns: R[];
  /** Cache cluster ARNs (`...:cluster:ID`, or `...:cluster:*` for all); empty: ElastiCache not forwarded. */
  elastiCacheArns: R[];
  logStreamsArn: R;
}

/** What packages/forwarder calls: GetMetricData, RDS Describe* (tags come in TagList),
 * ElastiCache DescribeCacheClusters + ListTagsForResource, its state object, and AMP. */
export function forwardStatements<R>(r: ForwardResources<R>, star: R): Statement<R>[] {
  const out: Statement<R>[] = [
    // GetMetricData has no resource-level permissions.
    { actions: ["cloudwatch:GetMetricData"], resources: [star] },
    listKeysStatement(r.bucketArn, [r.forwardStateKey]),
    { actions: ["s3:GetObject", "s3:PutObject"], resources: [r.forwardStateObjectArn] },
    r.amp.kind === "workspace"
      ? { actions: ["aps:RemoteWrite"], resources: [r.amp.workspaceArn] }
      : { actions: ["sts:AssumeRole"], resources: [r.amp.roleArn] },
  ];
  if (r.rdsInstanceArns.length > 0) out.push({ actions: ["rds:DescribeDBInstances"], resources: [...r.rdsInstanceArns] });
  if (r.rdsClusterArns.length > 0) out.push({ actions: ["rds:DescribeDBClusters"], resources: [...r.rdsClusterArns] });
  if (r.elastiCacheArns.length > 0) {
    out.push({
      actions: ["elasticache:DescribeCacheClusters", "elasticache:ListTagsForResource"],
      resources: [...r.elastiCacheArns],
    });
  }
  out.push(...logStatements(r.logStreamsArn));
  return out;
}

/** Read-only access for the Prometheus task role (the sidecar): the document, its shard index and shards, and the one parameter. */
export function prometheusReadStatements<R>(r: {
  bucketArn: R;
  documentKey: string;
  indexKey: string;
  documentObjectArn: R;
  indexObjectArn: R;
  shardObjectsArn: R;
  manifestParameterArn: R;
}): Statement<R>[] {
  return [
    { actions: ["s3:GetObject"], resources: [r.documentObjectArn, r.indexObjectArn, r.shardObjectsArn] },
    listKeysStatement(r.bucketArn, [r.documentKey, r.indexKey]),
    { actions: ["ssm:GetParameter"], resources: [r.manifestParameterArn] },
  ];
}

/** The accounts of IAM ARNs, as their roots (`arn:PARTITION:iam::ACCOUNT:root`), sorted, once each. */
export function accountRoots(arns: readonly string[]): string[] {
  const roots = arns.map((arn) => {
    const m = /^arn:([^:]+):iam::(\d{12}):/.exec(arn);
    if (!m) throw new Error(`not an IAM ARN: ${arn}`);
    return `arn:${m[1]}:iam::${m[2]}:root`;
  });
  return [...new Set(roots)].sort();
}

/** A bucket-policy statement as SST's Bucket `policy` argument takes it (paths relative to the bucket). */
export interface BucketGrant {
  actions: string[];
  principals: { type: "aws"; identifiers: string[] }[];
  conditions: { test: string; variable: string; values: string[] }[];
  paths: string[];
}

/**
 * The bucket-policy grant for the readers in other accounts (stage `readers`): s3:GetObject
 * on the published document, its shard index and its shards, nothing else (not the state
 * objects, no ListBucket, no version reads). The principals are the readers' accounts and a condition on
 * aws:PrincipalArn admits only the listed roles: unlike a role ARN as principal, this
 * survives the role being deleted and recreated (AWS would turn such a principal into the
 * old role's unique id and the grant would silently stop), and the deploy does not fail
 * when a reader role does not exist yet (PutBucketPolicy rejects a principal that does not
 * exist). None without readers.
 */
export function documentReaderGrants(readers: readonly string[], documentKey: string): BucketGrant[] {
  if (readers.length === 0) return [];
  const paths = [documentKey, indexKeyOf(documentKey), `${shardPrefixOf(documentKey)}*`];
  return [
    {
      actions: ["s3:GetObject"],
      principals: [{ type: "aws", identifiers: accountRoots(readers) }],
      conditions: [{ test: "ArnEquals", variable: "aws:PrincipalArn", values: [...readers] }],
      paths,
    },
  ];
}

/** The role trust policy every function role gets: the Lambda service, nothing else. */
export function lambdaTrustPolicy() {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ],
  };
}

/** Actions that are wildcards (`*`, `s3:*`, `ecs:Describe*`...); used by the tests and at deploy time. */
export function wildcardActions(statements: readonly { actions: readonly string[] }[]): string[] {
  return statements.flatMap((s) => s.actions).filter((a) => a.includes("*") || a.includes("?") || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(a));
}
