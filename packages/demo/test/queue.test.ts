// The demo's SQS stand-in: messages sent together within the window form one batch, a
// batch never exceeds its size, failed records (partial batch response) and the records of
// a batch whose handler threw come back with a higher receive count, and a message that
// keeps failing ends in the dead-letter list.
import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { BatchingQueue, type QueueOptions } from "../src/queue";

const opts: QueueOptions = { batchWindowMs: 30, batchSize: 100, maxConcurrency: 2, visibilityTimeoutMs: 10, maxReceiveCount: 3 };

async function drained(q: BatchingQueue): Promise<void> {
  while (!q.idle) await new Promise((r) => setTimeout(r, 5));
}

describe("BatchingQueue", () => {
  it("coalesces messages sent within the window into one batch and caps the batch size", async () => {
    const batches: string[][] = [];
    const q = new BatchingQueue(async (e: SQSEvent) => void batches.push(e.Records.map((r) => r.body)), { ...opts, batchSize: 4 });
    q.send(["a", "b", "c"]);
    q.send(["d", "e", "f"]);
    await drained(q);
    await q.close();
    expect(batches.flat().sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(batches.map((b) => b.length)).toEqual([4, 2]);
    expect(batches[0]).toEqual(["a", "b", "c", "d"]);
  });

  it("delivers reported failures again, then dead-letters them after maxReceiveCount", async () => {
    const seen: { body: string; count: string }[] = [];
    const q = new BatchingQueue(async (e: SQSEvent) => {
      for (const r of e.Records) seen.push({ body: r.body, count: r.attributes.ApproximateReceiveCount });
      return { batchItemFailures: e.Records.filter((r) => r.body === "bad").map((r) => ({ itemIdentifier: r.messageId })) };
    }, opts);
    q.send(["ok", "bad"]);
    await drained(q);
    await q.close();
    expect(seen.filter((s) => s.body === "ok")).toEqual([{ body: "ok", count: "1" }]);
    expect(seen.filter((s) => s.body === "bad").map((s) => s.count)).toEqual(["1", "2", "3"]);
    expect(q.deadLetters.map((m) => m.body)).toEqual(["bad"]);
  });

  it("delivers a whole batch again when the handler throws", async () => {
    let calls = 0;
    const bodies: string[][] = [];
    const q = new BatchingQueue(async (e: SQSEvent) => {
      bodies.push(e.Records.map((r) => r.body));
      calls += 1;
      if (calls === 1) throw new Error("state write failed");
    }, opts);
    q.send(["x", "y"]);
    await drained(q);
    await q.close();
    expect(bodies).toEqual([
      ["x", "y"],
      ["x", "y"],
    ]);
    expect(q.errors).toHaveLength(1);
    expect(q.deadLetters).toEqual([]);
  });
});
