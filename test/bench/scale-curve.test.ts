// Smoke run of bench/scale-curve.ts at two small sizes: each point has both sides' batch
// CPU, bytes to each sidecar and full-reconcile CPU; the table has a row per size with the
// ratios; the SVG has the three panels, a line per side in each, and a dot per point.
import { describe, expect, it } from "vitest";
import { DEFAULT_BASELINE_REF } from "../../bench/reconcile-cost";
import { runCurve, shapeOf, svg, table } from "../../bench/scale-curve";

describe("bench/scale-curve (smoke)", () => {
  it("measures each size for both sides and draws three log-log panels", async () => {
    expect(shapeOf(10_000)).toEqual({ services: 200, tasks: 50 });
    expect(shapeOf(100)).toEqual({ services: 10, tasks: 10 });
    const points = await runCurve([20, 60], DEFAULT_BASELINE_REF, 1);
    expect(points.map((p) => p.tasks)).toEqual([20, 60]);
    for (const p of points) {
      for (const side of [p.ours, p.baseline]) {
        expect(side.batchCpuMs).toBeGreaterThan(0);
        expect(side.sidecarBytes).toBeGreaterThan(0);
        expect(side.fullCpuMs).toBeGreaterThan(0);
      }
      // The baseline's sidecars download the whole document; ours the index and one shard.
      expect(p.ours.sidecarBytes).toBeLessThan(p.baseline.sidecarBytes);
    }
    const t = table(points);
    console.log(t);
    expect(t.split("\n")).toHaveLength(4);
    const drawing = svg(points);
    expect(drawing.match(/<polyline /g)).toHaveLength(6);
    expect(drawing.match(/<circle /g)).toHaveLength(12);
    expect(drawing).toContain("CPU per event batch");
  }, 240_000);
});
