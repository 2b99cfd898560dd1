// Least privilege of every function's statements and of the Prometheus read
// policy: no wildcard action anywhere, exact actions, writes only on the exact
// keys and parameter.
import { describe, expect, it } from "vitest";
import {
  accountRoots,
  auditStatements,
  DISCOVERY_READ_ACTIONS,
  documentReaderGrants,
  EVENT_LOOKUP_ACTIONS,
  forwardStatements,
  lambdaTrustPolicy,
  NO_RESOURCE_LEVEL_ACTIONS,
  policyCondition,
  prometheusReadStatements,
  reconcileStatements,
  wildcardActions,
  type Statement,
} from "../../infra/iam";
import { ecsResourcePatterns } from "../../infra/naming";
import { AT, KEYS, scopeFor } from "./iam-scope";

const BUCKET = "arn:aws:s3:::targets-bucket";
const DOC = `${BUCKET}/targets/ecs-services.json`;
const INDEX = `${BUCKET}/targets/ecs-services.index.json`;
const SHARDS = `${BUCKET}/targets/ecs-services.shards/*`;
const STATE = `${BUCKET}/targets/state.json`;
const FWD = `${BUCKET}/forwarder/state.json`;
const PARAM = "arn:aws:ssm:eu-west-1:111122223333:parameter/scrape-reconciler/prod/targets/manifest";
const PARTS = `${BUCKET}/targets/state.parts/*`;
const QUEUE = "arn:aws:sqs:eu-west-1:111122223333:reconcile";
const LOGS = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/scrape-reconciler-prod-reconcile:*";
const WS = "arn:aws:aps:eu-west-1:111122223333:workspace/ws-1234";

const SCOPE = scopeFor();
const reconcile = reconcileStatements(
  {
    bucketArn: BUCKET,
    ...KEYS,
    scope: SCOPE,
    documentObjectArn: DOC,
    stateObjectArn: STATE,
    indexObjectArn: INDEX,
    shardObjectsArn: SHARDS,
    statePartsArn: PARTS,
    manifestParameterArn: PARAM,
    queueArn: QUEUE,
    logStreamsArn: LOGS,
  },
  "*",
);
const audit = auditStatements(
  {
    bucketArn: BUCKET,
    ...KEYS,
    scope: SCOPE,
    documentObjectArn: DOC,
    stateObjectArn: STATE,
    indexObjectArn: INDEX,
    shardObjectsArn: SHARDS,
    statePartsArn: PARTS,
    manifestParameterArn: PARAM,
    logStreamsArn: LOGS,
  },
  "*",
);
const forward = forwardStatements(
  {
    bucketArn: BUCKET,
    forwardStateKey: "forwarder/state.json",
    forwardStateObjectArn: FWD,
    amp: { kind: "workspace", workspaceArn: WS },
    rdsInstanceArns: ["arn:aws:rds:eu-west-1:111122223333:db:orders"],
    rdsClusterArns: ["arn:aws:rds:eu-west-1:111122223333:cluster:*"],
    elastiCacheArns: [],
    logStreamsArn: LOGS,
  },
  "*",
);
const prometheus = prometheusReadStatements({
  bucketArn: BUCKET,
  documentKey: "targets/ecs-services.json",
  indexKey: "targets/ecs-services.index.json",
  documentObjectArn: DOC,
  indexObjectArn: INDEX,
  shardObjectsArn: SHARDS,
  manifestParameterArn: PARAM,
});

/** Every (action, resource) pair a statement list grants. */
function grants(statements: Statement<string>[]): Set<string> {
  return new Set(statements.flatMap((s) => s.actions.flatMap((a) => s.resources.map((r) => `${a} ${r}`))));
}
function resourcesOf(statements: Statement<string>[], action: string): string[] {
  return statements
    .filter((s) => s.actions.includes(action))
    .flatMap((s) => s.resources)
    .sort();
}

describe("IAM statements", () => {
  const all = { reconcile, audit, forward, prometheus };

  it.each(Object.entries(all))("%s: no wildcard action, no duplicate grant", (_name, statements) => {
    expect(wildcardActions(statements)).toEqual([]);
    for (const s of statements) for (const a of s.actions) expect(a).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z]+$/);
    const pairs = statements.flatMap((s) => s.actions.flatMap((a) => s.resources.map((r) => `${a} ${r}`)));
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it("wildcardActions catches every wildcard form", () => {
    const bad = [{ actions: ["*", "s3:*", "ecs:Describe*", "servicediscovery:List*", "ssm:Get?arameter", "GetObject"] }];
    expect(wildcardActions(bad)).toEqual(["*", "s3:*", "ecs:Describe*", "servicediscovery:List*", "ssm:Get?arameter", "GetObject"]);
    expect(wildcardActions([{ actions: ["s3:GetObject"] }])).toEqual([]);
  });

  it("reconcile: the discovery reads and the event lookups; * only for the calls AWS allows nothing narrower", () => {
    expect([...DISCOVERY_READ_ACTIONS].sort()).toEqual([
      "ecs:DescribeTaskDefinition",
      "ecs:DescribeTasks",
      "servicediscovery:ListInstances",
      "servicediscovery:ListNamespaces",
      "servicediscovery:ListServices",
      "servicediscovery:ListTagsForResource",
    ]);
    expect([...EVENT_LOOKUP_ACTIONS].sort()).toEqual([
      "ec2:DescribeInstances",
      "ecs:DescribeContainerInstances",
      "ecs:DescribeServices",
      "servicediscovery:GetNamespace",
      "servicediscovery:GetService",
    ]);
    const onStar = reconcile
      .filter((s) => s.resources.includes("*"))
      .flatMap((s) => s.actions)
      .sort();
    expect(onStar).toEqual([...NO_RESOURCE_LEVEL_ACTIONS].sort());
    expect(onStar).toEqual([
      "ec2:DescribeInstances",
      "ecs:DescribeTaskDefinition",
      "servicediscovery:ListInstances",
      "servicediscovery:ListNamespaces",
      "servicediscovery:ListServices",
      "servicediscovery:ListTagsForResource",
    ]);
    // Every discovery and lookup action is granted, the ones with resource-level permissions on the account's ARNs.
    expect([...new Set(reconcile.flatMap((s) => s.actions).filter((a) => /^(ecs|ec2|servicediscovery):/.test(a)))].sort()).toEqual(
      [...DISCOVERY_READ_ACTIONS, ...EVENT_LOOKUP_ACTIONS].sort(),
    );
    expect(resourcesOf(reconcile, "ecs:DescribeTasks")).toEqual(["arn:aws:ecs:eu-west-1:111122223333:task/*"]);
    expect(resourcesOf(reconcile, "ecs:DescribeServices")).toEqual(["arn:aws:ecs:eu-west-1:111122223333:service/*"]);
    expect(resourcesOf(reconcile, "ecs:DescribeContainerInstances")).toEqual(["arn:aws:ecs:eu-west-1:111122223333:container-instance/*"]);
    expect(resourcesOf(reconcile, "servicediscovery:GetService")).toEqual(["arn:aws:servicediscovery:eu-west-1:111122223333:service/*"]);
    expect(resourcesOf(reconcile, "servicediscovery:GetNamespace")).toEqual(["arn:aws:servicediscovery:eu-west-1:111122223333:namespace/*"]);
    // The audit makes no event lookup.
    expect(audit.flatMap((s) => s.actions).filter((a) => (EVENT_LOOKUP_ACTIONS as readonly string[]).includes(a))).toEqual([]);
    expect(resourcesOf(audit, "ecs:DescribeTasks")).toEqual(["arn:aws:ecs:eu-west-1:111122223333:task/*"]);
  });

  it("with clusters: ECS services and container instances of those clusters only; tasks stay the account's", () => {
    const clusters = ["arn:aws:ecs:eu-west-1:111122223333:cluster/web", "arn:aws:ecs:eu-west-1:444455556666:cluster/workers"];
    const st = reconcileStatements(
      {
        bucketArn: BUCKET,
        ...KEYS,
        scope: scopeFor(clusters),
        documentObjectArn: DOC,
        stateObjectArn: STATE,
        indexObjectArn: INDEX,
        shardObjectsArn: SHARDS,
        statePartsArn: PARTS,
        manifestParameterArn: PARAM,
        queueArn: QUEUE,
        logStreamsArn: LOGS,
      },
      "*",
    );
    expect(resourcesOf(st, "ecs:DescribeServices")).toEqual([
      "arn:aws:ecs:eu-west-1:111122223333:service/web/*",
      "arn:aws:ecs:eu-west-1:444455556666:service/workers/*",
    ]);
    expect(resourcesOf(st, "ecs:DescribeContainerInstances")).toEqual([
      "arn:aws:ecs:eu-west-1:111122223333:container-instance/web/*",
      "arn:aws:ecs:eu-west-1:444455556666:container-instance/workers/*",
    ]);
    // A Cloud Map service-level event describes the new tasks of that service, whatever their cluster.
    expect(resourcesOf(st, "ecs:DescribeTasks")).toEqual(["arn:aws:ecs:eu-west-1:111122223333:task/*"]);
    expect(ecsResourcePatterns("task", AT, [])).toEqual(["arn:aws:ecs:eu-west-1:111122223333:task/*"]);
    expect(() => ecsResourcePatterns("task", AT, ["web"])).toThrow(/not an ECS cluster ARN/);
  });

  it("s3:ListBucket only with an s3:prefix condition naming the exact keys each role reads", () => {
    const listing = (statements: Statement<string>[]) => statements.filter((s) => s.actions.includes("s3:ListBucket"));
    for (const [statements, keys] of [
      [reconcile, ["targets/ecs-services.json", "targets/state.json", "targets/ecs-services.index.json"]],
      [audit, ["targets/ecs-services.json", "targets/state.json", "targets/ecs-services.index.json"]],
      [forward, ["forwarder/state.json"]],
      [prometheus, ["targets/ecs-services.json", "targets/ecs-services.index.json"]],
    ] as const) {
      expect(listing([...statements])).toEqual([
        { actions: ["s3:ListBucket"], resources: [BUCKET], conditions: [{ test: "StringEquals", variable: "s3:prefix", values: keys }] },
      ]);
    }
    expect(policyCondition(listing(reconcile)[0]!.conditions)).toEqual({
      Condition: { StringEquals: { "s3:prefix": ["targets/ecs-services.json", "targets/state.json", "targets/ecs-services.index.json"] } },
    });
    expect(policyCondition(undefined)).toEqual({});
  });

  it("reconcile: writes only the document, its shard index and shards, the state and its parts, and the manifest parameter", () => {
    expect(resourcesOf(reconcile, "s3:PutObject")).toEqual([DOC, INDEX, SHARDS, STATE, PARTS].sort());
    expect(resourcesOf(reconcile, "s3:GetObject")).toEqual([DOC, INDEX, SHARDS, STATE, PARTS].sort());
    // Deletes: retired shards and state parts only.
    expect(resourcesOf(reconcile, "s3:DeleteObject")).toEqual([SHARDS, PARTS].sort());
    expect(resourcesOf(reconcile, "s3:ListBucket")).toEqual([BUCKET]);
    expect(resourcesOf(reconcile, "ssm:PutParameter")).toEqual([PARAM]);
    expect(resourcesOf(reconcile, "ssm:GetParameter")).toEqual([PARAM]);
    expect(resourcesOf(reconcile, "sqs:ReceiveMessage")).toEqual([QUEUE]);
    expect(resourcesOf(reconcile, "logs:PutLogEvents")).toEqual([LOGS]);
    const g = grants(reconcile);
    for (const never of ["cloudwatch:PutMetricData", "ssm:DeleteParameter", "logs:CreateLogGroup"]) {
      expect(
        [...g].some((p) => p.startsWith(`${never} `)),
        never,
      ).toBe(false);
    }
  });

  it("audit: reads only, no write of any kind", () => {
    const actions = audit.flatMap((s) => s.actions);
    expect(actions.filter((a) => /:(Put|Delete|Create|Update|Register|Deregister|Tag|Untag)/.test(a) && !a.startsWith("logs:"))).toEqual([]);
    // The document to compare, the state for the time of the last full reconcile; nothing else in the bucket.
    expect(resourcesOf(audit, "s3:GetObject")).toEqual([DOC, INDEX, SHARDS, STATE, PARTS].sort());
    expect(resourcesOf(audit, "s3:GetObject")).not.toContain(FWD);
    expect(resourcesOf(audit, "ssm:GetParameter")).toEqual([PARAM]);
  });

  it("forward: remote write on the one workspace, or assume the central role instead", () => {
    expect(resourcesOf(forward, "aps:RemoteWrite")).toEqual([WS]);
    expect(resourcesOf(forward, "sts:AssumeRole")).toEqual([]);
    expect(resourcesOf(forward, "s3:PutObject")).toEqual([FWD]);
    expect(resourcesOf(forward, "rds:DescribeDBInstances")).toEqual(["arn:aws:rds:eu-west-1:111122223333:db:orders"]);
    expect(resourcesOf(forward, "rds:DescribeDBClusters")).toEqual(["arn:aws:rds:eu-west-1:111122223333:cluster:*"]);
    expect(resourcesOf(forward, "elasticache:DescribeCacheClusters")).toEqual([]);
    // RDS returns tags with Describe*: no ListTagsForResource for it.
    expect(resourcesOf(forward, "rds:ListTagsForResource")).toEqual([]);
    const role = "arn:aws:iam::999999999999:role/central-amp-writer";
    const central = forwardStatements(
      {
        bucketArn: BUCKET,
        forwardStateKey: "forwarder/state.json",
        forwardStateObjectArn: FWD,
        amp: { kind: "assume-role", roleArn: role },
        rdsInstanceArns: [],
        rdsClusterArns: [],
        elastiCacheArns: [],
        logStreamsArn: LOGS,
      },
      "*",
    );
    expect(resourcesOf(central, "sts:AssumeRole")).toEqual([role]);
    expect(resourcesOf(central, "aps:RemoteWrite")).toEqual([]);
    expect(central.some((s) => s.actions.some((a) => a.startsWith("rds:")))).toBe(false);
  });

  it("Prometheus task role: GetObject on the document, its index and shards, GetParameter on the one parameter, nothing else", () => {
    expect([...grants(prometheus)].sort()).toEqual([
      `s3:GetObject ${INDEX}`,
      `s3:GetObject ${DOC}`,
      `s3:GetObject ${SHARDS}`,
      `s3:ListBucket ${BUCKET}`,
      `ssm:GetParameter ${PARAM}`,
    ]);
    expect(prometheus.find((s) => s.actions.includes("s3:ListBucket"))?.conditions).toEqual([
      { test: "StringEquals", variable: "s3:prefix", values: ["targets/ecs-services.json", "targets/ecs-services.index.json"] },
    ]);
  });

  it("readers of other accounts: GetObject on the document, its index and shards only, their accounts as principals, their role ARNs as the condition", () => {
    expect(documentReaderGrants([], "targets/ecs-services.json")).toEqual([]);
    const readers = [
      "arn:aws:iam::999999999999:role/prometheus-central",
      "arn:aws:iam::444455556666:role/monitoring/prometheus-reader",
      "arn:aws:iam::999999999999:role/prometheus-staging",
    ];
    expect(documentReaderGrants(readers, "targets/ecs-services.json")).toEqual([
      {
        actions: ["s3:GetObject"],
        principals: [{ type: "aws", identifiers: ["arn:aws:iam::444455556666:root", "arn:aws:iam::999999999999:root"] }],
        conditions: [{ test: "ArnEquals", variable: "aws:PrincipalArn", values: readers }],
        paths: ["targets/ecs-services.json", "targets/ecs-services.index.json", "targets/ecs-services.shards/*"],
      },
    ]);
    const [grant] = documentReaderGrants(readers, "targets/ecs-services.json");
    expect(wildcardActions([grant!])).toEqual([]);
    expect(accountRoots(["arn:aws-cn:iam::123456789012:role/r"])).toEqual(["arn:aws-cn:iam::123456789012:root"]);
    expect(() => accountRoots(["not-an-arn"])).toThrow(/not an IAM ARN/);
  });

  it("function roles trust the Lambda service only", () => {
    const doc = lambdaTrustPolicy();
    expect(doc.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
  });
});
