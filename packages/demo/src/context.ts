// What every act of the demo script shares: the running stack, the narrator, the printer,
// an abortable sleep (Ctrl-C and --duration end the demo mid-act), waiting until the
// pipeline has settled (the deployed queue empty and no batch running, sidecar file and
// Prometheus caught up with the document), the act's delay summary, and the choice of
// services to act on.
import type { Scenario } from "@scrape-reconciler/sim";
import type { Narrator } from "./narrator";
import { delaySummary, type Printer } from "./output";
import type { DemoStack } from "./stack";
import { delays } from "./tracker";

export interface ActContext {
  p: Printer;
  s: DemoStack;
  n: Narrator;
  signal: AbortSignal;
}

export class DemoAborted extends Error {
  override name = "DemoAborted";
}

export function sleep(ctx: Pick<ActContext, "signal">, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) return reject(new DemoAborted(String(ctx.signal.reason)));
    const t = setTimeout(() => {
      ctx.signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new DemoAborted(String(ctx.signal.reason)));
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Polls `check` every 100 ms until it is true (false after the timeout). */
export async function until(ctx: ActContext, check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(ctx, 100);
  }
  return true;
}

/**
 * Waits until nothing is moving: no task step pending, the stack's queue empty and no batch
 * running (each reported), the sidecar's file equal to the document and Prometheus' active
 * targets equal to the file. The deployed batching window alone keeps a change 5 s in the queue.
 */
export async function settle(ctx: ActContext, timeoutMs = 45_000): Promise<boolean> {
  const { s, n } = ctx;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    s.pipeline.poll();
    await n.flush();
    const quiet = s.pipeline.idle && s.lifecycle.pending === 0;
    const fileOk = s.tracker.same("document", "file");
    const promOk = !s.prometheus || s.tracker.same("file", "prometheus");
    if (quiet && fileOk && promOk) return true;
    if (Date.now() > deadline) {
      ctx.p.line(
        "demo",
        ctx.p.dim(
          `(still settling after ${timeoutMs / 1000} s: queue ${quiet ? "idle" : "busy"}, file ${fileOk ? "ok" : "behind"}, Prometheus ${promOk ? "ok" : "behind"})`,
        ),
      );
      return false;
    }
    await sleep(ctx, 200);
  }
}

/** "frontend 3 · api 4 · ..." from the document's current targets. */
export function servicesLine(ctx: ActContext): string {
  const counts = new Map<string, number>();
  for (const info of ctx.s.tracker.targets("document").values()) counts.set(info.service ?? "?", (counts.get(info.service ?? "?") ?? 0) + 1);
  return [...counts.entries()].map(([svc, n]) => `${svc} ${n}`).join(" · ");
}

/** The act's result: what changed since `since` and how long each stage took. */
export function actResult(ctx: ActContext, since: number, what = "the task's RUNNING (or first sign of stopping)"): void {
  const changes = ctx.s.tracker.changesSince(since);
  const added = changes.filter((c) => c.kind === "add").length;
  const removed = changes.length - added;
  const lines = [`${added} target(s) added, ${removed} removed. Delay from ${what} to:`];
  lines.push(`   the published document   ${delaySummary(delays(changes, "document"))}`);
  lines.push(`   the sidecar's file        ${delaySummary(delays(changes, "file"))}   (our pipeline ends here)`);
  if (ctx.s.prometheus)
    lines.push(`   Prometheus' targets       ${delaySummary(delays(changes, "prometheus"))}   (Prometheus applies file_sd changes in 5 s batches)`);
  lines.push(`targets per service: ${servicesLine(ctx)}`);
  ctx.p.result(lines.join("\n"));
}

type ServiceSpec = Scenario["services"][number];

const tagged = (svc: ServiceSpec) =>
  svc.namespace !== undefined && /^\d+(,\d+)*$/.test(svc.tags.METRICS_PORT ?? "") && Number(svc.tags.METRICS_PORT!.split(",")[0]) <= 65535;

/** The services the script acts on, chosen from the scenario by what they are. */
export function pickServices(scenario: Scenario): { deploy: ServiceSpec; scale: ServiceSpec; crash: ServiceSpec; lost: ServiceSpec } {
  const candidates = scenario.services.filter(tagged);
  if (candidates.length === 0) throw new Error("the scenario has no service with a valid METRICS_PORT tag in a Cloud Map namespace");
  const first = (pred: (s: ServiceSpec) => boolean, avoid: ServiceSpec[] = []) =>
    candidates.find((s) => pred(s) && !avoid.includes(s)) ?? candidates.find((s) => !avoid.includes(s)) ?? candidates[0]!;
  const fargate = (s: ServiceSpec) => s.launchType === "FARGATE";
  const deploy = first((s) => fargate(s) && s.desiredCount >= 2 && !s.tags.ECS_METRICS_PORT);
  const scale = first((s) => (s.taskDefinition?.containers ?? []).some((c) => c.name.includes("statsd")), [deploy]);
  const crash = first((s) => fargate(s) && s.tags.ECS_METRICS_PORT !== undefined, [deploy, scale]);
  const lost = first((s) => s.launchType === "EC2", [deploy, scale, crash]);
  return { deploy, scale, crash, lost };
}
