// Task lifecycles at a human pace, as ECS runs them: a launched task walks PROVISIONING ->
// PENDING -> ACTIVATING -> RUNNING a few hundred ms apart; a retired task is marked for
// stopping (DEACTIVATING, desiredStatus STOPPED) and keeps serving through a drain period
// before its containers stop; a crashed task dies at once (its metrics servers close) and
// reaches STOPPED in one go. Rolling deployments register a new task-definition revision
// first. Every step is a simulator change, so it becomes EventBridge events.
import type { Simulator, TaskStatus } from "@scrape-reconciler/sim";
import type { MetricsFleet } from "./fleet";

export interface LifecycleOptions {
  /** Between two start-up steps (ms). */
  stepMs?: number;
  /** From DEACTIVATING to STOPPING: the load balancer's deregistration delay, shortened (ms). */
  drainMs?: number;
}

const START: TaskStatus[] = ["PENDING", "ACTIVATING", "RUNNING"];
const STOP: TaskStatus[] = ["STOPPING", "DEPROVISIONING", "STOPPED"];

export class Lifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stepMs: number;
  private readonly drainMs: number;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly fleet: MetricsFleet | undefined,
    opts: LifecycleOptions = {},
  ) {
    this.stepMs = opts.stepMs ?? 400;
    this.drainMs = opts.drainMs ?? 6000;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        fn();
      } finally {
        if (this.timers.size === 0) for (const w of this.waiters.splice(0)) w();
      }
    }, ms);
    this.timers.add(t);
  }

  /** Starts one task of a service; returns its id. It reaches RUNNING about 3 steps later. */
  launch(cluster: string, service: string): string {
    const task = this.sim.state.startTask(cluster, service, { until: "PROVISIONING" });
    const id = task.taskArn!.split("/").pop()!;
    START.forEach((status, i) => {
      this.later(this.stepMs * (i + 1), () => this.sim.state.setTaskStatus(id, status));
    });
    return id;
  }

  /** Stops a task gracefully: deregistered at once, containers stop after the drain period. */
  retire(taskId: string, reason: string): void {
    this.sim.state.setTaskStatus(taskId, "DEACTIVATING", reason);
    STOP.forEach((status, i) => {
      this.later(this.drainMs + this.stepMs * i, () => this.sim.state.setTaskStatus(taskId, status, reason));
    });
  }

  /** The essential container exits: the task is gone at once. */
  crash(taskId: string, reason = "Essential container in task exited"): void {
    this.fleet?.closeTask(taskId);
    this.sim.state.stopTask(taskId, reason);
  }

  /** Registers the next revision of the service's task definition (same containers) and makes it current. */
  newRevision(cluster: string, service: string): string {
    const svc = this.sim.state.ecs.service(cluster, service);
    const current = this.sim.state.ecs.taskDefinition(svc.taskDefinitionArn);
    const td = this.sim.state.ecs.registerTaskDefinition({
      family: current.family!,
      revision: Math.max(0, ...[...this.sim.state.ecs.taskDefinitions.values()].filter((t) => t.family === current.family).map((t) => t.revision ?? 0)) + 1,
      networkMode: svc.networkMode,
      launchType: svc.launchType,
      containers: (current.containerDefinitions ?? []).map((d) => ({
        name: d.name!,
        image: d.image!,
        ports: (d.portMappings ?? []).map((p) => p.containerPort!),
      })),
    });
    svc.taskDefinitionArn = td.taskDefinitionArn!;
    return `${td.family}:${td.revision}`;
  }

  /** Task ids of a service that are running and not being stopped. */
  live(cluster: string, service: string): string[] {
    return this.sim.state
      .tasks({ cluster, service, status: ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"], desiredStatus: "RUNNING" })
      .map((t) => t.taskArn!.split("/").pop()!);
  }

  /** Steps still to come. */
  get pending(): number {
    return this.timers.size;
  }

  /** Resolves when no step is left (at once when none is). */
  idle(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels every step still to come. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}
