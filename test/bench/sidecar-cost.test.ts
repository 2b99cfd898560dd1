// Smoke run of benchmark 4's request count (bench/sidecar-cost.ts): the S3 source makes
// one conditional GET per poll (304 when unchanged), the SSM source one GetParameter per
// poll and an S3 GET only per change, so SSM costs fewer S3 GETs; the old sidecar's calls
// per reload are counted on a small account.
import { describe, expect, it } from "vitest";
import { DEFAULT_INTERVAL_SECONDS, report, runSidecarCost } from "../../bench/sidecar-cost";

describe("bench/sidecar-cost (smoke)", () => {
  it("counts the sidecar's requests per poll and the old sidecar's per reload", async () => {
    const r = await runSidecarCost({ seconds: 4, changeEverySeconds: 1.5, services: 6, tasks: 2, changesPerHour: 60 });
    const [s3, ssm] = r.sources;
    expect(s3!.kind).toBe("s3");
    expect(s3!.changes).toBeGreaterThan(0);
    expect(s3!.notModified).toBeGreaterThan(0);
    expect(s3!.requests["s3:GetObject"]).toBe(s3!.polls);
    expect(ssm!.requests["ssm:GetParameter"]).toBe(ssm!.polls);
    expect(ssm!.requests["s3:GetObject"]).toBe(ssm!.changes);
    expect(ssm!.perHour.s3Gets).toBeLessThan(s3!.perHour.s3Gets);
    // One conditional GET per poll at the sidecar's default interval.
    expect(s3!.perHour.s3Gets).toBe(3600 / DEFAULT_INTERVAL_SECONDS);
    // 1 GetParameter + 1 ListNamespaces + 1 ListServices (the one private namespace) + 2 per service (all 6 are private at this size)
    expect(r.old.callsPerReload).toBe(15);
    expect(r.old.callsPerHour).toBe(15 * 120);
    expect(r.old.errors).toEqual([]);
    expect(report(r)).toMatch(/^ratio old\/ours, AWS requests per replica and hour: [\d.]+x$/m);
  }, 60_000);
});
