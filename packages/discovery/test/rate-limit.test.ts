import { describe, expect, it } from "vitest";
import { TokenBucket } from "../src";

describe("TokenBucket", () => {
  it("allows the burst at once, then the refill rate", async () => {
    let t = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(
      { capacity: 3, refillPerSecond: 2 },
      () => t,
      async (ms) => {
        waits.push(ms);
        t += ms;
      },
    );
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(waits).toEqual([]);
    await bucket.take();
    await bucket.take();
    expect(waits).toEqual([500, 500]);
    expect(t).toBe(1000);
  });
  it("refills up to its capacity only", async () => {
    let t = 0;
    const bucket = new TokenBucket(
      { capacity: 2, refillPerSecond: 10 },
      () => t,
      async (ms) => {
        t += ms;
      },
    );
    await bucket.take();
    await bucket.take();
    t += 60_000;
    await bucket.take();
    await bucket.take();
    const before = t;
    await bucket.take();
    expect(t - before).toBe(100);
  });
});
