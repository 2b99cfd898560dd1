// Target input settings and schedule parsing, as EventBridge documents them.
import { describe, expect, it } from "vitest";
import { schedulePeriodMs, scheduledEvent, ScheduleError, targetPayload, type BusEvent } from "../src/eventbridge";
import type { RuleModel, TargetModel } from "../src/stack-model";

const rule: RuleModel = { logicalName: "R", name: "r", arn: "arn:aws:events:eu-west-1:1:rule/r", enabled: true, targets: [] };
const event: BusEvent = {
  id: "e1",
  "detail-type": "ECS Task State Change",
  source: "aws.ecs",
  account: "1",
  time: "2026-12-05T00:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail: { lastStatus: "RUNNING", version: 3 },
};
const target = (over: Partial<TargetModel>): TargetModel => ({ logicalName: "T", arn: "arn:aws:sqs:eu-west-1:1:q", kind: "sqs", ...over });

describe("targetPayload", () => {
  it("sends the whole event by default, a constant input, a path, or a transformed template", () => {
    expect(JSON.parse(targetPayload(target({}), event, rule))).toEqual(event);
    expect(targetPayload(target({ input: '{"action":"reconcile"}' }), event, rule)).toBe('{"action":"reconcile"}');
    expect(JSON.parse(targetPayload(target({ inputPath: "$.detail" }), event, rule))).toEqual(event.detail);
    const t = target({
      inputTransformer: {
        inputPaths: { s: "$.detail.lastStatus", v: "$.detail.version" },
        inputTemplate: '{"status":"<s>","version":<v>,"rule":"<aws.events.rule-name>"}',
      },
    });
    expect(JSON.parse(targetPayload(t, event, rule))).toEqual({ status: "RUNNING", version: 3, rule: "r" });
  });
});

describe("schedules", () => {
  it("reads rate expressions and refuses what it cannot emulate", () => {
    expect(schedulePeriodMs("rate(5 minutes)")).toBe(300_000);
    expect(schedulePeriodMs("rate(1 hour)")).toBe(3_600_000);
    expect(() => schedulePeriodMs("cron(0 * * * ? *)")).toThrow(ScheduleError);
  });
  it("emits EventBridge's Scheduled Event naming the rule", () => {
    const e = scheduledEvent(rule, { account: "1", region: "eu-west-1" }, new Date("2026-12-05T10:00:00.123Z"));
    expect(e).toMatchObject({ "detail-type": "Scheduled Event", source: "aws.events", resources: [rule.arn], time: "2026-12-05T10:00:00Z", detail: {} });
  });
});
