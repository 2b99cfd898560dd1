// Smoke run of bench/reconcile-cost.ts on a small account: today's code and the baseline
// commit's, each bundled from its sources and run in its own process, publish the same
// targets on their first run, write nothing on the steady runs, and the report prints
// each side's CPU and wall time with the ratios. No budget is asserted here.
import { describe, expect, it } from "vitest";
import { DEFAULT_BASELINE_REF, report, runReconcileCost } from "../../bench/reconcile-cost";

describe("bench/reconcile-cost (smoke)", () => {
  it("measures the first and steady full reconciles of both sides", async () => {
    const r = await runReconcileCost({ services: 12, tasks: 5, latencyMs: 1, runs: 2, baselineRef: DEFAULT_BASELINE_REF });
    expect(r.tasks).toBe(60);
    for (const side of [r.ours, r.baseline]) {
      expect(side.first.written).toBe(true);
      expect(side.first.targets).toBeGreaterThan(0);
      expect(side.first.cpuMs).toBeGreaterThan(0);
    }
    expect(r.ours.targets).toBe(r.baseline.targets);
    expect(r.old?.targets).toBeGreaterThan(0);
    const text = report(r);
    console.log(text);
    expect(text).toMatch(/ratio baseline\/ours: first CPU [\d.]+x, steady CPU [\d.]+x/);
    expect(text).toMatch(/old sidecar's reload: [\d.]+ s wall/);
  }, 180_000);
});
