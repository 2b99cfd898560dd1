// Benchmark 2: delay from a task reaching RUNNING to its target in the sidecar's file and
// in a real Prometheus' active targets, over N tasks started one after the other (every
// ~0.5 s, single-endpoint services of the demo account), through the whole local pipeline
// the demo runs on the emulated stack: simulator -> EventBridge events -> the stack's
// rules -> its SQS queue and event source (the deployed batch size, batching window and
// concurrency, read from the synthesised stack: there is no window option any more) ->
// the reconcile function's bundle on Node 24 -> S3/SSM -> sidecar (polling SSM every
// --interval) -> file -> Prometheus file_sd.
// Baseline, the old sidecar polling every 30 s, is MODELLED, not run: its file delay is
// uniform in [0, 30 s] (the task's RUNNING falls anywhere in the poll period) plus one
// reload's run time, measured here on the same account with 20 ms per AWS call; its
// Prometheus delay adds, per event, the file -> Prometheus delay measured for ours (same
// Prometheus, same file_sd). Prometheus' own file_sd batching (~5 s) is in both.
//   npx tsx bench/event-to-target.ts [--events 200] [--interval 1s]
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEMO_SCENARIO, Narrator, percentiles, Printer, startStack, type DemoStack } from "@scrape-reconciler/demo";
import { simClientConfig } from "@scrape-reconciler/sim";
import { NAMESPACES_PARAMETER, OLD_INTERVAL_SECONDS, oldClients, oldReload } from "./old-sidecar";

const SCENARIO = DEMO_SCENARIO;

export interface EventToTargetOptions {
  events: number;
  /** The sidecar's --interval (how often it polls the manifest). */
  sidecarInterval: string;
  /** Mean gap between two task starts (ms). */
  gapMs?: number;
  /** Latency per AWS call for the old reload's run time (ms). */
  oldLatencyMs?: number;
}

type Stats = NonNullable<ReturnType<typeof percentiles>>;

export interface EventToTargetResult {
  options: EventToTargetOptions;
  /** The deployed event source's settings, read from the synthesised stack. */
  eventSource: { batchWindowSeconds: number; batchSize: number; maxConcurrency?: number };
  prometheus: boolean;
  /** Targets that reached each stage (of `events`). */
  reached: { document: number; file: number; prometheus: number };
  ours: { document?: Stats; file?: Stats; prometheus?: Stats; fileToPrometheus?: Stats };
  oldReloadMs: number;
  old: { file?: Stats; prometheus?: Stats };
}

/** A seeded PRNG (mulberry32), so the modelled baseline is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function oldReloadTime(stack: DemoStack, latencyMs: number): Promise<number> {
  const names = stack.sim.scenario.namespaces.map((n) => n.name).join(",");
  stack.sim.state.ssm.put({ name: NAMESPACES_PARAMETER, value: names, type: "String", tier: "Standard" });
  const clients = oldClients(simClientConfig(stack.sim));
  stack.sim.setLatency(latencyMs);
  try {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push((await oldReload(clients)).durationMs);
    return percentiles(runs)!.median;
  } finally {
    stack.sim.setLatency(0);
    clients.servicediscovery.destroy();
    clients.ssm.destroy();
  }
}

export async function runEventToTarget(o: EventToTargetOptions): Promise<EventToTargetResult> {
  const silent = new Printer({ out: () => undefined });
  const narrator = new Narrator(silent, 100);
  const stack = await startStack({
    scenario: SCENARIO,
    printer: silent,
    env: process.env,
    hooks: narrator.hooks(),
    onSync: narrator.onSync,
    pipeline: { duplicateRate: 0 },
    sidecarInterval: o.sidecarInterval,
  });
  try {
    narrator.attach(stack);
    const oldReloadMs = await oldReloadTime(stack, o.oldLatencyMs ?? 20);
    await stack.deploy(); // its deploy-time invocation publishes the first document
    await narrator.refreshDocument("the deploy's full reconcile");
    stack.pipeline.start();
    const services = stack.sim.scenario.services.filter(
      (s) =>
        s.launchType === "FARGATE" &&
        /^\d+$/.test(s.tags.METRICS_PORT ?? "") &&
        Number(s.tags.METRICS_PORT) <= 65535 &&
        !s.tags.ECS_METRICS_PORT &&
        s.namespace,
    );
    const rnd = random(42);
    const since = Date.now();
    const started: string[] = [];
    for (let i = 0; i < o.events; i++) {
      const svc = services[i % services.length]!;
      started.push(stack.lifecycle.launch(svc.cluster, svc.name));
      await sleep((o.gapMs ?? 500) * (0.5 + rnd()));
    }
    // wait until every task's target reached the last stage (or 60 s)
    const last = stack.prometheus ? "prometheus" : "file";
    const deadline = Date.now() + 60_000;
    const adds = () => stack.tracker.changesSince(since).filter((c) => c.kind === "add");
    while (Date.now() < deadline && adds().filter((c) => c.at[last] !== undefined).length < o.events) await sleep(200);
    const changes = adds();
    const d = (stage: "document" | "file" | "prometheus") => changes.filter((c) => c.at[stage] !== undefined).map((c) => c.at[stage]! - c.t0);
    const fileToProm = changes.filter((c) => c.at.file !== undefined && c.at.prometheus !== undefined).map((c) => c.at.prometheus! - c.at.file!);
    // the modelled old sidecar: uniform phase in the 30 s period + its run time (+ file_sd pickup)
    const oldFile = changes.map(() => rnd() * OLD_INTERVAL_SECONDS * 1000 + oldReloadMs);
    const oldProm = fileToProm.length ? oldFile.map((f, i) => f + fileToProm[i % fileToProm.length]!) : [];
    const ours = {
      document: percentiles(d("document")),
      file: percentiles(d("file")),
      prometheus: percentiles(d("prometheus")),
      fileToPrometheus: percentiles(fileToProm),
    };
    const { batchWindowSeconds, batchSize, maxConcurrency } = stack.settings;
    return {
      options: o,
      eventSource: { batchWindowSeconds, batchSize, ...(maxConcurrency !== undefined ? { maxConcurrency } : {}) },
      prometheus: Boolean(stack.prometheus),
      reached: { document: d("document").length, file: d("file").length, prometheus: d("prometheus").length },
      ours: Object.fromEntries(Object.entries(ours).filter(([, v]) => v !== undefined)),
      oldReloadMs,
      old: Object.fromEntries(Object.entries({ file: percentiles(oldFile), prometheus: percentiles(oldProm) }).filter(([, v]) => v !== undefined)),
    };
  } finally {
    narrator.close();
    await stack.close();
  }
}

const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`);
const row = (label: string, st: Stats | undefined) =>
  `  ${label.padEnd(44)} ${st ? `median ${s(st.median)}, p90 ${s(st.p90)}, p99 ${s(st.p99)}, max ${s(st.max)} (n=${st.n})` : "-"}`;

export function report(r: EventToTargetResult): string {
  const o = r.options;
  const ratio = (a?: Stats, b?: Stats) => (a && b ? `${(a.median / b.median).toFixed(1)}x` : "-");
  return [
    `${o.events} tasks reaching RUNNING, one every ~${(o.gapMs ?? 500) / 1000} s; the deployed event source: batch window ${r.eventSource.batchWindowSeconds} s, ` +
      `≤${r.eventSource.batchSize} events, ${r.eventSource.maxConcurrency ?? "unlimited"} at once; sidecar --interval ${o.sidecarInterval}`,
    `reached: document ${r.reached.document}, sidecar file ${r.reached.file}, Prometheus ${r.prometheus ? r.reached.prometheus : "(not installed)"} of ${o.events}`,
    "ours (measured), delay from RUNNING to:",
    row("published document", r.ours.document),
    row("sidecar file", r.ours.file),
    row("Prometheus active target", r.ours.prometheus),
    row("  of which file -> Prometheus (file_sd)", r.ours.fileToPrometheus),
    `old sidecar (modelled: uniform 0-${OLD_INTERVAL_SECONDS} s + one reload, ${s(r.oldReloadMs)} measured at ${o.oldLatencyMs ?? 20} ms per call), delay from RUNNING to:`,
    row("its file", r.old.file),
    row("Prometheus active target (+ our file -> Prometheus)", r.old.prometheus),
    `ratio old/ours (medians): file ${ratio(r.old.file, r.ours.file)}, Prometheus target ${ratio(r.old.prometheus, r.ours.prometheus)}; p99: file ${
      r.old.file && r.ours.file ? `${(r.old.file.p99 / r.ours.file.p99).toFixed(1)}x` : "-"
    }`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let values: { events: string; interval: string };
  try {
    ({ values } = parseArgs({ options: { events: { type: "string", default: "200" }, interval: { type: "string", default: "1s" } } }));
  } catch (err) {
    // --window is gone: the window is the deployed event source's, read from the synthesised stack.
    const why = /'--window'/.test((err as Error).message) ? " (the batching window is the deployed stack's: infra/reconcile.ts)" : "";
    console.error(`bench/event-to-target: ${(err as Error).message}${why}`);
    process.exit(2);
  }
  const r = await runEventToTarget({ events: Number(values.events), sidecarInterval: values.interval });
  console.log(report(r));
  if (r.reached.file < r.options.events || (r.prometheus && r.reached.prometheus < r.options.events)) process.exitCode = 1;
}
