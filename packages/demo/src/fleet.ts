// Real /metrics servers for the simulated tasks, so that Prometheus has something real to
// scrape: one node:http server on every task endpoint (the ENI IP and container port for
// awsvpc, the container instance's IP and host port for bridge/host; the scenario uses
// 127.x addresses, which Linux answers on without setup), opened when a task reaches
// ACTIVATING and closed when its containers stop (STOPPING or later). Hand-registered
// Cloud Map instances get one too. An endpoint that cannot be opened (a port below 1024
// without root, an address in use) is counted and skipped.
import { createServer, type Server } from "node:http";
import type { Simulator, TaskChange } from "@scrape-reconciler/sim";
import { TASK_STATUSES } from "@scrape-reconciler/sim";
import { flavorOf, metricsPage, type Flavor } from "./metrics-page";

export interface Endpoint {
  ip: string;
  port: number;
  container: string;
}

interface Open {
  server: Server;
  owner: string;
}

const rank = (s: string) => TASK_STATUSES.indexOf(s as (typeof TASK_STATUSES)[number]);
const ACTIVATING = rank("ACTIVATING");
const STOPPING = rank("STOPPING");

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The endpoints a task listens on, as the simulator placed it. */
export function taskEndpoints(sim: Simulator, taskId: string): Endpoint[] {
  const rec = sim.state.taskRecord(taskId);
  if (rec.networkMode !== "awsvpc") return rec.bindings.map((b) => ({ ip: rec.ip, port: b.hostPort, container: b.containerName }));
  const td = sim.state.ecs.taskDefinition(rec.task.taskDefinitionArn!);
  return (td.containerDefinitions ?? []).flatMap((d) => (d.portMappings ?? []).map((p) => ({ ip: rec.ip, port: p.containerPort!, container: d.name! })));
}

export class MetricsFleet {
  private readonly open = new Map<string, Open>();
  /** Per ip:port, so that a close and a re-open of the same address never overlap. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly serving = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  /** Endpoints that could not be opened: "ip:port (reason)". */
  readonly failures: string[] = [];
  scrapes = 0;

  constructor(private readonly sim: Simulator) {}

  /** Serves every task already past ACTIVATING and the hand-registered instances, then follows changes. */
  async start(): Promise<void> {
    for (const t of this.sim.state.tasks({})) {
      const r = rank(t.lastStatus ?? "");
      if (r >= ACTIVATING && r < STOPPING) this.openTask(t.taskArn!.split("/").pop()!);
    }
    for (const svc of this.sim.scenario.extraCloudMapServices) {
      for (const inst of svc.instances) {
        const ip = inst.attributes.AWS_INSTANCE_IPV4;
        const port = Number(inst.attributes.AWS_INSTANCE_PORT);
        if (ip && port) this.enqueue({ ip, port, container: svc.name }, `cloudmap:${inst.id}`, "open");
      }
    }
    this.unsubscribe = this.sim.state.onChange((c) => this.onChange(c));
    await this.settled();
  }

  private onChange(c: TaskChange): void {
    const r = rank(c.lastStatus);
    if (r >= ACTIVATING && r < STOPPING && !this.serving.has(c.taskId)) this.openTask(c.taskId);
    else if (r >= STOPPING && this.serving.has(c.taskId)) this.closeTask(c.taskId);
  }

  /** Stops a task's servers now (its process died), before the simulator reports it. */
  closeTask(taskId: string): void {
    if (!this.serving.delete(taskId)) return;
    for (const e of taskEndpoints(this.sim, taskId)) this.enqueue(e, taskId, "close");
  }

  private openTask(taskId: string): void {
    this.serving.add(taskId);
    for (const e of taskEndpoints(this.sim, taskId)) this.enqueue(e, taskId, "open");
  }

  private enqueue(e: Endpoint, owner: string, op: "open" | "close"): void {
    const key = `${e.ip}:${e.port}`;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(() => (op === "open" ? this.listen(e, key, owner) : this.stop(key, owner))).catch(() => undefined);
    this.chains.set(key, next);
  }

  private async listen(e: Endpoint, key: string, owner: string): Promise<void> {
    if (this.closed) return;
    const current = this.open.get(key);
    if (current) await this.stop(key, current.owner);
    const flavor: Flavor = flavorOf(e.container);
    const started = Date.now();
    const seed = hash(`${owner}/${key}`);
    let scrapes = 0;
    const server = createServer((req, res) => {
      if (req.method !== "GET") {
        res.writeHead(405).end();
        return;
      }
      scrapes += 1;
      this.scrapes += 1;
      const body = metricsPage({
        flavor,
        scrapes,
        seed,
        uptimeSeconds: (Date.now() - started) / 1000 + (seed % 3600),
        startedAtSeconds: Math.floor(started / 1000),
      });
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }).end(body);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(e.port, e.ip, () => resolve());
      });
      this.open.set(key, { server, owner });
    } catch (err) {
      this.failures.push(`${key} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  private async stop(key: string, owner: string): Promise<void> {
    const o = this.open.get(key);
    if (!o || o.owner !== owner) return;
    this.open.delete(key);
    await new Promise<void>((resolve) => {
      o.server.close(() => resolve());
      o.server.closeAllConnections();
    });
  }

  /** Endpoints listening now. */
  get size(): number {
    return this.open.size;
  }

  /** Resolves when every pending open/close is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    await this.settled();
    await Promise.all([...this.open.entries()].map(([key, o]) => this.stop(key, o.owner)));
  }
}
