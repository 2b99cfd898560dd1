// One event batch's cost at scale (issue "Cost per event"): an account of SERVICES x TASKS
// on the simulator (in this process), a full reconcile, then BATCHES batches, each the
// events of one service scaling out by one task (what EventBridge delivers for it through
// the deployed rules, duplicates included), each sent as one SQS batch through the reconcile
// function's router in a warm process of its own (bench/support/batch-runner.ts). Prints
// per batch (median) the function's CPU time and the S3 bytes it wrote and read, for
// today's code and a baseline commit's side by side in the same run, each with its own
// bucket on the same simulator; and what each sidecar downloads after the batch (the shard
// index and the new shards; the whole document for a design without them). Budgets at
// 10,000 tasks: 100 ms CPU, 200 KB written, 200 KB read, 100 KB to each sidecar.
//   npx tsx bench/batch-cost.ts [--services 200] [--tasks 50] [--batches 5] [--baseline-ref REF]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { EventBridgeEmitter, generateScenario, simClientConfig, startSimulator } from "@scrape-reconciler/sim";
import { routed } from "../test/support/events";
import { archive, bundleRunner, DEFAULT_BASELINE_REF } from "./reconcile-cost";
import { stats } from "./sidecar-support";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BUDGET = { cpuMs: 100, writtenBytes: 200 * 1024, readBytes: 200 * 1024, sidecarBytes: 100 * 1024 };

export interface BatchCostOptions {
  services: number;
  tasks: number;
  batches: number;
  baselineRef: string;
}

export interface Answer {
  cpuMs: number;
  written: number;
  read: number;
  /** Bytes of the single document written, and of the shard index and shards. */
  document: number;
  sharded: number;
  targets: number;
  documentWritten?: boolean;
  events?: number;
}

export interface SideCost {
  name: string;
  full: Answer;
  batches: Answer[];
  median: { cpuMs: number; written: number; read: number; sidecar: number };
}

export interface BatchCostResult {
  options: BatchCostOptions;
  tasks: number;
  eventsPerBatch: number[];
  ours: SideCost;
  baseline: SideCost;
}

/** A warm function process: send a command, get its answer. */
function startRunner(bundle: string, env: Record<string, string>) {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") profiles the function processes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, bundle], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    async send(cmd: unknown): Promise<Answer> {
      child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      const next = await lines.next();
      if (next.done) throw new Error("runner exited");
      return JSON.parse(next.value) as Answer;
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin!.end(); // the runner exits at the end of its input (a profile is written then)
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function runBatchCost(o: BatchCostOptions): Promise<BatchCostResult> {
  const scenario = generateScenario({ services: o.services, tasksPerService: o.tasks, namespaces: 4, clusters: 4, ec2Every: 10, seed: "batch-cost" });
  const sim = await startSimulator({ scenario });
  mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
  const dir = mkdtempSync(join(root, "node_modules", ".cache", "batch-cost-"));
  const runners: ReturnType<typeof startRunner>[] = [];
  try {
    const s3 = new S3Client(simClientConfig(sim));
    for (const b of ["ours", "baseline"]) await s3.send(new CreateBucketCommand({ Bucket: `batch-${b}` }));
    s3.destroy();
    const oursBundle = join(dir, "ours.mjs");
    const baselineBundle = join(dir, "baseline.mjs");
    const runner = join(root, "bench", "support", "batch-runner.ts");
    await bundleRunner(oursBundle, undefined, runner);
    const sources = archive(o.baselineRef);
    await bundleRunner(baselineBundle, sources, runner);
    rmSync(sources, { recursive: true, force: true });
    const env = (bucket: string) => ({ ...sim.endpointEnv(), TARGETS_BUCKET: bucket, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });
    const sides = [
      { name: "ours", runner: startRunner(oursBundle, env("batch-ours")) },
      { name: `baseline (${o.baselineRef})`, runner: startRunner(baselineBundle, env("batch-baseline")) },
    ];
    runners.push(...sides.map((s) => s.runner));
    const full = await Promise.all(sides.map((s) => s.runner.send({ cmd: "full" })));
    const answers: Answer[][] = sides.map(() => []);
    const eventsPerBatch: number[] = [];
    const emitter = new EventBridgeEmitter(sim.state, { duplicateRate: 0.2, shuffle: true, seed: "batch-cost" });
    emitter.drain();
    for (let b = 0; b < o.batches; b++) {
      const svc = sim.scenario.services[(b * 37) % sim.scenario.services.length]!;
      const running = sim.state.tasks({ status: "RUNNING" }).filter((t) => t.group === `service:${svc.name}`).length;
      sim.state.setDesiredCount(svc.cluster, svc.name, running + 1);
      const events = routed([...emitter.drain(), ...emitter.flush()]);
      eventsPerBatch.push(events.length);
      // One side after the other, so they do not share the CPU.
      for (const [i, s] of sides.entries()) answers[i]!.push(await s.runner.send({ cmd: "batch", events }));
    }
    emitter.close();
    const side = (i: number): SideCost => ({
      name: sides[i]!.name,
      full: full[i]!,
      batches: answers[i]!,
      median: {
        cpuMs: stats(answers[i]!.map((a) => a.cpuMs)).median,
        written: stats(answers[i]!.map((a) => a.written)).median,
        read: stats(answers[i]!.map((a) => a.read)).median,
        // A sidecar following the index downloads the index and the new shards; one
        // following the single document (the baseline, which has no index) downloads it all.
        sidecar: stats(answers[i]!.map((a) => (a.sharded > 0 ? a.sharded : a.document))).median,
      },
    });
    return { options: o, tasks: sim.state.tasks({ status: "RUNNING" }).length, eventsPerBatch, ours: side(0), baseline: side(1) };
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function report(r: BatchCostResult): string {
  const o = r.options;
  const lines = [
    `event batch: ${o.services} services x ${o.tasks} tasks (${r.tasks} running at the end), ${o.batches} batches of one service scaling out by one task (${r.eventsPerBatch.join(", ")} events); per batch, median; CPU of the function's process only`,
  ];
  for (const s of [r.ours, r.baseline]) {
    lines.push(
      `  ${s.name}: ${s.median.cpuMs.toFixed(0)} ms CPU, ${kb(s.median.written)} written, ${kb(s.median.read)} read, ${kb(s.median.sidecar)} to each sidecar (full reconcile before: ${s.full.cpuMs.toFixed(0)} ms CPU, ${s.full.targets} targets)`,
    );
  }
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : a > 0 ? "all (ours none)" : "n/a");
  lines.push(
    `  ratio baseline/ours: CPU ${ratio(r.baseline.median.cpuMs, r.ours.median.cpuMs)}, written ${ratio(r.baseline.median.written, r.ours.median.written)}, read ${ratio(r.baseline.median.read, r.ours.median.read)}, to each sidecar ${ratio(r.baseline.median.sidecar, r.ours.median.sidecar)}`,
  );
  const check = (v: number, b: number) => (v <= b ? "within" : "OVER");
  lines.push(
    `  budgets: CPU ${check(r.ours.median.cpuMs, BUDGET.cpuMs)} ${BUDGET.cpuMs} ms, written ${check(r.ours.median.written, BUDGET.writtenBytes)} ${kb(BUDGET.writtenBytes)}, read ${check(r.ours.median.read, BUDGET.readBytes)} ${kb(BUDGET.readBytes)}, to each sidecar ${check(r.ours.median.sidecar, BUDGET.sidecarBytes)} ${kb(BUDGET.sidecarBytes)}`,
  );
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      services: { type: "string", default: "200" },
      tasks: { type: "string", default: "50" },
      batches: { type: "string", default: "5" },
      "baseline-ref": { type: "string", default: DEFAULT_BASELINE_REF },
    },
  });
  const r = await runBatchCost({
    services: Number(values.services),
    tasks: Number(values.tasks),
    batches: Number(values.batches),
    baselineRef: values["baseline-ref"]!,
  });
  console.log(report(r));
}
