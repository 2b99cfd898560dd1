// Smoke run of benchmark 2 (bench/event-to-target.ts) with three tasks on the emulated
// stack: every target reaches the published targets, the sidecar's file and (when
// installed) Prometheus, the stages come in order, the events went through the deployed
// queue with its event source's settings (read from the synthesised stack), and the
// modelled old sidecar has a distribution for the same events.
import { describe, expect, it } from "vitest";
import { report, runEventToTarget } from "../../bench/event-to-target";

describe("bench/event-to-target (smoke)", () => {
  it("times RUNNING -> document -> file -> Prometheus for each task", async () => {
    const r = await runEventToTarget({ events: 3, sidecarInterval: "1s", gapMs: 200 });
    expect(r.reached.document).toBe(3);
    expect(r.reached.file).toBe(3);
    if (r.prometheus) {
      expect(r.reached.prometheus).toBe(3);
      expect(r.ours.prometheus!.median).toBeGreaterThanOrEqual(r.ours.file!.median);
      expect(r.ours.fileToPrometheus!.n).toBe(3);
      expect(r.old.prometheus!.n).toBe(3);
    }
    // The events went through the stack's queue, with its event source as synthesised: a
    // batch no larger than AWS allows for its batching window (10 without one), and when
    // there is a window they waited for much of it (it opened at the first task's ACTIVATING).
    expect(r.eventSource.batchSize).toBeLessThanOrEqual(r.eventSource.batchWindowSeconds === 0 ? 10 : 10_000);
    expect(r.ours.document!.median).toBeGreaterThanOrEqual(r.eventSource.batchWindowSeconds * 500);
    expect(r.ours.file!.median).toBeGreaterThanOrEqual(r.ours.document!.median);
    expect(r.old.file!.n).toBe(3);
    expect(r.oldReloadMs).toBeGreaterThan(0);
    const text = report(r);
    expect(text).toContain(`batch window ${r.eventSource.batchWindowSeconds} s, ≤${r.eventSource.batchSize} events`);
    expect(text).toMatch(/^ratio old\/ours \(medians\): file [\d.]+x/m);
  }, 120_000);
});
