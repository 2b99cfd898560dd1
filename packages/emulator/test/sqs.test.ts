// The emulated queue and event source follow SQS's and Lambda's documented rules:
// visibility timeout, receive counts, redrive to the dead-letter queue after
// maxReceiveCount, batching window / batch size, partial batch responses.
import { describe, expect, it } from "vitest";
import { EmulatedQueue, failedIds, SqsEventSource, type Message } from "../src/sqs";
import type { QueueModel } from "../src/stack-model";

const queueModel = (over: Partial<QueueModel> = {}): QueueModel => ({
  logicalName: "Q",
  name: "q",
  arn: "arn:aws:sqs:eu-west-1:111122223333:q",
  url: "https://sqs/q",
  visibilityTimeoutSeconds: 30,
  messageRetentionSeconds: 3600,
  delaySeconds: 0,
  ...over,
});

describe("EmulatedQueue", () => {
  it("hides a received message for the visibility timeout, then moves it to the DLQ after maxReceiveCount", () => {
    let now = 1_000;
    const dlq = new EmulatedQueue(queueModel({ name: "dlq", arn: "arn:dlq" }), () => now);
    const q = new EmulatedQueue(queueModel({ redrive: { deadLetterTargetArn: "arn:dlq", maxReceiveCount: 2 } }), () => now);
    q.deadLetters = dlq;
    q.send("a");
    expect(q.receive(10, 30_000)).toHaveLength(1);
    expect(q.receive(10, 30_000)).toHaveLength(0); // invisible
    now += 30_000;
    const second = q.receive(10, 30_000);
    expect(second.map((m) => m.receiveCount)).toEqual([2]);
    now += 30_000;
    expect(q.receive(10, 30_000)).toHaveLength(0); // third receive: moved instead
    expect(q.size()).toBe(0);
    expect(dlq.visibleCount()).toBe(1);
    expect(dlq.list()[0]).toMatchObject({ body: "a", receiveCount: 3 });
  });

  it("deletes by the latest receipt handle only", () => {
    let now = 0;
    const q = new EmulatedQueue(queueModel(), () => now);
    q.send("a");
    const [first] = q.receive(1, 10);
    now += 10;
    const [again] = q.receive(1, 10);
    expect(q.delete(first!.receiptHandle)).toBe(false);
    expect(q.delete(again!.receiptHandle)).toBe(true);
  });
});

describe("partial batch responses", () => {
  const msgs = ["1", "2", "3"].map((id) => ({ messageId: id }) as Message);
  it("keeps only the named records; an unknown or empty identifier fails the whole batch", () => {
    expect([...failedIds(msgs, { ok: true, result: { batchItemFailures: [{ itemIdentifier: "2" }] } }, true)]).toEqual(["2"]);
    expect(failedIds(msgs, { ok: true, result: { batchItemFailures: [] } }, true).size).toBe(0);
    expect(failedIds(msgs, { ok: true, result: { batchItemFailures: [{ itemIdentifier: "" }] } }, true).size).toBe(3);
    expect(failedIds(msgs, { ok: true, result: { batchItemFailures: [{ itemIdentifier: "9" }] } }, true).size).toBe(3);
    expect(failedIds(msgs, { ok: false }, true).size).toBe(3);
    // Without ReportBatchItemFailures the response is ignored: a success deletes everything.
    expect(failedIds(msgs, { ok: true, result: { batchItemFailures: [{ itemIdentifier: "2" }] } }, false).size).toBe(0);
  });
});

describe("SqsEventSource", () => {
  it("waits for the batching window unless the batch is full, and never exceeds maximum concurrency", async () => {
    const q = new EmulatedQueue(queueModel());
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    const source = new SqsEventSource(
      {
        logicalName: "M",
        queueArn: q.model.arn,
        functionName: "f",
        batchSize: 5,
        batchingWindowSeconds: 1,
        maximumConcurrency: 2,
        reportBatchItemFailures: true,
        enabled: true,
      },
      q,
      async (event: unknown) => {
        running += 1;
        peak = Math.max(peak, running);
        sizes.push((event as { Records: unknown[] }).Records.length);
        await new Promise((r) => setTimeout(r, 100));
        running -= 1;
        return { ok: true, result: { batchItemFailures: [] } };
      },
      { region: "eu-west-1", visibilityScale: 1, pollMs: 5 },
    );
    const t0 = Date.now();
    q.send("one");
    source.start();
    while (sizes.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950); // the window, not at once
    for (let i = 0; i < 23; i++) q.send(`m${i}`);
    while (q.size() > 0 || source.running > 0) await new Promise((r) => setTimeout(r, 10));
    await source.stop();
    expect(sizes[0]).toBe(1);
    expect(sizes.slice(1).every((s) => s <= 5)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(24);
    expect(peak).toBeLessThanOrEqual(2);
  });
});

describe("a batch that runs longer than the (scaled) visibility timeout", () => {
  it("is not delivered again while it runs; a failure comes back after the timeout", async () => {
    const q = new EmulatedQueue(queueModel({ visibilityTimeoutSeconds: 1 }));
    let calls = 0;
    const source = new SqsEventSource(
      { logicalName: "M", queueArn: q.model.arn, functionName: "f", batchSize: 10, batchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true },
      q,
      async () => {
        calls += 1;
        if (calls === 1) await new Promise((r) => setTimeout(r, 300)); // longer than 1 s x 0.1
        return calls === 1 ? { ok: false } : { ok: true, result: { batchItemFailures: [] } };
      },
      { region: "eu-west-1", visibilityScale: 0.1, pollMs: 5 },
    );
    q.send("slow");
    source.start();
    await new Promise((r) => setTimeout(r, 250));
    expect(calls).toBe(1); // still running: held
    while (q.size() > 0) await new Promise((r) => setTimeout(r, 10));
    await source.stop();
    expect(calls).toBe(2);
    expect(source.batches.map((b) => [b.ok, b.redelivered])).toEqual([
      [false, 0],
      [true, 1],
    ]);
  });
});
