// Smoke run of bench/batch-cost.ts on a small account: both sides (today's code and the
// baseline commit's, each in its own warm process) run a full reconcile, then apply the
// same scale-out batches, each writing the document; the middleware on the real S3 client
// counts the bytes both ways (today's warm function reads none back), and the report
// prints each figure with its budget.
import { describe, expect, it } from "vitest";
import { DEFAULT_BASELINE_REF } from "../../bench/reconcile-cost";
import { report, runBatchCost } from "../../bench/batch-cost";

describe("bench/batch-cost (smoke)", () => {
  it("measures CPU and S3 bytes per batch for both sides", async () => {
    const r = await runBatchCost({ services: 8, tasks: 3, batches: 2, baselineRef: DEFAULT_BASELINE_REF });
    expect(r.eventsPerBatch.every((n) => n >= 2)).toBe(true);
    for (const s of [r.ours, r.baseline]) {
      expect(s.full.targets).toBe(24);
      expect(s.batches).toHaveLength(2);
      for (const b of s.batches) {
        expect(b.documentWritten).toBe(true);
        expect(b.written).toBeGreaterThan(0);
        expect(b.cpuMs).toBeGreaterThan(0);
      }
      expect(s.batches[1]!.targets).toBe(26);
    }
    // A sidecar following the shard index downloads less than the whole document.
    expect(r.ours.median.sidecar).toBeGreaterThan(0);
    expect(r.ours.median.sidecar).toBeLessThan(r.baseline.median.sidecar);
    // A warm function reads back no body of what it wrote itself (304s); the baseline does.
    expect(r.ours.median.read).toBe(0);
    expect(r.baseline.median.read).toBeGreaterThan(0);
    const text = report(r);
    console.log(text);
    expect(text).toMatch(/ratio baseline\/ours: CPU [\d.]+x, written [\d.]+x, read all \(ours none\), to each sidecar [\d.]+x/);
    expect(text).toMatch(/budgets: CPU (within|OVER) 100 ms/);
  }, 180_000);
});
