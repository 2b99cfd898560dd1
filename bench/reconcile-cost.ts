// The full reconcile's cost (issue "Cost per event"): CPU time of the reconciler's own
// process (the simulator runs in this one, so its CPU is not counted) and wall time, for
// the first reconcile of an account (publishes every target) and the steady runs after it
// (nothing changed: the every-5-minutes case, each run 5 minutes after the one before on the
// reconciler's clock, so it describes again the running tasks whose turn came: core's
// verification.ts), today's code and a baseline commit's side by side in the same run, against the same simulator (each in its own bucket). Both are
// bundled the same way from their sources (bench/support/reconcile-runner.ts). With
// --latency-ms > 0 the old sidecar's reload (bench/old-sidecar.ts) runs too, for the wall
// time ratio. Budgets: 1.0 s of CPU at 0 ms latency for 10,000 tasks; 1.5 s wall at 20 ms.
//   npx tsx bench/reconcile-cost.ts [--services 200] [--tasks 50] [--latency-ms 0] [--runs 3] [--baseline-ref REF]
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs, promisify } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { generateScenario, simClientConfig, startSimulator } from "@scrape-reconciler/sim";
import { build } from "esbuild";
import { NAMESPACES_PARAMETER, oldClients, oldReload } from "./old-sidecar";
import { stats } from "./sidecar-support";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The last commit before the full reconcile's CPU work. */
export const DEFAULT_BASELINE_REF = "a1d321a";
export const BUDGET = { cpuMs: 1000, wallMsAt20: 1500 };

export interface CostOptions {
  services: number;
  tasks: number;
  latencyMs: number;
  runs: number;
  baselineRef: string;
}

export interface RunLine {
  run: number;
  cpuMs: number;
  wallMs: number;
  targets: number;
  written: boolean;
  /** Tasks described (DescribeTasks); absent on a baseline that does not report it. */
  described?: number;
}

export interface SideResult {
  name: string;
  first: RunLine;
  steady: { cpuMs: number; wallMs: number; described?: number };
  targets: number;
}

export interface CostResult {
  options: CostOptions;
  tasks: number;
  ours: SideResult;
  baseline: SideResult;
  old?: { wallMs: number; targets: number };
}

/** Bundles a runner; with `sources`, every @scrape-reconciler package comes from that tree. */
export async function bundleRunner(out: string, sources?: string, entry = join(root, "bench", "support", "reconcile-runner.ts")): Promise<void> {
  const alias: Record<string, string> = {};
  if (sources) {
    for (const p of readdirSync(join(sources, "packages"))) {
      const entry = join(sources, "packages", p, "src", "index.ts");
      if (existsSync(entry)) alias[`@scrape-reconciler/${p}`] = entry;
    }
  }
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "error",
    alias,
    banner: { js: `import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);` },
  });
}

/** The packages of `ref`, from `git archive`, under node_modules so their imports resolve. */
export function archive(ref: string): string {
  mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
  const dir = mkdtempSync(join(root, "node_modules", ".cache", `baseline-${ref}-`));
  const tar = execFileSync("git", ["-C", root, "archive", "--format=tar", ref, "packages"], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar, maxBuffer: 256 * 1024 * 1024 });
  return dir;
}

async function runSide(name: string, bundle: string, env: Record<string, string>, runs: number): Promise<SideResult> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") profiles the reconciler processes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const r = await promisify(execFile)(process.execPath, [...nodeArgs, bundle], {
    env: { ...process.env, ...env, RUNS: String(runs) },
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunLine);
  const first = lines[0]!;
  const rest = lines.slice(1);
  return {
    name,
    first,
    steady: {
      cpuMs: stats(rest.map((l) => l.cpuMs)).median,
      wallMs: stats(rest.map((l) => l.wallMs)).median,
      ...(rest.every((l) => l.described !== undefined) ? { described: stats(rest.map((l) => l.described!)).median } : {}),
    },
    targets: lines[lines.length - 1]!.targets,
  };
}

export async function runReconcileCost(o: CostOptions): Promise<CostResult> {
  const scenario = generateScenario({ services: o.services, tasksPerService: o.tasks, namespaces: 4, clusters: 4, ec2Every: 10, seed: "reconcile-cost" });
  scenario.parameters = { [NAMESPACES_PARAMETER]: scenario.namespaces!.map((n) => n.name).join(",") };
  const sim = await startSimulator({ scenario, latencyMs: o.latencyMs });
  mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
  const dir = mkdtempSync(join(root, "node_modules", ".cache", "reconcile-cost-"));
  try {
    const s3 = new S3Client(simClientConfig(sim));
    for (const b of ["ours", "baseline"]) await s3.send(new CreateBucketCommand({ Bucket: `cost-${b}` }));
    s3.destroy();
    const oursBundle = join(dir, "ours.mjs");
    const baselineBundle = join(dir, "baseline.mjs");
    await bundleRunner(oursBundle);
    const sources = archive(o.baselineRef);
    await bundleRunner(baselineBundle, sources);
    rmSync(sources, { recursive: true, force: true });
    const env = (bucket: string) => ({ ...sim.endpointEnv(), TARGETS_BUCKET: bucket, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });
    const baseline = await runSide(`baseline (${o.baselineRef})`, baselineBundle, env("cost-baseline"), o.runs);
    const ours = await runSide("ours", oursBundle, env("cost-ours"), o.runs);
    let old: CostResult["old"];
    if (o.latencyMs > 0) {
      const started = performance.now();
      const r = await oldReload(oldClients(simClientConfig(sim)));
      old = { wallMs: performance.now() - started, targets: r.groups.reduce((n, g) => n + g.targets.length, 0) };
    }
    return { options: o, tasks: sim.state.tasks({ status: "RUNNING" }).length, ours, baseline, ...(old ? { old } : {}) };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function report(r: CostResult): string {
  const o = r.options;
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    `full reconcile: ${o.services} services x ${o.tasks} tasks (${r.tasks} running), ${o.latencyMs} ms per AWS call; CPU of the reconciler's process only; steady = median of runs 2..${o.runs}`,
  ];
  for (const s of [r.ours, r.baseline]) {
    lines.push(
      `  ${s.name}: first ${f(s.first.cpuMs)} CPU, ${f(s.first.wallMs)} wall (${s.first.targets} targets, written ${s.first.written}); steady ${f(s.steady.cpuMs)} CPU, ${f(s.steady.wallMs)} wall${s.steady.described !== undefined ? `, ${s.steady.described} tasks described` : ""}`,
    );
  }
  const within = (v: number, budget: number) => (v <= budget ? "within" : "OVER");
  lines.push(
    `  ratio baseline/ours: first CPU ${(r.baseline.first.cpuMs / r.ours.first.cpuMs).toFixed(2)}x, steady CPU ${(r.baseline.steady.cpuMs / r.ours.steady.cpuMs).toFixed(2)}x, first wall ${(r.baseline.first.wallMs / r.ours.first.wallMs).toFixed(2)}x`,
  );
  if (o.latencyMs === 0) {
    const worst = Math.max(r.ours.first.cpuMs, r.ours.steady.cpuMs);
    lines.push(`  budget: ${f(worst)} CPU (worse of first and steady), ${within(worst, BUDGET.cpuMs)} ${f(BUDGET.cpuMs)}`);
  }
  if (r.old) {
    const worst = Math.max(r.ours.first.wallMs, r.ours.steady.wallMs);
    lines.push(
      `  old sidecar's reload: ${f(r.old.wallMs)} wall, ${r.old.targets} targets; ratio old/ours (steady wall) ${(r.old.wallMs / r.ours.steady.wallMs).toFixed(2)}x`,
    );
    if (o.latencyMs === 20) lines.push(`  budget: ${f(worst)} wall (worse of first and steady), ${within(worst, BUDGET.wallMsAt20)} ${f(BUDGET.wallMsAt20)}`);
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      services: { type: "string", default: "200" },
      tasks: { type: "string", default: "50" },
      "latency-ms": { type: "string", default: "0" },
      runs: { type: "string", default: "3" },
      "baseline-ref": { type: "string", default: DEFAULT_BASELINE_REF },
    },
  });
  const r = await runReconcileCost({
    services: Number(values.services),
    tasks: Number(values.tasks),
    latencyMs: Number(values["latency-ms"]),
    runs: Math.max(2, Number(values.runs)),
    baselineRef: values["baseline-ref"]!,
  });
  console.log(report(r));
}
