// The event path as deployed, fed by the simulated account: what the account emits on
// EventBridge (at least once: a few duplicated, shuffled) is put on the emulated stack's
// bus, whose own rules route it to its queue; the stack's event source hands batches to
// the reconcile function (its bundle, on Node 24). `pause()` disables the stack's event
// rules (as a disabled rule or a stopped CloudTrail trail would): events meanwhile are
// lost, which is what the safety net is for. Each batch is reported from what the
// emulation recorded (its event source's batch records) and what the function logged
// ("events applied" and its summary), never by calling the handler here.
import type { BatchSummary } from "@scrape-reconciler/reconcile";
import type { BatchRecord, BusEvent, EmulatedStack } from "@scrape-reconciler/emulator";
import { EventBridgeEmitter, type Simulator } from "@scrape-reconciler/sim";
import { matchesPattern } from "../../../infra/event-match";
import type { InvocationRecord } from "./function-logs";

/** What the reconcile function logs for a batch: its summary with the malformed and ignored counts. */
export type AppliedSummary = BatchSummary & { malformed?: number; ignored?: number };

export interface BatchReport {
  /** 1, 2, ... in the order the event source recorded the batches. */
  seq: number;
  /** Messages the event source took (events, schedule records, anything the queue carried). */
  messages: number;
  /** Change events in the batch, by source: ECS task changes and Cloud Map API calls. */
  ecs: number;
  cloudMap: number;
  /** The batch held the schedule's event (the safety net's full reconcile). */
  schedule: boolean;
  redelivered: number;
  startedAt: number;
  durationMs: number;
  /** INIT of a new execution environment (a cold start), ms. */
  initDurationMs?: number;
  summary?: AppliedSummary;
  /** Records reported failed (or all of them, when the invocation failed): SQS delivers them again. */
  failed: number;
  /** The invocation failed (error, timeout, crash): the whole batch comes back. */
  error?: string;
  requestId: string;
}

export interface PipelineOptions {
  /** How often EventBridge hands over events (ms). */
  pollMs?: number;
  duplicateRate?: number;
  seed?: string;
}

export interface PipelineHooks {
  onBatch?: (r: BatchReport) => void;
}

/** The index of the batch record of invocation `requestId` (the event source records it), if any. */
export function pairBatch(requestId: string, records: readonly BatchRecord[]): number | undefined {
  const i = records.findIndex((r) => r.requestId === requestId);
  return i < 0 ? undefined : i;
}

export class PipelineError extends Error {
  override name = "PipelineError";
}

const CLOUD_MAP_KINDS = ["register", "deregister", "service"];

/** A batch report from the function's invocation and the event source's record of it. */
export function batchReport(seq: number, inv: InvocationRecord, record: BatchRecord | undefined): BatchReport {
  const summary = inv.records.find((r) => r.message === "events applied") as unknown as AppliedSummary | undefined;
  const byType = summary?.byType ?? {};
  const failedRun = record ? !record.ok : summary === undefined;
  return {
    seq,
    messages: record?.size ?? summary?.events ?? 0,
    ecs: byType.task ?? 0,
    cloudMap: CLOUD_MAP_KINDS.reduce((n, k) => n + (byType[k] ?? 0), 0),
    schedule: summary?.fullReconcile?.trigger === "schedule",
    redelivered: record?.redelivered ?? 0,
    startedAt: inv.startedAt,
    durationMs: Math.round(inv.durationMs),
    ...(inv.initDurationMs !== undefined ? { initDurationMs: Math.round(inv.initDurationMs) } : {}),
    ...(summary ? { summary } : {}),
    failed: record?.failed ?? 0,
    ...(failedRun ? { error: inv.error ?? inv.status ?? "the invocation failed" } : {}),
    requestId: inv.requestId,
  };
}

export class EventPipeline {
  readonly emitter: EventBridgeEmitter;
  private stack: EmulatedStack | undefined;
  private reconcileFn: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pairing = 0;
  private disabledRules: string[] = [];
  /** Events that matched one of the stack's rules / matched none / matched only a disabled one. */
  routed = 0;
  dropped = 0;
  lost = 0;
  private lostAtPause = 0;
  readonly reports: BatchReport[] = [];

  constructor(
    sim: Simulator,
    private readonly hooks: PipelineHooks = {},
    private readonly options: PipelineOptions = {},
  ) {
    this.emitter = new EventBridgeEmitter(sim.state, { duplicateRate: options.duplicateRate ?? 0.1, shuffle: true, seed: options.seed ?? "demo" });
  }

  /** The deployed stack the events go to, and its reconcile function (whose invocations are reported). */
  connect(stack: EmulatedStack, reconcileFn: string): void {
    this.stack = stack;
    this.reconcileFn = reconcileFn;
  }

  /** Starts handing the account's events to the bus. */
  start(): void {
    if (!this.stack) throw new PipelineError("the event pipeline has no deployed stack to send events to");
    this.timer ??= setInterval(() => this.poll(), this.options.pollMs ?? 100);
  }

  /** The stack's event rules (those with a pattern), by logical name. */
  eventRules(): string[] {
    return (this.stack?.model.rules ?? []).filter((r) => r.pattern !== undefined).map((r) => r.logicalName);
  }

  /** Disables the stack's event rules: events from now on are lost until resume(). Returns the rules. */
  pause(): string[] {
    const stack = this.need();
    this.poll();
    this.disabledRules = this.eventRules();
    for (const r of this.disabledRules) stack.setRuleEnabled(r, false);
    this.lostAtPause = this.lost;
    return [...this.disabledRules];
  }

  /** Enables the rules again; returns how many events were lost meanwhile. */
  resume(): number {
    const stack = this.need();
    this.poll();
    for (const r of this.disabledRules.splice(0)) stack.setRuleEnabled(r, true);
    return this.lost - this.lostAtPause;
  }

  /** PutEvents of what the account emitted since the last call. */
  poll(): void {
    const stack = this.stack;
    if (!stack || this.timer === undefined) return;
    const events = this.emitter.drain();
    if (events.length === 0) return;
    const matched = stack.put(events as BusEvent[]);
    const disabled = stack.model.rules.filter((r) => r.pattern !== undefined && !r.enabled);
    events.forEach((e, i) => {
      if ((matched[i] ?? []).length > 0) this.routed += 1;
      else if (disabled.some((r) => matchesPattern(r.pattern, e))) this.lost += 1;
      else this.dropped += 1;
    });
  }

  /** A finished invocation of a stack function (from its logs). Batches of the reconcile function become reports. */
  onInvocation(inv: InvocationRecord): void {
    if (inv.fn !== this.reconcileFn) return;
    // A synchronous invoke (the deploy's, an operator's) logs "reconciled": not a batch.
    if (inv.records.some((r) => r.message === "reconciled")) return;
    this.pairing += 1;
    // The event source records the batch right after the invocation's REPORT line, in the same tick.
    setImmediate(() => {
      this.pairing -= 1;
      const records = this.stack?.batches() ?? [];
      const i = pairBatch(inv.requestId, records);
      if (i === undefined && !inv.records.some((r) => r.message === "events applied")) return; // a failed synchronous invoke
      const report = batchReport(i === undefined ? this.reports.length + 1 : i + 1, inv, i === undefined ? undefined : records[i]);
      this.reports.push(report);
      this.hooks.onBatch?.(report);
    });
  }

  /** Nothing waiting in the queue, no batch running, every finished batch reported. */
  get idle(): boolean {
    const stack = this.stack;
    if (!stack) return true;
    const queues = stack.model.eventSourceMappings.map((m) => [...stack.queues.values()].find((q) => q.model.arn === m.queueArn));
    return this.pairing === 0 && queues.every((q) => !q || q.size() === 0) && stack.sources.every((s) => s.running === 0);
  }

  private need(): EmulatedStack {
    if (!this.stack) throw new PipelineError("the event pipeline has no deployed stack");
    return this.stack;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.emitter.close();
  }
}
