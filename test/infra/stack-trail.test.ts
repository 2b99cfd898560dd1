// sst.config.ts for a stage with `"trail": true` (through SCRAPE_RECONCILER_CONFIG): the
// stack creates a regional CloudTrail trail recording management write events, logging to
// its own bucket whose policy lets only CloudTrail write (this trail's ARN) and denies
// plain HTTP. Without the field no trail exists (stack.test.ts's stage has none). Own
// process (vitest forks), so its Pulumi runtime is fresh. Skips when .sst/platform is absent.
import { beforeAll, describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../../infra/config";
import { platformAvailable, runStack, type StackRun } from "./sst-harness";

describe.skipIf(!platformAvailable())("sst.config.ts, stage with-trail: the optional CloudTrail trail", () => {
  let s: StackRun;
  let without: StackRun;
  beforeAll(async () => {
    process.env[CONFIG_ENV] = JSON.stringify({ trail: true });
    try {
      s = await runStack("with-trail");
    } finally {
      delete process.env[CONFIG_ENV];
    }
    process.env[CONFIG_ENV] = JSON.stringify({});
    try {
      without = await runStack("without-trail");
    } finally {
      delete process.env[CONFIG_ENV];
    }
  }, 180_000);

  it("records management write events in this region, into its own bucket", () => {
    const trails = s.resources.filter((r) => r.type === "aws:cloudtrail/trail:Trail");
    expect(trails).toHaveLength(1);
    const trail = trails[0]!;
    expect(trail.inputs.isMultiRegionTrail).not.toBe(true);
    const selectors = JSON.stringify(trail.inputs.eventSelectors ?? trail.inputs.advancedEventSelectors ?? []);
    expect(selectors).toMatch(/WriteOnly|"readOnly"|Management/);
    const buckets = s.resources.filter((r) => r.type === "aws:s3/bucket:Bucket").map((r) => r.name);
    expect(buckets).toContain("TrailBucket");
    expect(without.resources.filter((r) => r.type === "aws:cloudtrail/trail:Trail")).toHaveLength(0);
  });
});
