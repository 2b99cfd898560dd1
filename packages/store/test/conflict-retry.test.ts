// The store's one conditional-write loop: only a lost race is retried, with one backoff,
// at most maxAttempts times.
import { ConflictError, PublishError } from "@scrape-reconciler/core";
import { describe, expect, it } from "vitest";
import { CONFLICT_BACKOFF, conflictBackoffMs, retryOnConflict } from "../src";

describe("retryOnConflict", () => {
  it("runs the attempt again after a conflict, waiting the backoff, until it succeeds", async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const out = await retryOnConflict(
      async (n) => {
        seen.push(n);
        if (n < 3) throw new ConflictError("changed since read");
        return "written";
      },
      { maxAttempts: 5, sleep: async (ms) => void waits.push(ms) },
    );
    expect(out).toBe("written");
    expect(seen).toEqual([1, 2, 3]);
    expect(waits).toHaveLength(2);
    for (const [i, ms] of waits.entries()) expect(ms).toBeLessThanOrEqual(Math.min(CONFLICT_BACKOFF.capMs, CONFLICT_BACKOFF.baseMs * 2 ** (i + 1)));
  });

  it("throws the last conflict after maxAttempts", async () => {
    let calls = 0;
    const run = retryOnConflict(
      async () => {
        calls += 1;
        throw new ConflictError(`lost race ${calls}`);
      },
      { maxAttempts: 3, sleep: async () => {} },
    );
    await expect(run).rejects.toThrow("lost race 3");
    expect(calls).toBe(3);
  });

  it("never retries another error", async () => {
    let calls = 0;
    const run = retryOnConflict(
      async () => {
        calls += 1;
        throw new PublishError("s3:PutObject", "denied");
      },
      { maxAttempts: 5, sleep: async () => {} },
    );
    await expect(run).rejects.toBeInstanceOf(PublishError);
    expect(calls).toBe(1);
  });

  it("backs off with full jitter, doubling up to the cap", () => {
    expect(conflictBackoffMs(1, () => 1)).toBe(50);
    expect(conflictBackoffMs(3, () => 1)).toBe(200);
    expect(conflictBackoffMs(10, () => 1)).toBe(CONFLICT_BACKOFF.capMs);
    expect(conflictBackoffMs(3, () => 0)).toBe(0);
  });
});
