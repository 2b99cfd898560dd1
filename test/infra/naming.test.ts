// Physical names other tools rely on: the CLI's `invoke` finds the reconcile
// function by the same convention the stack uses to name it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseStageConfig } from "../../infra/config";
import {
  ecsClusterArn,
  functionName,
  IAM_POLICY_NAME_MAX,
  IAM_ROLE_NAME_MAX,
  NameTooLongError,
  policyName,
  roleName,
  s3ObjectArn,
  ssmParameterArn,
} from "../../infra/naming";
import { APP_NAME, conventionalFunctionName } from "@scrape-reconciler/cli";

describe("naming", () => {
  it("the CLI's convention is the stack's function name, for the app sst.config.ts declares", () => {
    const config = readFileSync(new URL("../../sst.config.ts", import.meta.url), "utf8");
    expect(config).toMatch(new RegExp(`name: "${APP_NAME}"`));
    for (const stage of ["prod", "ci", "eu-west-1-staging", "a".repeat(30)]) {
      expect(conventionalFunctionName(stage)).toBe(functionName(APP_NAME, stage, "reconcile"));
    }
  });

  it("every stage name the configuration accepts gives function names within Lambda's 64 characters", () => {
    const longest = "a".repeat(30);
    expect(() => parseStageConfig({}, { app: APP_NAME, stage: longest, source: "t" })).not.toThrow();
    expect(() => parseStageConfig({}, { app: APP_NAME, stage: `${longest}a`, source: "t" })).toThrow(/stage/);
    for (const role of ["reconcile", "forward", "audit"] as const) {
      expect(functionName(APP_NAME, longest, role).length).toBeLessThanOrEqual(64);
    }
    expect(() => functionName(APP_NAME, "a".repeat(40), "reconcile")).toThrow(/longer than 64/);
  });

  it("IAM names carry the region: one stage in two regions of one account gets distinct names", () => {
    for (const role of ["reconcile", "forward", "audit"] as const) {
      const eu = roleName(APP_NAME, "prod", "eu-west-1", role);
      const us = roleName(APP_NAME, "prod", "us-east-1", role);
      expect(eu).toBe(`scrape-reconciler-prod-eu-west-1-${role}-role`);
      expect(us).not.toBe(eu);
      // A central account's trust condition on `scrape-reconciler-*-<role>-role` still matches.
      expect(us).toMatch(new RegExp(`^scrape-reconciler-.*-${role}-role$`));
    }
    expect(policyName(APP_NAME, "prod", "eu-west-1", "prometheus-read")).not.toBe(policyName(APP_NAME, "prod", "eu-central-1", "prometheus-read"));
  });

  it("IAM names stay within IAM's limits, or fail naming the stage", () => {
    const regions = ["eu-west-1", "us-east-1", "ap-southeast-2", "us-gov-west-1", "ap-northeast-3"];
    let fitting = 0;
    for (const region of regions) {
      for (let len = 1; len <= 30; len++) {
        const stage = "s".repeat(len);
        for (const role of ["reconcile", "forward", "audit"] as const) {
          try {
            expect(roleName(APP_NAME, stage, region, role).length).toBeLessThanOrEqual(IAM_ROLE_NAME_MAX);
            fitting += 1;
          } catch (err) {
            expect(err).toBeInstanceOf(NameTooLongError);
            expect((err as NameTooLongError).stage).toBe(stage);
            expect((err as Error).message).toContain(`stage "${stage}" is too long for region ${region}`);
          }
        }
        expect(policyName(APP_NAME, stage, region, "prometheus-read").length).toBeLessThanOrEqual(IAM_POLICY_NAME_MAX);
      }
    }
    expect(fitting).toBeGreaterThan(0);
    // The documented stages fit in any region.
    for (const stage of ["prod", "prod-eu", "staging", "dev", "ci"]) {
      expect(roleName(APP_NAME, stage, "ap-southeast-2", "reconcile").length).toBeLessThanOrEqual(IAM_ROLE_NAME_MAX);
    }
    // The error says how long the stage may be there, and that bound is exact.
    const err = (() => {
      try {
        roleName(APP_NAME, "a".repeat(30), "eu-west-1", "reconcile");
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected NameTooLongError");
    })();
    const room = Number(/at most (\d+) characters/.exec(err.message)![1]);
    expect(roleName(APP_NAME, "a".repeat(room), "eu-west-1", "reconcile")).toHaveLength(IAM_ROLE_NAME_MAX);
    expect(() => roleName(APP_NAME, "a".repeat(room + 1), "eu-west-1", "reconcile")).toThrow(NameTooLongError);
  });

  it("builds SSM, S3 object and ECS cluster ARNs", () => {
    expect(ssmParameterArn("aws", "eu-west-1", "111122223333", "/scrape-reconciler/prod/targets/manifest")).toBe(
      "arn:aws:ssm:eu-west-1:111122223333:parameter/scrape-reconciler/prod/targets/manifest",
    );
    expect(s3ObjectArn("arn:aws:s3:::b", "targets/ecs-services.json")).toBe("arn:aws:s3:::b/targets/ecs-services.json");
    const at = { partition: "aws-cn", region: "cn-north-1", account: "111122223333" };
    expect(ecsClusterArn("web", at)).toBe("arn:aws-cn:ecs:cn-north-1:111122223333:cluster/web");
    const arn = "arn:aws:ecs:eu-west-1:111122223333:cluster/workers";
    expect(ecsClusterArn(arn, at)).toBe(arn);
  });
});
