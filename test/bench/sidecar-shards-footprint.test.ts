// Smoke run of bench/sidecar-shards-footprint.ts on a small account: both bundled sidecars
// (the single document and the shard index) follow every change to the last generation,
// and the report prints each one's RSS and CPU with the budget. No budget is asserted.
import { describe, expect, it } from "vitest";
import { report, runShardsFootprint } from "../../bench/sidecar-shards-footprint";

describe("bench/sidecar-shards-footprint (smoke)", () => {
  it("measures both sidecars while one service changes every second", async () => {
    const r = await runShardsFootprint({ seconds: 3, services: 6, targets: 4 });
    expect(r.sides.map((s) => s.name)).toEqual(["single document", "shard index"]);
    for (const s of r.sides) {
      expect(s.generation).toBe(r.lastGeneration);
      expect(s.rssMax).toBeGreaterThan(0);
    }
    const text = report(r);
    console.log(text);
    expect(text.match(/RSS median [\d.]+ MiB, max [\d.]+ MiB \((OVER|within) 90 MiB\)/g)).toHaveLength(2);
  }, 180_000);
});
