// Smoke run of benchmark 2 (bench/event-to-target.ts) with three tasks: every target
// reaches the document, the sidecar's file and (when installed) Prometheus, the stages
// come in order, and the modelled old sidecar has a distribution for the same events.
import { describe, expect, it } from "vitest";
import { report, runEventToTarget } from "../../bench/event-to-target";

describe("bench/event-to-target (smoke)", () => {
  it("times RUNNING -> document -> file -> Prometheus for each task", async () => {
    const r = await runEventToTarget({ events: 3, batchWindowMs: 1000, sidecarInterval: "1s", gapMs: 200 });
    expect(r.reached.document).toBe(3);
    expect(r.reached.file).toBe(3);
    if (r.prometheus) {
      expect(r.reached.prometheus).toBe(3);
      expect(r.ours.prometheus!.median).toBeGreaterThanOrEqual(r.ours.file!.median);
      expect(r.ours.fileToPrometheus!.n).toBe(3);
      expect(r.old.prometheus!.n).toBe(3);
    }
    expect(r.ours.file!.median).toBeGreaterThanOrEqual(r.ours.document!.median);
    expect(r.old.file!.n).toBe(3);
    expect(r.oldReloadMs).toBeGreaterThan(0);
    expect(report(r)).toMatch(/^ratio old\/ours \(medians\): file [\d.]+x/m);
  }, 90_000);
});
