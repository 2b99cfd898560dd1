// Smoke run of bench/sidecar-footprint.ts: the bundle built now (with and without the image's
// NODE_OPTIONS), the baseline commit's bundle and a bare node all start, serve the idle
// document, follow a changing larger document to its last generation, and the report prints
// every figure with its budget and ratios. No budget is asserted here (machine-dependent).
import { describe, expect, it } from "vitest";
import { report, runFootprint, DEFAULT_BASELINE_REF } from "../../bench/sidecar-footprint";

describe("bench/sidecar-footprint (smoke)", () => {
  it("measures idle and syncing RSS and idle CPU for every variant", async () => {
    const r = await runFootprint({
      seconds: 2,
      syncSeconds: 3,
      warmup: 1,
      targets: 200,
      syncTargets: 2000,
      baselineRef: DEFAULT_BASELINE_REF,
      breakdown: true,
    });
    expect(r.imageNodeOptions).toMatch(/--max-semi-space-size=\d+/);
    expect(r.variants.map((v) => v.name)).toEqual(["image", "no flags", `before (${DEFAULT_BASELINE_REF})`]);
    for (const v of r.variants) {
      expect(v.idle.rssMedian).toBeGreaterThan(r.bare.rssMedian);
      expect(v.sync.generation).toBe(r.lastGeneration);
      expect(v.memory?.heapUsed).toBeGreaterThan(0);
    }
    const text = report(r);
    console.log(text);
    expect(text).toMatch(/^bare node \(baseline\): RSS median [\d.]+ MiB/m);
    expect(text.match(/idle RSS median [\d.]+ MiB .* x[\d.]+ before, x[\d.]+ bare/g)).toHaveLength(3);
    expect(text.match(/syncing RSS median [\d.]+ MiB, max [\d.]+ MiB/g)).toHaveLength(3);
  }, 180_000);
});
