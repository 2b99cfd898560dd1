// The deployed event path, in process: the simulator's EventBridge events (at least once:
// a few duplicated, shuffled) are filtered by the same event patterns the infrastructure
// deploys (infra/patterns.ts, matched by infra/event-match.ts), queued in SQS-like batches
// and handed to the reconcile function's own router, handleInput, which publishes to the
// simulator's S3 and SSM. `pause()` stands for a disabled rule or a missing CloudTrail
// trail: events produced meanwhile are lost, which is what the safety net is for.
import type { SQSBatchResponse } from "aws-lambda";
import { handleInput, type BatchSummary, type HandleDeps } from "@scrape-reconciler/events";
import { EventBridgeEmitter, type RawEvent, type Simulator } from "@scrape-reconciler/sim";
import { matchesPattern } from "../../../infra/event-match";
import { cloudMapApiCallPattern, ecsTaskStateChangePattern } from "../../../infra/patterns";
import { BatchingQueue, type BatchInfo, type QueueOptions } from "./queue";

const RULES = [ecsTaskStateChangePattern(), cloudMapApiCallPattern()];

/** True when a deployed rule would send the event to the queue. */
export function matchesRules(event: unknown): boolean {
  return RULES.some((p) => matchesPattern(p, event));
}

export interface BatchReport {
  seq: number;
  /** Events in the batch, by source: ECS task changes and Cloud Map API calls. */
  ecs: number;
  cloudMap: number;
  redelivered: number;
  startedAt: number;
  durationMs: number;
  summary?: BatchSummary;
  /** Records the handler reported failed (SQS delivers them again). */
  failed: number;
  /** The handler threw: the whole batch comes back. */
  error?: string;
}

export interface PipelineHooks {
  onBatch?: (r: BatchReport) => void;
  /** Events that passed the rules / were dropped by them / were lost while paused. */
  onRouted?: (passed: RawEvent[], dropped: RawEvent[], lost: RawEvent[]) => void;
}

export interface PipelineOptions extends Partial<QueueOptions> {
  /** How often EventBridge hands over events (ms). */
  pollMs?: number;
  duplicateRate?: number;
  seed?: string;
}

export const DEMO_QUEUE: QueueOptions = { batchWindowMs: 1000, batchSize: 100, maxConcurrency: 2, visibilityTimeoutMs: 3000, maxReceiveCount: 5 };

export class EventPipeline {
  readonly emitter: EventBridgeEmitter;
  readonly queue: BatchingQueue;
  private timer: NodeJS.Timeout | undefined;
  private paused: string | undefined;
  /** Events lost while paused. */
  lost = 0;
  private lostAtPause = 0;
  routed = 0;
  dropped = 0;
  readonly reports: BatchReport[] = [];

  constructor(
    sim: Simulator,
    private readonly deps: HandleDeps,
    private readonly hooks: PipelineHooks = {},
    private readonly options: PipelineOptions = {},
  ) {
    this.emitter = new EventBridgeEmitter(sim.state, { duplicateRate: options.duplicateRate ?? 0.1, shuffle: true, seed: options.seed ?? "demo" });
    const q: QueueOptions = {
      batchWindowMs: options.batchWindowMs ?? DEMO_QUEUE.batchWindowMs,
      batchSize: options.batchSize ?? DEMO_QUEUE.batchSize,
      maxConcurrency: options.maxConcurrency ?? DEMO_QUEUE.maxConcurrency,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? DEMO_QUEUE.visibilityTimeoutMs,
      maxReceiveCount: options.maxReceiveCount ?? DEMO_QUEUE.maxReceiveCount,
    };
    this.queue = new BatchingQueue((event, info) => this.handle(event, info), q);
  }

  start(): void {
    this.timer ??= setInterval(() => this.poll(), this.options.pollMs ?? 100);
  }

  /** Events from now on are lost (a disabled rule) until resume(). */
  pause(reason: string): void {
    this.poll();
    this.paused = reason;
    this.lostAtPause = this.lost;
  }

  /** Ends a pause; returns how many events were lost during it. */
  resume(): number {
    this.poll();
    this.paused = undefined;
    return this.lost - this.lostAtPause;
  }

  /** Hands over what EventBridge has now. */
  poll(): void {
    const events = this.emitter.drain();
    if (events.length === 0) return;
    if (this.paused !== undefined) {
      this.lost += events.length;
      this.hooks.onRouted?.([], [], events);
      return;
    }
    const passed: RawEvent[] = [];
    const dropped: RawEvent[] = [];
    for (const e of events) (matchesRules(e) ? passed : dropped).push(e);
    this.routed += passed.length;
    this.dropped += dropped.length;
    this.hooks.onRouted?.(passed, dropped, []);
    this.queue.send(passed);
  }

  private async handle(event: Parameters<typeof handleInput>[1], info: BatchInfo): Promise<SQSBatchResponse | void> {
    const startedAt = Date.now();
    const sources = info.messages.map((m) => (JSON.parse(m.body) as { source?: string }).source);
    const report: BatchReport = {
      seq: info.seq,
      ecs: sources.filter((s) => s === "aws.ecs").length,
      cloudMap: sources.filter((s) => s === "aws.servicediscovery").length,
      redelivered: info.redelivered,
      startedAt,
      durationMs: 0,
      failed: 0,
    };
    try {
      const r = await handleInput(this.deps, event);
      if (r.kind !== "batch") throw new Error(`unexpected ${r.kind} result for an SQS batch`);
      report.summary = r.summary;
      report.failed = r.response.batchItemFailures.length;
      return r.response;
    } catch (err) {
      report.error = (err as Error).message.split("\n")[0];
      throw err;
    } finally {
      report.durationMs = Date.now() - startedAt;
      this.reports.push(report);
      this.hooks.onBatch?.(report);
    }
  }

  /** Nothing left in EventBridge, the queue or the handler. */
  get idle(): boolean {
    return this.queue.idle;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.emitter.close();
    await this.queue.close();
  }
}
