// IAM statements of each function and of the Prometheus task role, least
// privilege: exact actions (never a wildcard), resource ARNs wherever the
// service supports resource-level permissions, "*" only for the read calls
// that support none. Generic over the ARN type so sst.config.ts passes Pulumi
// outputs and the tests pass strings. Pure.

export interface Statement<R> {
  actions: string[];
  resources: R[];
}

/** Read calls of a full discovery (reconcile and audit). None of the List* calls nor
 * DescribeTaskDefinition supports a narrower resource than "*"; DescribeTasks could be
 * scoped to task ARNs, but discovery describes any task of any cluster the account runs. */
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

/** What an SQS event source mapping needs from the function's role. */
export const SQS_CONSUMER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"] as const;

/** Writing to the function's own log group (it is created by the stack, so no CreateLogGroup). */
export function logStatements<R>(logStreamsArn: R): Statement<R>[] {
  return [{ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [logStreamsArn] }];
}

export interface ReconcileResources<R> {
  bucketArn: R;
  documentObjectArn: R;
  stateObjectArn: R;
  manifestParameterArn: R;
  queueArn: R;
  /** `<log group ARN>:*` */
  logStreamsArn: R;
}

export function reconcileStatements<R>(r: ReconcileResources<R>, star: R): Statement<R>[] {
  return [
    { actions: [...DISCOVERY_READ_ACTIONS, ...EVENT_LOOKUP_ACTIONS], resources: [star] },
    // ListBucket lets a missing key answer 404 instead of 403 (first publish).
    { actions: ["s3:ListBucket"], resources: [r.bucketArn] },
    { actions: ["s3:GetObject", "s3:PutObject"], resources: [r.documentObjectArn, r.stateObjectArn] },
    // PutParameter creates the manifest on the first publish and overwrites it after.
    { actions: ["ssm:GetParameter", "ssm:PutParameter"], resources: [r.manifestParameterArn] },
    { actions: [...SQS_CONSUMER_ACTIONS], resources: [r.queueArn] },
    ...logStatements(r.logStreamsArn),
  ];
}

export interface AuditResources<R> {
  bucketArn: R;
  documentObjectArn: R;
  /** The reconciler state: its lastFullReconcileAt tells how long ago a full reconcile succeeded. */
  stateObjectArn: R;
  manifestParameterArn: R;
  logStreamsArn: R;
}

/** The audit compares the published document with AWS: discovery reads, document, state and manifest reads. */
export function auditStatements<R>(r: AuditResources<R>, star: R): Statement<R>[] {
  return [
    { actions: [...DISCOVERY_READ_ACTIONS], resources: [star] },
    { actions: ["s3:ListBucket"], resources: [r.bucketArn] },
    { actions: ["s3:GetObject"], resources: [r.documentObjectArn, r.stateObjectArn] },
    { actions: ["ssm:GetParameter"], resources: [r.manifestParameterArn] },
    ...logStatements(r.logStreamsArn),
  ];
}

export type AmpAccess<R> = { kind: "workspace"; workspaceArn: R } | { kind: "assume-role"; roleArn: R };

export interface ForwardResources<R> {
  bucketArn: R;
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
    { actions: ["s3:ListBucket"], resources: [r.bucketArn] },
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

/** Read-only access for the Prometheus task role (the sidecar): the one object and the one parameter. */
export function prometheusReadStatements<R>(r: { bucketArn: R; documentObjectArn: R; manifestParameterArn: R }): Statement<R>[] {
  return [
    { actions: ["s3:GetObject"], resources: [r.documentObjectArn] },
    { actions: ["s3:ListBucket"], resources: [r.bucketArn] },
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
 * on the published document, nothing else (not the state objects, no ListBucket, no
 * version reads). The principals are the readers' accounts and a condition on
 * aws:PrincipalArn admits only the listed roles: unlike a role ARN as principal, this
 * survives the role being deleted and recreated (AWS would turn such a principal into the
 * old role's unique id and the grant would silently stop), and the deploy does not fail
 * when a reader role does not exist yet (PutBucketPolicy rejects a principal that does not
 * exist). None without readers.
 */
export function documentReaderGrants(readers: readonly string[], documentKey: string): BucketGrant[] {
  if (readers.length === 0) return [];
  return [
    {
      actions: ["s3:GetObject"],
      principals: [{ type: "aws", identifiers: accountRoots(readers) }],
      conditions: [{ test: "ArnEquals", variable: "aws:PrincipalArn", values: [...readers] }],
      paths: [documentKey],
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
