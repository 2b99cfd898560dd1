// Follows every target through the pipeline's stages and times it: the moment its task
// reached RUNNING (or showed the first sign of stopping) in the simulated account, then
// the moment it appeared in (or left) the published document, the sidecar's file, and
// Prometheus' active targets. Each stage reports its whole current set of targets; the
// tracker diffs it against the last one. Targets are keyed as the document's diff keys
// them (scheme://address/path), which is also Prometheus' scrape URL.
import { targetKey, type TargetDocument } from "@scrape-reconciler/core";
import { TASK_STATUSES, type Simulator } from "@scrape-reconciler/sim";

export type TrackedStage = "document" | "file" | "prometheus";

export interface TargetInfo {
  taskid?: string;
  service?: string;
}

export interface TrackedChange {
  kind: "add" | "remove";
  key: string;
  service?: string;
  /** When it happened in AWS (or when the first reconcile started, for targets that were already there). */
  t0: number;
  at: Partial<Record<TrackedStage, number>>;
}

export interface StageDiff {
  added: string[];
  removed: string[];
  size: number;
  /** Targets per service now. */
  services: Map<string, TargetInfo[]>;
}

const rank = (s: string | undefined) => TASK_STATUSES.indexOf(s as (typeof TASK_STATUSES)[number]);
const DEACTIVATING = rank("DEACTIVATING");

/** The targets of a document with the labels the tracker needs. */
export function documentTargets(doc: TargetDocument): Map<string, TargetInfo> {
  const out = new Map<string, TargetInfo>();
  for (const g of doc) {
    for (const t of g.targets) {
      const labels = g.labels ?? {};
      out.set(targetKey(t, labels), { ...(labels.taskid ? { taskid: labels.taskid } : {}), ...(labels.service ? { service: labels.service } : {}) });
    }
  }
  return out;
}

export class DelayTracker {
  private readonly runningAt = new Map<string, number>();
  private readonly stoppingAt = new Map<string, number>();
  private readonly current: Record<TrackedStage, Map<string, TargetInfo>> = { document: new Map(), file: new Map(), prometheus: new Map() };
  private readonly open = new Map<string, TrackedChange>();
  readonly changes: TrackedChange[] = [];
  private initialAt: number | undefined;
  private readonly unsubscribe: () => void;

  constructor(sim: Simulator) {
    this.unsubscribe = sim.state.onChange((c) => {
      const now = Date.now();
      if (c.lastStatus === "RUNNING" && c.task.desiredStatus === "RUNNING" && !this.runningAt.has(c.taskId)) this.runningAt.set(c.taskId, now);
      if ((c.task.desiredStatus === "STOPPED" || rank(c.lastStatus) >= DEACTIVATING) && !this.stoppingAt.has(c.taskId)) this.stoppingAt.set(c.taskId, now);
    });
  }

  /** Targets already running before any event get this start time (the first full reconcile). */
  markInitial(at = Date.now()): void {
    this.initialAt ??= at;
  }

  /** When a task reached RUNNING, as seen here. */
  runningTime(taskId: string): number | undefined {
    return this.runningAt.get(taskId);
  }

  /** Records the whole current set of a stage at time `at`; returns what changed. */
  observe(stage: TrackedStage, targets: Map<string, TargetInfo>, at = Date.now()): StageDiff {
    const before = this.current[stage];
    const added = [...targets.keys()].filter((k) => !before.has(k)).sort();
    const removed = [...before.keys()].filter((k) => !targets.has(k)).sort();
    for (const key of added) this.mark("add", key, targets.get(key)!, stage, at);
    for (const key of removed) this.mark("remove", key, before.get(key)!, stage, at);
    this.current[stage] = new Map(targets);
    const services = new Map<string, TargetInfo[]>();
    for (const info of targets.values()) {
      const name = info.service ?? "(no service)";
      services.set(name, [...(services.get(name) ?? []), info]);
    }
    return { added, removed, size: targets.size, services };
  }

  private mark(kind: "add" | "remove", key: string, info: TargetInfo, stage: TrackedStage, at: number): void {
    const id = `${kind}:${key}`;
    let change = this.open.get(id);
    if (!change || change.at[stage] !== undefined) {
      // A new change starts at the first stage that sees it.
      const t0 =
        kind === "add" ? (info.taskid && this.runningAt.get(info.taskid)) || this.initialAt : info.taskid ? this.stoppingAt.get(info.taskid) : undefined;
      if (t0 === undefined) return;
      change = { kind, key, t0, at: {}, ...(info.service ? { service: info.service } : {}) };
      this.open.set(id, change);
      this.open.delete(`${kind === "add" ? "remove" : "add"}:${key}`);
      this.changes.push(change);
    }
    change.at[stage] = at;
  }

  /** The current set of a stage. */
  targets(stage: TrackedStage): Map<string, TargetInfo> {
    return this.current[stage];
  }

  /** True when the two stages hold the same targets. */
  same(a: TrackedStage, b: TrackedStage): boolean {
    const x = this.current[a];
    const y = this.current[b];
    return x.size === y.size && [...x.keys()].every((k) => y.has(k));
  }

  /** Changes whose AWS-side moment is at or after `since`. */
  changesSince(since: number): TrackedChange[] {
    return this.changes.filter((c) => c.t0 >= since);
  }

  close(): void {
    this.unsubscribe();
  }
}

/** Delays (ms) from t0 to a stage, for the changes that reached it. */
export function delays(changes: TrackedChange[], stage: TrackedStage, kind?: "add" | "remove"): number[] {
  return changes.filter((c) => (kind ? c.kind === kind : true) && c.at[stage] !== undefined).map((c) => c.at[stage]! - c.t0);
}
