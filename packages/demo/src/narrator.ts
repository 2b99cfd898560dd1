// Tells what happens, live, one line per step of the pipeline: tasks starting and stopping
// in the account, event batches the deployed reconcile function handled (as the emulation
// recorded them and the function logged them) and the document generation they
// published, the functions' warnings and errors, the sidecar's file catching up, and
// Prometheus' active targets changing. It also feeds the delay tracker with each stage's
// current targets and keeps the list of published generations (the document never shrinks).
import { type PublishedTargets, readPublishedTargets } from "@scrape-reconciler/store";
import { parseDocument } from "@scrape-reconciler/core";
import type { SyncOutcome } from "@scrape-reconciler/sidecar";
import type { TaskChange } from "@scrape-reconciler/sim";
import { seconds, type Printer } from "./output";
import type { InvocationRecord } from "./function-logs";
import type { BatchReport } from "./pipeline";
import { activeTargets } from "./prometheus";
import { FILE_SD_JOB, type DemoStack, type StackHooks } from "./stack";
import { documentTargets, type StageDiff, type TargetInfo } from "./tracker";

export interface Generation {
  generation: number;
  targets: number;
  at: number;
  by: string;
}

const short = (id: string) => `${id.slice(0, 8)}…`;

/** "frontend 127.20.0.31:8080" from a target key and its service. */
function targetLabel(key: string, info: TargetInfo | undefined): string {
  const address = key.replace(/^\w+:\/\//, "").replace(/\/metrics$/, "");
  return `${info?.service ?? "?"} ${address}`;
}

export function describeDiff(diff: StageDiff, before: Map<string, TargetInfo>, now: Map<string, TargetInfo>, limit = 3): string {
  const parts = [
    ...diff.added.slice(0, limit).map((k) => `+${targetLabel(k, now.get(k))}`),
    ...diff.removed.slice(0, limit).map((k) => `-${targetLabel(k, before.get(k))}`),
  ];
  const more = diff.added.length + diff.removed.length - parts.length;
  return parts.length === 0 ? "" : ` (${parts.join(", ")}${more > 0 ? `, ${more} more` : ""})`;
}

export class Narrator {
  private stack: DemoStack | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly publishedAt = new Map<number, number>();
  readonly generations: Generation[] = [];
  private promTimer: NodeJS.Timeout | undefined;
  private promBusy = false;
  private syncErrors = 0;
  private firstSync = true;
  private unsubscribe: (() => void) | undefined;
  promHealth: { up: number; down: number; unknown: number } = { up: 0, down: 0, unknown: 0 };

  constructor(
    private readonly p: Printer,
    /** How often Prometheus' active targets are read (ms). */
    private readonly promPollMs = 500,
  ) {}

  hooks(): StackHooks {
    return {
      onBatch: (r) => this.enqueue(() => this.batch(r)),
      onInvocation: (r) => this.warnings(r),
    };
  }

  attach(stack: DemoStack): void {
    this.stack = stack;
    this.unsubscribe = stack.sim.state.onChange((c) => this.task(c));
    if (stack.prometheus) this.promTimer = setInterval(() => void this.pollPrometheus(), this.promPollMs);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err) => this.p.line("demo", this.p.red(`narrator: ${(err as Error).message}`)));
  }

  /** Waits for pending document reads. */
  flush(): Promise<void> {
    return this.chain;
  }

  private task(c: TaskChange): void {
    const svc = c.serviceName ?? "?";
    if (c.lastStatus === "RUNNING" && c.previousStatus !== "RUNNING" && c.task.desiredStatus === "RUNNING") {
      const rec = this.stack!.sim.state.taskRecord(c.taskId);
      const rev = c.task.taskDefinitionArn?.split("/").pop();
      this.p.line("aws", `${svc} task ${short(c.taskId)} RUNNING at ${rec.ip} (${rev})`);
    } else if (c.lastStatus === "DEACTIVATING" || (c.lastStatus === "STOPPED" && c.previousStatus === "RUNNING")) {
      this.p.line("aws", `${svc} task ${short(c.taskId)} stopping (${c.lastStatus}): ${c.task.stoppedReason ?? ""}`);
    }
  }

  /**
   * Reads the published targets (the single document, or the shard index's once event
   * batches moved it past the document) and records them as the "document" stage.
   */
  async refreshDocument(by: string, publishedAt = Date.now()): Promise<{ doc?: PublishedTargets; diff?: StageDiff; before: Map<string, TargetInfo> }> {
    const s = this.stack!;
    const before = s.tracker.targets("document");
    const doc = await readPublishedTargets({ s3: s.s3, bucket: s.config.bucket, key: s.config.key });
    if (!doc) return { before };
    const last = this.generations[this.generations.length - 1];
    if (!last || doc.generation > last.generation) {
      this.generations.push({ generation: doc.generation, targets: documentTargets(doc.document).size, at: publishedAt, by });
      this.publishedAt.set(doc.generation, publishedAt);
    }
    const diff = s.tracker.observe("document", documentTargets(doc.document), publishedAt);
    return { doc, diff, before };
  }

  /** The reconcile function's warnings and errors, once per message and invocation (with a count). The acts print the audit's. */
  private warnings(r: InvocationRecord): void {
    const s = this.stack;
    if (!s || r.fn !== s.reconcileFn) return;
    const seen = new Map<string, number>();
    for (const rec of r.records) {
      if (rec.level !== "WARN" && rec.level !== "ERROR") continue;
      const reason = typeof rec.reason === "string" ? `: ${rec.reason}` : "";
      const text = `${rec.level.toLowerCase()}: ${rec.message}${reason}`;
      seen.set(text, (seen.get(text) ?? 0) + 1);
    }
    for (const [text, n] of seen) this.p.line("reconcile", this.p.dim(`${text}${n > 1 ? ` (x${n})` : ""}`), r.endedAt);
  }

  private async batch(r: BatchReport): Promise<void> {
    const events = r.ecs + r.cloudMap;
    const again = r.redelivered > 0 ? `, ${r.redelivered} delivered again` : "";
    const parts = [
      ...(events > 0 || !r.schedule ? [`${events} events (${r.ecs} ECS, ${r.cloudMap} Cloud Map${again})`] : []),
      ...(r.schedule ? [`the schedule's event${events > 0 ? "" : again}`] : []),
    ];
    const head = `batch ${r.seq} · ${parts.join(" + ")}`;
    const cold = r.initDurationMs !== undefined ? ` · cold start (INIT ${r.initDurationMs} ms)` : "";
    const at = r.startedAt + r.durationMs;
    if (r.error || !r.summary) {
      this.p.line(
        "reconcile",
        this.p.red(
          `batch ${r.seq} · ${r.messages} messages: the invocation failed (${r.error ?? "no summary"}) → SQS delivers them again after the visibility timeout${cold}`,
        ),
        at,
      );
      return;
    }
    const sum = r.summary;
    const dup = (sum.outcomes.duplicate ?? 0) + (sum.outcomes.stale ?? 0);
    const full = sum.fullReconcile;
    const fullText = !full
      ? ""
      : "error" in full
        ? ` · ${this.p.red(`full reconcile (${full.trigger}) failed: ${full.error} → the events alone applied; the schedule's record comes back`)}`
        : ` · full reconcile (${full.trigger}): drift ${full.drift}${full.failed ? `, ${this.p.red(`${full.failed} failed parts kept their last targets`)}` : ""}, ${full.durationMs} ms`;
    const tail = `${sum.awsReads} AWS reads · ${r.durationMs} ms${cold}${dup ? ` · ${dup} duplicate/stale ignored` : ""}${r.failed ? ` · ${r.failed} failed, delivered again later` : ""}${fullText}`;
    if (!sum.documentWritten) {
      const why = sum.withheld ? `nothing published: ${sum.withheld}` : "no target changed, nothing published";
      this.p.line("reconcile", `${head} → ${why} · ${tail}`, at);
      return;
    }
    const { diff, before } = await this.refreshDocument(r.schedule ? `full reconcile (the schedule, batch ${r.seq})` : `event batch ${r.seq}`, at);
    const now = this.stack!.tracker.targets("document");
    const change = diff ? `+${diff.added.length} -${diff.removed.length} = ${diff.size} targets${describeDiff(diff, before, now)}` : "";
    this.p.line("reconcile", `${head} → ${this.p.green(`generation ${sum.generation}`)}: ${change} · ${tail}`, at);
  }

  /** The sidecar's sync outcomes: file updates and error streaks. */
  onSync = (o: SyncOutcome, source?: string): void => {
    const s = this.stack;
    if (!s) return;
    if (source !== undefined && s.second && source === s.second.accountId) {
      // The second account: one line per new file (its act prints the rest).
      if (o.result === "changed") this.p.line("sidecar", `account ${source}: file → generation ${o.generation ?? "?"} (${o.targets} targets)`);
      return;
    }
    if (o.result === "error") {
      this.syncErrors += 1;
      if (this.syncErrors > 1) return;
      if (o.reason === "not_found" && !s.sidecar.syncer.applied)
        this.p.line("sidecar", this.p.dim("nothing published yet (no manifest in SSM): waiting for the first document"));
      else this.p.line("sidecar", this.p.red(`sync error (${o.reason}): the file stays as it is, retrying with backoff`));
      return;
    }
    if (this.syncErrors > 0 && s.sidecar.syncer.applied && !(o.result === "changed" && this.firstSync)) {
      this.p.line("sidecar", `sync works again after ${this.syncErrors} failed attempt(s); the file was never touched meanwhile`);
      this.syncErrors = 0;
    }
    this.syncErrors = 0;
    if (o.result !== "changed") return;
    this.firstSync = false;
    const applied = s.sidecar.syncer.applied;
    if (!applied) return;
    const now = Date.now();
    s.tracker.observe("file", documentTargets(parseDocument(applied.bytes.toString("utf8"))), now);
    const published = o.generation !== undefined ? this.publishedAt.get(o.generation) : undefined;
    const after = published !== undefined ? `, ${seconds(now - published)} after it was published` : "";
    this.p.line("sidecar", `file → generation ${o.generation ?? "?"} (${o.targets} targets)${after}`, now);
  };

  private async pollPrometheus(): Promise<void> {
    const s = this.stack;
    if (!s?.prometheus || this.promBusy) return;
    this.promBusy = true;
    try {
      const active = await activeTargets(s.prometheus.url, FILE_SD_JOB);
      const now = Date.now();
      const targets = new Map<string, TargetInfo>();
      const health = { up: 0, down: 0, unknown: 0 };
      for (const t of active) {
        // The first account's targets only: the second account's have their own act.
        if (s.second && t.labels.account_id === s.second.accountId) continue;
        targets.set(t.scrapeUrl, { ...(t.labels.taskid ? { taskid: t.labels.taskid } : {}), ...(t.labels.service ? { service: t.labels.service } : {}) });
        health[t.health] += 1;
      }
      this.promHealth = health;
      const before = s.tracker.targets("prometheus");
      const diff = s.tracker.observe("prometheus", targets, now);
      if (diff.added.length + diff.removed.length > 0) {
        this.p.line("prometheus", `active targets +${diff.added.length} -${diff.removed.length} = ${diff.size}${describeDiff(diff, before, targets)}`, now);
      }
    } catch {
      // Prometheus busy or stopping: the next poll tries again.
    } finally {
      this.promBusy = false;
    }
  }

  close(): void {
    if (this.promTimer) clearInterval(this.promTimer);
    this.promTimer = undefined;
    this.unsubscribe?.();
  }
}
