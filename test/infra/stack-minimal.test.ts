// sst.config.ts for a stage with no stage file, configured through
// SCRAPE_RECONCILER_CONFIG only: no AMP (so no forwarder), an existing alarm
// topic, no cluster filter; and production's retention. Own process (vitest
// forks), so its Pulumi runtime is fresh. Skips when .sst/platform is absent.
import { beforeAll, describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../../infra/config";
import { ecsTaskStateChangePattern } from "../../infra/patterns";
import { platformAvailable, runStack, type StackRun } from "./sst-harness";

const TOPIC = "arn:aws:sns:eu-west-1:111122223333:ops-alerts";

describe.skipIf(!platformAvailable())("sst.config.ts, stage production, configured from the environment", () => {
  let s: StackRun;
  beforeAll(async () => {
    process.env[CONFIG_ENV] = JSON.stringify({ alarms: { topicArn: TOPIC }, schedules: { reconcile: "rate(10 minutes)" } });
    try {
      s = await runStack("production");
    } finally {
      delete process.env[CONFIG_ENV];
    }
  }, 120_000);

  it("deploys no forwarder without AMP settings", () => {
    const names = s.byType("aws:lambda/function:Function").map((f) => f.inputs.name).sort();
    expect(names).toEqual(["scrape-reconciler-production-audit", "scrape-reconciler-production-reconcile"]);
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

  it("production keeps its bucket: no force-destroy, no attachment to a task role it was not given", () => {
    expect(s.one("aws:s3/bucket:Bucket", "TargetsBucket").inputs.forceDestroy).toBe(false);
    expect(s.outputs._protect).toBe(true);
    expect(s.byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
  });
});
