// sst.config.ts with a stage naming another region than the provider's (under Pulumi
// mocks, MOCK_REGION): the deploy stops before any resource, with one line naming the
// field. Own process (vitest forks; one failing program per process). Skips when
// .sst/platform is absent.
import { describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../../infra/config";
import { programFailure } from "./program-failure";
import { ACCOUNT, platformAvailable, REGION } from "./sst-harness";

describe.skipIf(!platformAvailable())("sst.config.ts with a stage of another region", () => {
  it("stops the deploy with one line naming the field", async () => {
    const { message, unhandled } = await programFailure("wrong-region", { account: ACCOUNT, region: "us-east-1" });
    const line = `${CONFIG_ENV}: region: stage wrong-region deploys to us-east-1, but the AWS provider's region is ${REGION}: set AWS_REGION=us-east-1 (or the profile's region)`;
    expect(message).toBe(line);
    for (const u of unhandled) expect(u).toBe(line);
  }, 120_000);
});
