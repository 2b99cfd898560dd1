// The real sst.config.ts with the `ci` stage (infra/stages/ci.json) under
// Pulumi mocks: the resources a deploy would create, with their real inputs.
// Skips with a message when SST's platform has not been generated.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { matchesPattern } from "../../infra/event-match";
import { wildcardActions } from "../../infra/iam";
import { cloudMapApiCallPattern, ecsTaskStateChangePattern } from "../../infra/patterns";
import { samples, variant } from "./fixtures";
import { ACCOUNT, platformAvailable, REGION, runStack, type MockResource, type StackRun } from "./sst-harness";

if (!platformAvailable()) {
  console.warn("test/infra/stack.test.ts skipped: .sst/platform is absent (run scripts/sst-check.sh, which runs `sst install`)");
}

const FN = "aws:lambda/function:Function";
const ROLE = "aws:iam/role:Role";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const QUEUE = "aws:sqs/queue:Queue";

type Stmt = { Effect: string; Action: string | string[]; Resource: string | string[]; Principal?: unknown; Condition?: unknown };
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
function inlineStatements(role: MockResource): Stmt[] {
  const policies = role.inputs.inlinePolicies as { name: string; policy: string }[];
  expect(policies).toHaveLength(1);
  return JSON.parse(policies[0]!.policy).Statement as Stmt[];
}
function resourcesFor(statements: Stmt[], action: string): string[] {
  return statements
    .filter((s) => list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource))
    .sort();
}

describe.skipIf(!platformAvailable())("sst.config.ts, stage ci, under Pulumi mocks", () => {
  let s: StackRun;
  let bucketArn: string;
  let queue: MockResource;
  let dlq: MockResource;
  const logStreams = (role: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/scrape-reconciler-ci-${role}:*`;
  const manifestArn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/scrape-reconciler/ci/targets/manifest`;

  beforeAll(async () => {
    s = await runStack("ci");
    bucketArn = s.one("aws:s3/bucket:Bucket", "TargetsBucket").state.arn;
    queue = s.one(QUEUE, "ReconcileEvents");
    dlq = s.one(QUEUE, "ReconcileDeadLetters");
  }, 120_000);

  it("declares the three functions: Node 24 on arm64, named by stage, from functions/*.handler", () => {
    const fns = s.byType(FN);
    expect(fns.map((f) => f.inputs.name).sort()).toEqual(["scrape-reconciler-ci-audit", "scrape-reconciler-ci-forward", "scrape-reconciler-ci-reconcile"]);
    for (const f of fns) {
      expect(f.inputs.runtime).toBe("nodejs24.x");
      expect(f.inputs.architectures).toEqual(["arm64"]);
      expect(f.inputs.loggingConfig.logGroup).toBe(`/aws/lambda/${f.inputs.name}`);
    }
    expect(s.builds.map((b) => b.handler).sort()).toEqual(["functions/audit.handler", "functions/forward.handler", "functions/reconcile.handler"]);
    for (const b of s.builds) {
      // Minified ESM with source maps, split into chunks (dynamic imports load apart); nothing excluded from the bundle (the AWS SDK included).
      expect(b.properties).toEqual({ format: "esm", minify: true, sourcemap: true, splitting: true, architecture: "arm64" });
    }
  });

  it("reconcile: environment, timeout and reserved concurrency", () => {
    const f = s.one(FN, "ReconcileFunction").inputs;
    expect(f.environment.variables).toMatchObject({
      TARGETS_BUCKET: s.outputs.bucket,
      TARGETS_KEY: "targets/ecs-services.json",
      STATE_KEY: "targets/state.json",
      MANIFEST_PARAMETER: "/scrape-reconciler/ci/targets/manifest",
      NAMESPACES: "internal.example",
      CLUSTERS: "web,arn:aws:ecs:eu-west-1:111122223333:cluster/workers",
      TAG_METRICS_PORT: "METRICS_PORT",
      TAG_ECS_METRICS_PORT: "ECS_METRICS_PORT",
      TAG_ECS_METRICS_PATH: "ECS_METRICS_PATH",
      POWERTOOLS_SERVICE_NAME: "scrape-reconciler",
      POWERTOOLS_METRICS_NAMESPACE: "ScrapeReconciler",
      NODE_OPTIONS: "--enable-source-maps",
    });
    expect(f.timeout).toBe(60);
    expect(f.reservedConcurrentExecutions).toBe(2);
  });

  it("forward and audit: environment and one run at a time", () => {
    const fwd = s.one(FN, "ForwardFunction").inputs;
    expect(fwd.environment.variables).toMatchObject({
      AMP_REMOTE_WRITE_URL: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-00000000-0000-0000-0000-000000000000/api/v1/remote_write",
      AMP_REGION: "eu-west-1",
      FORWARD_STATE_KEY: "forwarder/state.json",
      TARGETS_BUCKET: s.outputs.bucket,
      FORWARD_SOURCES: "rds,elasticache",
      RDS_INSTANCES: "orders-db",
      FORWARD_AURORA_CLUSTERS: "true",
      ELASTICACHE_CLUSTERS: "",
      ELASTICACHE_TAG_FILTER: "metrics=forward",
    });
    expect(fwd.reservedConcurrentExecutions).toBe(1);
    const audit = s.one(FN, "AuditFunction").inputs;
    expect(audit.environment.variables).toMatchObject({
      TARGETS_KEY: "targets/ecs-services.json",
      STATE_KEY: "targets/state.json",
      MANIFEST_PARAMETER: "/scrape-reconciler/ci/targets/manifest",
      POWERTOOLS_METRICS_NAMESPACE: "ScrapeReconciler",
      POWERTOOLS_SERVICE_NAME: "scrape-reconciler",
    });
    expect(audit.reservedConcurrentExecutions).toBe(1);
  });

  it("every function role is named with the region, trusts lambda.amazonaws.com only (not the account root) and has no managed policy", () => {
    const roles = s.byType(ROLE);
    expect(roles.map((r) => r.inputs.name).sort()).toEqual([
      `scrape-reconciler-ci-${REGION}-audit-role`,
      `scrape-reconciler-ci-${REGION}-forward-role`,
      `scrape-reconciler-ci-${REGION}-reconcile-role`,
    ]);
    for (const r of roles) {
      const trust = JSON.parse(r.inputs.assumeRolePolicy);
      expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
      expect(r.inputs.assumeRolePolicy).not.toContain(":root");
      expect(r.inputs.managedPolicyArns ?? []).toEqual([]);
    }
  });

  it("no policy in the stack grants a wildcard action", () => {
    const docs = [
      ...s.byType(ROLE).map((r) => inlineStatements(r)),
      JSON.parse(s.one("aws:iam/policy:Policy", "PrometheusRead").inputs.policy).Statement as Stmt[],
    ];
    for (const statements of docs) {
      expect(wildcardActions(statements.map((st) => ({ actions: list(st.Action) })))).toEqual([]);
      for (const st of statements) expect(st.Effect).toBe("Allow");
    }
  });

  it("reconcile role: exact keys, parameter, queue and log group", () => {
    const st = inlineStatements(s.one(ROLE, "ReconcileRole"));
    const doc = `${bucketArn}/targets/ecs-services.json`;
    const state = `${bucketArn}/targets/state.json`;
    const index = `${bucketArn}/targets/ecs-services.index.json`;
    const shards = `${bucketArn}/targets/ecs-services.shards/*`;
    const parts = `${bucketArn}/targets/state.parts/*`;
    expect(resourcesFor(st, "s3:PutObject")).toEqual([doc, index, shards, state, parts].sort());
    expect(resourcesFor(st, "s3:GetObject")).toEqual([doc, index, shards, state, parts].sort());
    expect(resourcesFor(st, "s3:DeleteObject")).toEqual([shards, parts].sort());
    expect(resourcesFor(st, "s3:ListBucket")).toEqual([bucketArn]);
    expect(resourcesFor(st, "ssm:PutParameter")).toEqual([manifestArn]);
    expect(resourcesFor(st, "sqs:DeleteMessage")).toEqual([queue.state.arn]);
    expect(resourcesFor(st, "logs:PutLogEvents")).toEqual([logStreams("reconcile")]);
    expect(resourcesFor(st, "servicediscovery:ListInstances")).toEqual(["*"]);
    expect(resourcesFor(st, "cloudwatch:PutMetricData")).toEqual([]);
    expect(st.flatMap((x) => list(x.Resource)).filter((r) => r === "*")).toHaveLength(1);
    // s3:ListBucket only for the keys it reads (a missing one answers 404, not 403).
    expect(st.find((x) => list(x.Action).includes("s3:ListBucket"))?.Condition).toEqual({
      StringEquals: { "s3:prefix": ["targets/ecs-services.json", "targets/state.json", "targets/ecs-services.index.json"] },
    });
  });

  it("reconcile role: resource-level permissions on the account's ARNs, ECS services and container instances of ci.json's clusters", () => {
    const st = inlineStatements(s.one(ROLE, "ReconcileRole"));
    const ecs = (kind: string) => [`arn:aws:ecs:${REGION}:${ACCOUNT}:${kind}/web/*`, `arn:aws:ecs:eu-west-1:111122223333:${kind}/workers/*`];
    expect(resourcesFor(st, "ecs:DescribeServices")).toEqual(ecs("service").sort());
    expect(resourcesFor(st, "ecs:DescribeContainerInstances")).toEqual(ecs("container-instance").sort());
    expect(resourcesFor(st, "ecs:DescribeTasks")).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:task/*`]);
    expect(resourcesFor(st, "servicediscovery:GetService")).toEqual([`arn:aws:servicediscovery:${REGION}:${ACCOUNT}:service/*`]);
    expect(resourcesFor(st, "servicediscovery:GetNamespace")).toEqual([`arn:aws:servicediscovery:${REGION}:${ACCOUNT}:namespace/*`]);
    const star = st.filter((x) => list(x.Resource).includes("*"));
    expect(star.flatMap((x) => list(x.Action)).sort()).toEqual([
      "ec2:DescribeInstances",
      "ecs:DescribeTaskDefinition",
      "servicediscovery:ListInstances",
      "servicediscovery:ListNamespaces",
      "servicediscovery:ListServices",
      "servicediscovery:ListTagsForResource",
    ]);
    // Tracing is off by default: no X-Ray actions, PassThrough (no tracingConfig).
    expect(st.flatMap((x) => list(x.Action)).filter((a) => a.startsWith("xray:"))).toEqual([]);
    for (const f of s.byType(FN)) expect(f.inputs.tracingConfig).toBeUndefined();
  });

  it("forward role: the workspace, the state key, the selected databases and caches", () => {
    const st = inlineStatements(s.one(ROLE, "ForwardRole"));
    expect(resourcesFor(st, "aps:RemoteWrite")).toEqual([`arn:aws:aps:eu-west-1:${ACCOUNT}:workspace/ws-00000000-0000-0000-0000-000000000000`]);
    expect(resourcesFor(st, "s3:PutObject")).toEqual([`${bucketArn}/forwarder/state.json`]);
    expect(resourcesFor(st, "rds:DescribeDBInstances")).toEqual([`arn:aws:rds:${REGION}:${ACCOUNT}:db:orders-db`]);
    expect(resourcesFor(st, "rds:DescribeDBClusters")).toEqual([`arn:aws:rds:${REGION}:${ACCOUNT}:cluster:*`]);
    expect(resourcesFor(st, "elasticache:DescribeCacheClusters")).toEqual([`arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:*`]);
    expect(resourcesFor(st, "elasticache:ListTagsForResource")).toEqual([`arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:*`]);
    expect(resourcesFor(st, "logs:PutLogEvents")).toEqual([logStreams("forward")]);
  });

  it("audit role: reads the published targets (document, index, shards), the state and its parts, and the manifest; writes nothing", () => {
    const st = inlineStatements(s.one(ROLE, "AuditRole"));
    expect(resourcesFor(st, "s3:GetObject")).toEqual(
      [
        `${bucketArn}/targets/ecs-services.json`,
        `${bucketArn}/targets/ecs-services.index.json`,
        `${bucketArn}/targets/ecs-services.shards/*`,
        `${bucketArn}/targets/state.json`,
        `${bucketArn}/targets/state.parts/*`,
      ].sort(),
    );
    expect(resourcesFor(st, "ssm:GetParameter")).toEqual([manifestArn]);
    expect(st.flatMap((x) => list(x.Action)).filter((a) => /:(Put|Delete)/.test(a) && !a.startsWith("logs:"))).toEqual([]);
  });

  it("event rules: ECS narrowed to the configured clusters' ARNs, Cloud Map calls, schedules", () => {
    const ecs = JSON.parse(s.one(RULE, "EcsTaskStateChange").inputs.eventPattern);
    const arns = [`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/web`, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/workers`];
    expect(ecs).toEqual(ecsTaskStateChangePattern(arns));
    const inWeb = variant(samples.fargate(), (e) => {
      e.detail.clusterArn = arns[0];
    });
    expect(matchesPattern(ecs, inWeb)).toBe(true);
    expect(matchesPattern(ecs, samples.fargate())).toBe(false);
    const cloudMap = JSON.parse(s.one(RULE, "CloudMapApiCall").inputs.eventPattern);
    expect(cloudMap).toEqual(cloudMapApiCallPattern());
    expect(matchesPattern(cloudMap, samples.register())).toBe(true);
    expect(s.one(RULE, "ReconcileSchedule").inputs.scheduleExpression).toBe("rate(5 minutes)");
    expect(s.one(RULE, "ForwardSchedule").inputs.scheduleExpression).toBe("rate(1 minute)");
    expect(s.one(RULE, "AuditSchedule").inputs.scheduleExpression).toBe("rate(5 minutes)");
  });

  it("event targets: the three reconcile rules feed the queue; schedules invoke forward and audit with the event itself", () => {
    const eventDlq = s.one(QUEUE, "EventDeliveryDeadLetters");
    for (const name of ["EcsTaskStateChangeTarget", "CloudMapApiCallTarget", "ReconcileScheduleTarget"]) {
      const t = s.one(TARGET, name).inputs;
      expect(t.arn).toBe(queue.state.arn);
      expect(t.retryPolicy).toEqual({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 });
      expect(t.deadLetterConfig).toEqual({ arn: eventDlq.state.arn });
    }
    // Every target of every rule has both.
    expect(s.byType(TARGET)).toHaveLength(s.byType(RULE).length);
    for (const t of s.byType(TARGET)) {
      expect(t.inputs.retryPolicy, t.name).toBeDefined();
      expect(t.inputs.deadLetterConfig, t.name).toEqual({ arn: eventDlq.state.arn });
    }
    for (const role of ["Forward", "Audit"]) {
      const t = s.one(TARGET, `${role}ScheduleTarget`).inputs;
      expect(t.arn).toBe(s.one(FN, `${role}Function`).state.arn);
      expect(t.input).toBeUndefined();
      // A schedule's missed run is redone by the next one: retried only within a minute.
      expect(t.retryPolicy).toEqual({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 });
      expect(t.deadLetterConfig).toEqual({ arn: s.one(QUEUE, "EventDeliveryDeadLetters").state.arn });
      const perm = s.one("aws:lambda/permission:Permission", `${role}SchedulePermission`).inputs;
      expect(perm).toMatchObject({ principal: "events.amazonaws.com", sourceArn: s.one(RULE, `${role}Schedule`).state.arn });
    }
  });

  it("queue: dead-letter queue after 5 receives, visibility 6x the function timeout, only our rules may send", () => {
    expect(queue.inputs.visibilityTimeoutSeconds).toBe(6 * 60);
    expect(JSON.parse(queue.inputs.redrivePolicy)).toEqual({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 5 });
    expect(queue.inputs.sqsManagedSseEnabled).toBe(true);
    expect(dlq.inputs.messageRetentionSeconds).toBe(14 * 24 * 3600);
    const policy = JSON.parse(s.one("aws:sqs/queuePolicy:QueuePolicy", "ReconcileEventsPolicy").inputs.policy);
    const rules = ["EcsTaskStateChange", "CloudMapApiCall", "ReconcileSchedule"].map((n) => s.one(RULE, n).state.arn);
    expect(policy.Statement).toEqual([
      {
        Sid: "EventBridgeRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue.state.arn,
        Condition: { ArnEquals: { "aws:SourceArn": rules } },
      },
    ]);
  });

  it("event dead-letter queue: encrypted, 14 days, only the stack's rules may send to it", () => {
    const eventDlq = s.one(QUEUE, "EventDeliveryDeadLetters");
    expect(eventDlq.inputs).toMatchObject({ sqsManagedSseEnabled: true, messageRetentionSeconds: 14 * 24 * 3600 });
    const policy = s.one("aws:sqs/queuePolicy:QueuePolicy", "EventDeliveryDeadLettersPolicy").inputs;
    expect(policy.queueUrl).toBe(eventDlq.state.url);
    const rules = ["EcsTaskStateChange", "CloudMapApiCall", "ReconcileSchedule", "ForwardSchedule", "AuditSchedule"].map((n) => s.one(RULE, n).state.arn);
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "EventBridgeDeadLetters",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: eventDlq.state.arn,
        Condition: { ArnEquals: { "aws:SourceArn": rules } },
      },
    ]);
    expect(s.outputs.eventDeadLetterQueueUrl).toBe(eventDlq.state.url);
  });

  it("event source: no batching window (so at most 10 messages a batch), partial batch failures, at most 2 concurrent", () => {
    const esm = s.one("aws:lambda/eventSourceMapping:EventSourceMapping", "ReconcileEventSource").inputs;
    expect(esm).toMatchObject({
      eventSourceArn: queue.state.arn,
      functionName: "scrape-reconciler-ci-reconcile",
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 2 },
    });
  });

  it("bucket: private, encrypted, versioned with noncurrent expiry, TLS only; the readers of ci.json may get the document", () => {
    const bucket = s.one("aws:s3/bucket:Bucket", "TargetsBucket");
    expect(bucket.inputs.forceDestroy).toBe(true); // ci.json: removal "remove"
    expect(s.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", /Targets/).inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(s.one("aws:s3/bucketVersioning:BucketVersioning", /Targets/).inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    const sse = s.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "TargetsEncryption").inputs;
    expect(sse.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
    const lifecycle = s.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "TargetsLifecycle").inputs;
    expect(lifecycle.rules).toHaveLength(1);
    expect(lifecycle.rules[0]).toMatchObject({ status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } });
    expect(s.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "TargetsOwnership").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    const policy = JSON.parse(s.one("aws:s3/bucketPolicy:BucketPolicy", /Targets/).inputs.policy);
    expect(policy.Statement).toEqual([
      {
        Effect: "Deny",
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Principal: { "*": ["*"] },
        Condition: { Bool: { "aws:SecureTransport": ["false"] } },
      },
      // ci.json's readers: their accounts as principals, their roles (only) through the condition,
      // s3:GetObject on the document, its shard index and its shards, nothing else.
      {
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucketArn}/targets/ecs-services.json`, `${bucketArn}/targets/ecs-services.index.json`, `${bucketArn}/targets/ecs-services.shards/*`],
        Principal: { AWS: ["arn:aws:iam::444455556666:root", "arn:aws:iam::999999999999:root"] },
        Condition: {
          ArnEquals: {
            "aws:PrincipalArn": ["arn:aws:iam::999999999999:role/prometheus-central", "arn:aws:iam::444455556666:role/monitoring/prometheus-reader"],
          },
        },
      },
    ]);
    // ACLs are off: the bucket policy alone decides; SSE-S3 needs no key grant for the readers.
    expect(sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).toBeUndefined();
  });

  it("alarms: audit metrics, Lambda errors of each function and the dead-letter queue, all to the topic", () => {
    const alarms = s.byType(ALARM);
    const topicArn = s.one("aws:sns/topic:Topic", "Alarms").state.arn;
    expect(alarms.map((a) => a.name).sort()).toEqual([
      "AuditErrorsAlarm",
      "DeadLetterAlarm",
      "DiscoveryErrorsAlarm",
      "DocumentAgeAlarm",
      "EventDeadLettersAlarm",
      "EventDeliveryFailedAlarm",
      "ForwardCycleErrorsAlarm",
      "ForwardErrorsAlarm",
      "MissingTargetsAlarm",
      "ReconcileAgeAlarm",
      "ReconcileDriftAlarm",
      "ReconcileErrorsAlarm",
      "StaleTargetsAlarm",
    ]);
    for (const a of alarms) {
      expect(a.inputs.alarmActions).toEqual([topicArn]);
      expect(a.inputs.okActions).toEqual([topicArn]);
    }
    const stale = s.one(ALARM, "StaleTargetsAlarm").inputs;
    expect(stale).toMatchObject({
      namespace: "ScrapeReconciler",
      metricName: "StaleTargets",
      dimensions: { service: "scrape-reconciler" },
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 2, // from ci.json
    });
    // Default thresholds (ci.json sets none): above the reconciler's 15-minute heartbeat plus an audit period.
    expect(s.one(ALARM, "ForwardCycleErrorsAlarm").inputs).toMatchObject({ metricName: "ForwardErrors", dimensions: { service: "forward" }, statistic: "Sum" });
    expect(s.one(ALARM, "DocumentAgeAlarm").inputs).toMatchObject({ metricName: "DocumentAgeSeconds", threshold: 1800, treatMissingData: "breaching" });
    expect(s.one(ALARM, "ReconcileAgeAlarm").inputs).toMatchObject({ metricName: "ReconcileAgeSeconds", threshold: 1800, treatMissingData: "breaching" });
    expect(s.one(ALARM, "DeadLetterAlarm").inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: dlq.state.name },
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect(s.one(ALARM, "ReconcileErrorsAlarm").inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "scrape-reconciler-ci-reconcile" },
    });
    // Lost events: EventBridge's failed deliveries summed over every rule of the stack, its dead
    // letters, and the reconcile's drift (events that never came).
    const failed = s.one(ALARM, "EventDeliveryFailedAlarm").inputs;
    const ruleNames = s.byType(RULE).map((r) => r.state.name);
    expect(
      failed.metricQueries
        .filter((q: { metric?: unknown }) => q.metric)
        .map((q: { metric: { dimensions: { RuleName: string } } }) => q.metric.dimensions.RuleName)
        .sort(),
    ).toEqual([...ruleNames].sort());
    for (const q of failed.metricQueries.filter((x: { metric?: unknown }) => x.metric)) {
      expect(q).toMatchObject({ returnData: false, metric: { namespace: "AWS/Events", metricName: "FailedInvocations", stat: "Sum", period: 300 } });
    }
    expect(failed.metricQueries.at(-1)).toEqual({
      id: "failed",
      expression: `SUM([${ruleNames.map((_: string, i: number) => `m${i}`).join(",")}])`,
      label: "FailedInvocations",
      returnData: true,
    });
    expect(failed).toMatchObject({
      name: "scrape-reconciler-ci-EventDeliveryFailed",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 1,
    });
    expect(s.one(ALARM, "EventDeadLettersAlarm").inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: s.one(QUEUE, "EventDeliveryDeadLetters").state.name },
      threshold: 0,
    });
    expect(s.one(ALARM, "ReconcileDriftAlarm").inputs).toMatchObject({
      name: "scrape-reconciler-ci-ReconcileDrift",
      namespace: "ScrapeReconciler",
      metricName: "Drift",
      dimensions: { service: "reconcile" },
      statistic: "Sum",
      threshold: 0,
      evaluationPeriods: 2,
      treatMissingData: "notBreaching",
    });
    // Each new alarm has its runbook in monitoring/README.md.
    const runbooks = readFileSync(new URL("../../monitoring/README.md", import.meta.url), "utf8");
    for (const name of ["EventDeliveryFailed", "EventDeadLetters", "ReconcileDrift"]) expect(runbooks).toMatch(new RegExp(`^### ${name}$`, "m"));
    expect(s.one("aws:sns/topicSubscription:TopicSubscription", "AlarmsEmail").inputs).toMatchObject({
      protocol: "email",
      endpoint: "alerts@example.com",
      topic: topicArn,
    });
  });

  it("Prometheus read policy: the document, its index and shards, one parameter, attached to the named task role, exported", () => {
    const policy = s.one("aws:iam/policy:Policy", "PrometheusRead");
    // IAM names are global to the account: the region keeps two regions' stages apart.
    expect(policy.inputs.name).toBe(`scrape-reconciler-ci-${REGION}-prometheus-read`);
    expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucketArn}/targets/ecs-services.json`, `${bucketArn}/targets/ecs-services.index.json`, `${bucketArn}/targets/ecs-services.shards/*`],
      },
      {
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [bucketArn],
        Condition: { StringEquals: { "s3:prefix": ["targets/ecs-services.json", "targets/ecs-services.index.json"] } },
      },
      { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [manifestArn] },
    ]);
    expect(s.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "PrometheusReadAttachment").inputs).toEqual({
      role: "prometheus-task",
      policyArn: policy.state.arn,
    });
    expect(s.outputs).toMatchObject({
      bucket: bucketArn.replace("arn:aws:s3:::", ""),
      documentKey: "targets/ecs-services.json",
      documentArn: `${bucketArn}/targets/ecs-services.json`,
      documentSource: `s3://${bucketArn.replace("arn:aws:s3:::", "")}/targets/ecs-services.json?region=${REGION}`,
      manifestParameter: "/scrape-reconciler/ci/targets/manifest",
      reconcileFunction: "scrape-reconciler-ci-reconcile",
      prometheusReadPolicyArn: policy.state.arn,
      prometheusReadPolicy: policy.inputs.policy,
    });
  });

  it("declares no SSM parameter: the reconcile function creates the manifest", () => {
    expect(s.byType("aws:ssm/parameter:Parameter")).toEqual([]);
  });
});
