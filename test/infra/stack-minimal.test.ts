// sst.config.ts for a stage with no stage file, configured through
// SCRAPE_RECONCILER_CONFIG only: no AMP (so no forwarder), an existing alarm
// topic, no cluster filter; and the default removal settings, which retain the
// bucket with every resource that configures it and protect the stage, whatever
// its name. Own process (vitest forks), so its Pulumi runtime is fresh. Skips
// when .sst/platform is absent.
import { beforeAll, describe, expect, it } from "vitest";
import { CONFIG_ENV, REMOVAL_DEFAULTS } from "../../infra/config";
import { ecsTaskStateChangePattern } from "../../infra/patterns";
import { recordResourceOptions, TARGETS_BUCKET_RESOURCES, type OptionsLog } from "./resource-options";
import { platformAvailable, REGION, runStack, type StackRun } from "./sst-harness";

const TOPIC = "arn:aws:sns:eu-west-1:111122223333:ops-alerts";

describe.skipIf(!platformAvailable())("sst.config.ts, stage prod-eu, configured from the environment", () => {
  let s: StackRun;
  let options: OptionsLog;
  beforeAll(async () => {
    options = await recordResourceOptions();
    process.env[CONFIG_ENV] = JSON.stringify({ alarms: { topicArn: TOPIC }, schedules: { reconcile: "rate(10 minutes)" } });
    try {
      s = await runStack("prod-eu");
    } finally {
      delete process.env[CONFIG_ENV];
    }
  }, 120_000);

  it("deploys no forwarder without AMP settings", () => {
    const names = s
      .byType("aws:lambda/function:Function")
      .map((f) => f.inputs.name)
      .sort();
    expect(names).toEqual(["scrape-reconciler-prod-eu-audit", "scrape-reconciler-prod-eu-reconcile"]);
    expect(
      s
        .byType("aws:iam/role:Role")
        .map((r) => r.inputs.name)
        .sort(),
    ).toEqual([`scrape-reconciler-prod-eu-${REGION}-audit-role`, `scrape-reconciler-prod-eu-${REGION}-reconcile-role`]);
    expect(s.outputs.forwardFunction).toBe("");
    expect(s.byType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.name)).not.toContain("ForwardErrorsAlarm");
  });

  it("notifies the existing topic and creates none", () => {
    expect(s.byType("aws:sns/topic:Topic")).toEqual([]);
    expect(s.byType("aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
    for (const a of s.byType("aws:cloudwatch/metricAlarm:MetricAlarm")) expect(a.inputs.alarmActions).toEqual([TOPIC]);
    expect(s.outputs.alarmTopicArn).toBe(TOPIC);
  });

  it("takes every cluster's events and the configured schedule", () => {
    const rule = s.one("aws:cloudwatch/eventRule:EventRule", "EcsTaskStateChange");
    expect(JSON.parse(rule.inputs.eventPattern)).toEqual(ecsTaskStateChangePattern([]));
    expect(s.one("aws:cloudwatch/eventRule:EventRule", "ReconcileSchedule").inputs.scheduleExpression).toBe("rate(10 minutes)");
  });

  it("by default a stage is protected and keeps its bucket and each of its settings on removal", () => {
    expect(REMOVAL_DEFAULTS).toEqual({ removal: "retain", protect: true });
    expect(s.outputs._protect).toBe(true);
    expect(s.one("aws:s3/bucket:Bucket", "TargetsBucket").inputs.forceDestroy).toBe(false);
    const s3 = options.all().filter((r) => r.type.startsWith("aws:s3/") && r.name.startsWith("Targets"));
    expect(s3.map((r) => `${r.type}::${r.name}`).sort()).toEqual([...TARGETS_BUCKET_RESOURCES].sort());
    for (const r of s3) expect({ resource: r.name, retainOnDelete: r.retainOnDelete }).toEqual({ resource: r.name, retainOnDelete: true });
    // Only the stage's data is retained: the functions, queues and rules go.
    const others = options.all().filter((r) => r.retainOnDelete && !r.type.startsWith("aws:s3/"));
    expect(others.map((r) => r.name)).toEqual([]);
    // The manifest parameter is not a stack resource, so `sst remove` never deletes it.
    expect(s.byType("aws:ssm/parameter:Parameter")).toEqual([]);
  });

  it("without readers the bucket policy grants no one: the TLS-only deny alone", () => {
    const bucketArn = s.one("aws:s3/bucket:Bucket", "TargetsBucket").state.arn;
    const policy = JSON.parse(s.one("aws:s3/bucketPolicy:BucketPolicy", "TargetsPolicy").inputs.policy);
    expect(policy.Statement).toEqual([
      {
        Effect: "Deny",
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Principal: { "*": ["*"] },
        Condition: { Bool: { "aws:SecureTransport": ["false"] } },
      },
    ]);
  });

  it("attaches the read policy to no task role it was not given", () => {
    expect(s.byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
  });
});
