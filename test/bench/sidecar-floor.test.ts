// Smoke run of bench/sidecar-floor.ts: every layer builds, starts and is measured, each layer
// that adds work costs memory over bare node, and the report prints every layer against the
// budget. No budget is asserted here (machine-dependent).
import { describe, expect, it } from "vitest";
import { report, runFloor } from "../../bench/sidecar-floor";

describe("bench/sidecar-floor (smoke)", () => {
  it("measures each layer's RSS beside bare node", async () => {
    const r = await runFloor(1);
    expect(r.layers.map((l) => l.name)).toHaveLength(5);
    const [bare, floor, s3, , all] = r.layers;
    for (const l of r.layers) expect(l.rssAnon + l.rssFile).toBeGreaterThan(0);
    expect(floor!.rssMedian).toBeGreaterThan(bare!.rssMedian);
    expect(s3!.rssMedian).toBeGreaterThan(floor!.rssMedian);
    expect(all!.rssMedian).toBeGreaterThan(floor!.rssMedian);
    const text = report(r);
    console.log(text);
    expect(text.match(/RSS [\d.]+ MiB \(anon [\d.]+, file [\d.]+\), x[\d.]+ bare/g)).toHaveLength(5);
  }, 120_000);
});
