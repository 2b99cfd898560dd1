// An in-process stand-in for the deployed SQS queue and its Lambda event source: messages
// wait for a batching window (or until a batch is full), at most `maxConcurrency` batches
// are handled at once, a message the handler reports failed (partial batch response), or
// every message of a batch whose handler threw, comes back after the visibility timeout,
// and after `maxReceiveCount` receives it goes to the dead-letter list.
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

export interface QueueOptions {
  batchWindowMs: number;
  batchSize: number;
  maxConcurrency: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

export interface QueuedMessage {
  id: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
}

export interface BatchInfo {
  /** Sequence number of the batch (1, 2, ...). */
  seq: number;
  messages: QueuedMessage[];
  /** Messages received more than once in this batch. */
  redelivered: number;
}

export type BatchHandler = (event: SQSEvent, info: BatchInfo) => Promise<SQSBatchResponse | void>;

export class BatchingQueue {
  private readonly waiting: QueuedMessage[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private seq = 0;
  private batches = 0;
  private closed = false;
  private readonly running = new Set<Promise<void>>();
  readonly deadLetters: QueuedMessage[] = [];
  /** Batch handler failures (the whole batch came back). */
  readonly errors: { seq: number; error: unknown }[] = [];

  constructor(
    private readonly handler: BatchHandler,
    readonly options: QueueOptions,
    private readonly now: () => number = Date.now,
  ) {}

  send(bodies: unknown[]): void {
    if (this.closed || bodies.length === 0) return;
    const at = this.now();
    for (const b of bodies) {
      this.seq += 1;
      this.waiting.push({ id: `msg-${this.seq}`, body: typeof b === "string" ? b : JSON.stringify(b), sentAt: at, visibleAt: at, receiveCount: 0 });
    }
    this.pump();
  }

  /** Nothing waiting, invisible or being handled. */
  get idle(): boolean {
    return this.waiting.length === 0 && this.inFlight === 0;
  }

  get depth(): number {
    return this.waiting.length;
  }

  private schedule(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.now()));
  }

  private pump(): void {
    if (this.closed) return;
    const { batchSize, batchWindowMs, maxConcurrency } = this.options;
    for (;;) {
      const now = this.now();
      const visible = this.waiting.filter((m) => m.visibleAt <= now);
      const nextInvisible = Math.min(...this.waiting.filter((m) => m.visibleAt > now).map((m) => m.visibleAt));
      if (Number.isFinite(nextInvisible)) this.schedule(nextInvisible);
      if (visible.length === 0 || this.inFlight >= maxConcurrency) return;
      const windowEnds = Math.min(...visible.map((m) => m.visibleAt)) + batchWindowMs;
      if (visible.length < batchSize && now < windowEnds) {
        this.schedule(windowEnds);
        return;
      }
      const batch = visible.slice(0, batchSize);
      for (const m of batch) this.waiting.splice(this.waiting.indexOf(m), 1);
      this.deliver(batch);
    }
  }

  private deliver(batch: QueuedMessage[]): void {
    this.inFlight += 1;
    this.batches += 1;
    const seq = this.batches;
    for (const m of batch) m.receiveCount += 1;
    const event: SQSEvent = {
      Records: batch.map((m) => ({
        messageId: m.id,
        receiptHandle: `${m.id}/${m.receiveCount}`,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: "events.amazonaws.com",
          ApproximateFirstReceiveTimestamp: String(m.sentAt),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:scrape-reconciler-demo-events",
        awsRegion: "us-east-1",
      })),
    };
    const info: BatchInfo = { seq, messages: batch, redelivered: batch.filter((m) => m.receiveCount > 1).length };
    const run = (async () => {
      let failed: Set<string>;
      try {
        const res = await this.handler(event, info);
        failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (error) {
        this.errors.push({ seq, error });
        failed = new Set(batch.map((m) => m.id));
      }
      const back = this.now() + this.options.visibilityTimeoutMs;
      for (const m of batch) {
        if (!failed.has(m.id)) continue;
        if (m.receiveCount >= this.options.maxReceiveCount) this.deadLetters.push(m);
        else this.waiting.push({ ...m, visibleAt: back });
      }
    })().finally(() => {
      this.inFlight -= 1;
      this.running.delete(run);
      this.pump();
    });
    this.running.add(run);
  }

  /** Stops taking batches and waits for the ones being handled. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.running]);
  }
}
