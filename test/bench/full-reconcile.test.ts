// Smoke run of benchmark 1 (bench/full-reconcile.ts) on a tiny account with small Cloud Map
// pages, so that every fault of the old sidecar shows at this size: ours finds every
// target with unique instance labels; the old one misses the HTTP/public namespaces, the
// services and instances past the first page, misplaces bridge tasks, and shares
// instance labels between a task's app and infra endpoints.
import { describe, expect, it } from "vitest";
import { report, runFullReconcileBench } from "../../bench/full-reconcile";

describe("bench/full-reconcile (smoke)", () => {
  it("compares ours with the old sidecar's reload on the same simulator", async () => {
    const r = await runFullReconcileBench({ services: 20, tasks: 3, latencyMs: 0, bigEvery: 5, bigTasks: 8, infraEvery: 4, ec2Every: 3, pageSize: 5 });
    expect(r.ours.complete).toBe(true);
    expect(r.ours.targets).toBe(r.expectedTargets);
    expect(r.ours.collisions.labels).toBe(0);
    expect(r.old.targets).toBeLessThan(r.ours.targets);
    expect(Object.keys(r.old.missed).sort()).toEqual([
      "bridge task scraped at the container port, not the host port",
      "instance past the first page of its service",
      "namespace not DNS_PRIVATE",
      "service past the first page of its namespace",
    ]);
    expect(r.old.missedTotal).toBe(Object.values(r.old.missed).reduce((a, b) => a + b, 0));
    expect(r.old.wrongAddresses).toBeGreaterThan(0);
    expect(r.old.collisions.labels).toBeGreaterThan(0);
    expect(r.old.errors).toEqual([]);
    expect(r.ours.byOperation["servicediscovery:ListInstances"]).toBeGreaterThan(r.old.byOperation["servicediscovery:ListInstances"] ?? 0);
    expect(report(r)).toMatch(/^ratio old\/ours: wall time [\d.]+x, AWS calls [\d.]+x, targets found 0\.\d\dx$/m);
  }, 60_000);
});
