// sst.config.ts deploys a stage only to the account and region it names: under Pulumi
// mocks (whose credentials are MOCK_ACCOUNT's, in MOCK_REGION) a stage naming them
// deploys; one naming another account or region stops before any resource, with one line
// naming the field. The same stage with `tracing` on: X-Ray active tracing and its write
// actions; `logRetentionDays` on every function's log group. Own process (vitest forks).
// Skips when .sst/platform is absent.
import { beforeAll, describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../../infra/config";
import { programFailure } from "./program-failure";
import { ACCOUNT, platformAvailable, REGION, runStack, type StackRun } from "./sst-harness";

async function run(stage: string, config: unknown): Promise<StackRun> {
  process.env[CONFIG_ENV] = JSON.stringify(config);
  try {
    return await runStack(stage);
  } finally {
    delete process.env[CONFIG_ENV];
  }
}

describe.skipIf(!platformAvailable())("sst.config.ts: the stage's account and region", () => {
  let s: StackRun;
  beforeAll(async () => {
    s = await run("traced", { account: ACCOUNT, region: REGION, tracing: true, logRetentionDays: 90 });
  }, 120_000);

  it("a stage naming the credentials' account and the provider's region deploys", () => {
    expect(s.byType("aws:lambda/function:Function").length).toBe(2);
  });

  it("tracing: every function traced Active, its role granted X-Ray's two write actions on * (and no managed policy)", () => {
    for (const f of s.byType("aws:lambda/function:Function")) expect(f.inputs.tracingConfig).toEqual({ mode: "Active" });
    for (const role of s.byType("aws:iam/role:Role")) {
      const statements = JSON.parse(role.inputs.inlinePolicies[0].policy).Statement as { Action: string[]; Resource: string[] }[];
      expect(statements.filter((st) => st.Action.some((a) => a.startsWith("xray:")))).toEqual([
        { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: ["*"] },
      ]);
      expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    }
  });

  it("logRetentionDays: every function's log group", () => {
    const groups = s.byType("aws:cloudwatch/logGroup:LogGroup");
    expect(groups.map((g) => g.inputs.name).sort()).toEqual(["/aws/lambda/scrape-reconciler-traced-audit", "/aws/lambda/scrape-reconciler-traced-reconcile"]);
    for (const g of groups) expect(g.inputs.retentionInDays).toBe(90);
  });

  it("credentials of another account stop the deploy with one line naming the field", async () => {
    const { message, unhandled } = await programFailure("wrong-account", { account: "999999999999", region: REGION });
    const line = `${CONFIG_ENV}: account: stage wrong-account deploys to account 999999999999, but the credentials are of account ${ACCOUNT} (arn:aws:iam::${ACCOUNT}:user/ci): use that account's credentials (AWS_PROFILE)`;
    expect(message).toBe(line);
    for (const u of unhandled) expect(u).toBe(line);
  }, 120_000);
});
