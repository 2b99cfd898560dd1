// Smoke run of benchmark 5 (bench/bundle.ts): both bundles build with the AWS SDK bundled
// (the deploy's own postbuild check passes), the aggregated-clients baseline is the larger
// one, and the module initialisation of each bundle succeeds in a fresh process.
import { describe, expect, it } from "vitest";
import { report, runBundleBench } from "../../bench/bundle";

describe("bench/bundle (smoke)", () => {
  it("builds the reconcile bundle and the aggregated-clients baseline and imports both", async () => {
    const r = await runBundleBench(1);
    expect(r.ours.bytes).toBeGreaterThan(100_000);
    expect(r.ours.gzipBytes).toBeLessThan(r.ours.bytes);
    expect(r.baseline.bytes).toBeGreaterThan(r.ours.bytes);
    expect(r.ours.initMs).toHaveLength(1);
    expect(r.baseline.initMs).toHaveLength(1);
    expect(r.ours.initMs[0]).toBeGreaterThan(0);
    expect(r.ours.breakdown.map(([name]) => name)).toContain("@aws-sdk/client-ecs");
    expect(report(r)).toMatch(/^ratio baseline\/ours: size [\d.]+x, gzip [\d.]+x, init [\d.]+x$/m);
  }, 60_000);
});
