// Physical names other tools rely on: the CLI's `invoke` finds the reconcile
// function by the same convention the stack uses to name it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseStageConfig } from "../../infra/config";
import { ecsClusterArn, functionName, roleName, s3ObjectArn, ssmParameterArn } from "../../infra/naming";
import { APP_NAME, conventionalFunctionName } from "../../packages/cli/src/commands/invoke";

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
      expect(roleName(APP_NAME, longest, role).length).toBeLessThanOrEqual(64);
    }
    expect(() => functionName(APP_NAME, "a".repeat(40), "reconcile")).toThrow(/longer than 64/);
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
