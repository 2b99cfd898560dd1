// SQS queues and Lambda's SQS event source, as the stack configures them and as AWS
// documents them: a received message is invisible for the queue's visibility timeout and
// comes back if not deleted; its receive count grows with each receive and, past the
// redrive policy's maxReceiveCount, it moves to the dead-letter queue instead of being
// delivered. The event source gathers up to batchSize messages or waits up to the
// batching window, runs at most maximumConcurrency batches at once, deletes what the
// function processed and, with ReportBatchItemFailures, keeps only the records the
// function names (an empty or unknown identifier fails the whole batch; so does an
// error, a timeout or a throttle). Visibility delays can be scaled for tests (a batch's
// messages stay hidden while it runs, as the stack's 6x timeout guarantees); the
// batching window, which sets the delivery latency, is never scaled.
import { createHash, randomUUID } from "node:crypto";
import type { EventSourceMappingModel, QueueModel } from "./stack-model";

export interface Message {
  messageId: string;
  receiptHandle: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  visibleAt: number;
  sender: string;
}

export class EmulatedQueue {
  private messages: Message[] = [];
  /** Messages moved here after maxReceiveCount (set by the emulation from the redrive policy). */
  deadLetters: EmulatedQueue | undefined;
  readonly stats = { sent: 0, received: 0, deleted: 0, movedToDlq: 0 };

  constructor(
    readonly model: QueueModel,
    private readonly now: () => number = Date.now,
  ) {}

  send(body: string, sender = "events.amazonaws.com"): Message {
    const t = this.now();
    const m: Message = {
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body,
      sentAt: t,
      receiveCount: 0,
      visibleAt: t + this.model.delaySeconds * 1000,
      sender,
    };
    this.messages.push(m);
    this.stats.sent += 1;
    return m;
  }

  /** ApproximateNumberOfMessagesVisible. */
  visibleCount(): number {
    const t = this.now();
    return this.messages.filter((m) => m.visibleAt <= t).length;
  }

  /** ApproximateNumberOfMessagesNotVisible (in flight). */
  inFlightCount(): number {
    const t = this.now();
    return this.messages.filter((m) => m.visibleAt > t).length;
  }

  size(): number {
    return this.messages.length;
  }

  /** Visible messages, oldest first (SQS standard queues are only roughly ordered). */
  peekVisible(max: number): Message[] {
    const t = this.now();
    return this.messages.filter((m) => m.visibleAt <= t).slice(0, max);
  }

  /** Earliest time a message becomes visible, or undefined when the queue is empty. */
  nextVisibleAt(): number | undefined {
    return this.messages.reduce<number | undefined>((a, m) => (a === undefined || m.visibleAt < a ? m.visibleAt : a), undefined);
  }

  /**
   * ReceiveMessage: up to `max` visible messages, each hidden for `visibilityMs` (with
   * `hold`, until `release`: see SqsEventSource). A message received more than
   * maxReceiveCount times moves to the dead-letter queue instead.
   */
  receive(max: number, visibilityMs: number, hold = false): Message[] {
    const t = this.now();
    const out: Message[] = [];
    for (const m of this.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > t) continue;
      m.receiveCount += 1;
      m.firstReceivedAt ??= t;
      m.receiptHandle = randomUUID();
      const redrive = this.model.redrive;
      if (redrive && this.deadLetters && m.receiveCount > redrive.maxReceiveCount) {
        this.remove(m.messageId);
        this.deadLetters.adopt(m);
        this.stats.movedToDlq += 1;
        continue;
      }
      m.visibleAt = hold ? Number.MAX_SAFE_INTEGER : t + visibilityMs;
      out.push({ ...m, visibleAt: t + visibilityMs });
      this.stats.received += 1;
    }
    return out;
  }

  /** Ends a hold: the message becomes visible at `visibleAt` (its visibility timeout's end). */
  release(receiptHandle: string, visibleAt: number): void {
    const m = this.messages.find((x) => x.receiptHandle === receiptHandle);
    if (m) m.visibleAt = visibleAt;
  }

  delete(receiptHandle: string): boolean {
    const i = this.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (i < 0) return false;
    this.messages.splice(i, 1);
    this.stats.deleted += 1;
    return true;
  }

  /** The messages currently held (copies), e.g. to read the dead-letter queue. */
  list(): Message[] {
    return this.messages.map((m) => ({ ...m }));
  }

  private remove(id: string): void {
    this.messages = this.messages.filter((m) => m.messageId !== id);
  }

  private adopt(m: Message): void {
    // The dead-letter queue keeps the message's id, body and receive count.
    this.messages.push({ ...m, visibleAt: this.now() });
    this.stats.sent += 1;
  }
}

/** The SQS event Lambda hands to the function. */
export function sqsEvent(queue: QueueModel, region: string, messages: Message[]) {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: m.sender,
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: createHash("md5").update(m.body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: queue.arn,
      awsRegion: region,
    })),
  };
}

export interface InvokeOutcome {
  ok: boolean;
  /** The invocation's request id (pairs a batch with the function's log lines). */
  requestId?: string;
  result?: unknown;
  /** A throttle (429): Lambda retries later; the messages come back after the visibility timeout. */
  throttled?: boolean;
}

export interface BatchRecord {
  mapping: string;
  requestId?: string;
  size: number;
  /** Records the function reported failed (or all, when the invocation failed). */
  failed: number;
  ok: boolean;
  startedAt: number;
  durationMs: number;
  /** Messages delivered again (receive count > 1). */
  redelivered: number;
}

/** Which messages of a batch stay on the queue, per Lambda's partial batch response rules. */
export function failedIds(messages: Message[], outcome: InvokeOutcome, reportBatchItemFailures: boolean): Set<string> {
  const all = new Set(messages.map((m) => m.messageId));
  if (!outcome.ok) return all;
  if (!reportBatchItemFailures) return new Set();
  const failures = (outcome.result as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const ids = new Set<string>();
  for (const f of failures) {
    const id = f?.itemIdentifier;
    // An empty, null or unknown identifier makes Lambda treat the whole batch as failed.
    if (typeof id !== "string" || id === "" || !all.has(id)) return all;
    ids.add(id);
  }
  return ids;
}

export class SqsEventSource {
  private inFlight = 0;
  private windowStart: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly batches: BatchRecord[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    readonly mapping: EventSourceMappingModel,
    private readonly queue: EmulatedQueue,
    private readonly invoke: (event: unknown) => Promise<InvokeOutcome>,
    private readonly opts: { region: string; visibilityScale: number; pollMs?: number },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.pending]);
  }

  /** True when no batch is running and the queue has nothing visible or in flight. */
  idle(): boolean {
    return this.inFlight === 0 && this.queue.size() === 0;
  }

  get running(): number {
    return this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.poll(), this.opts.pollMs ?? 20);
  }

  private poll(): void {
    if (this.stopped) return;
    try {
      const max = this.mapping.maximumConcurrency ?? Number.POSITIVE_INFINITY;
      while (this.mapping.enabled && this.inFlight < max) {
        const visible = this.queue.visibleCount();
        if (visible === 0) {
          this.windowStart = undefined;
          break;
        }
        const now = Date.now();
        this.windowStart ??= now;
        const full = visible >= this.mapping.batchSize;
        const waited = now - this.windowStart >= this.mapping.batchingWindowSeconds * 1000;
        if (!full && !waited) break;
        const visibilityMs = this.queue.model.visibilityTimeoutSeconds * 1000 * this.opts.visibilityScale;
        // Held while the batch runs: the stack's visibility timeout (6x the function's
        // timeout) never ends during a run, whatever the scale set for redelivery.
        const messages = this.queue.receive(this.mapping.batchSize, visibilityMs, true);
        this.windowStart = undefined;
        if (messages.length === 0) continue;
        this.run(messages);
      }
    } finally {
      this.schedule();
    }
  }

  private run(messages: Message[]): void {
    this.inFlight += 1;
    const startedAt = Date.now();
    const p = (async () => {
      let outcome: InvokeOutcome;
      try {
        outcome = await this.invoke(sqsEvent(this.queue.model, this.opts.region, messages));
      } catch {
        outcome = { ok: false };
      }
      const failed = failedIds(messages, outcome, this.mapping.reportBatchItemFailures);
      const now = Date.now();
      for (const m of messages) {
        if (failed.has(m.messageId)) this.queue.release(m.receiptHandle, Math.max(m.visibleAt, now));
        else this.queue.delete(m.receiptHandle);
      }
      this.batches.push({
        mapping: this.mapping.logicalName,
        ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
        size: messages.length,
        failed: failed.size,
        ok: outcome.ok,
        startedAt,
        durationMs: Date.now() - startedAt,
        redelivered: messages.filter((m) => m.receiveCount > 1).length,
      });
    })().finally(() => {
      this.inFlight -= 1;
      this.pending.delete(p);
    });
    this.pending.add(p);
  }
}
