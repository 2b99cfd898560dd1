// Sidecar footprint (issue "Footprint"): RSS at idle with a 200-target document, RSS while
// syncing a 10,000-target document that changes every second, and CPU at idle, all with a
// 1 s interval on the local simulator's S3, for these processes run side by side in one run
// (same machine, same moment, same simulator):
//   - "image":    the bundle built now, with the image's NODE_OPTIONS (the Dockerfile's ENV);
//   - "no flags": the same bundle without NODE_OPTIONS (what the flags buy);
//   - "before":   the sidecar's sources at git commit --baseline-ref (before the footprint
//                 work), bundled by that commit's build.mjs, no flags (the baseline);
//   - "bare node": `node -e "setInterval(() => {}, 1000)"`.
// Each runs on the image's Node line (24) when a binary is found (EMULATOR_NODE or
// .cache/node24, see packages/emulator/src/node24.ts), else on this process' node; the
// report names the version. Budgets: idle RSS <= 60 MiB, syncing RSS <= 90 MiB, idle CPU
// <= 1 % of a core; printed with each figure, not asserted (the smoke test only runs it).
//
//   npx tsx bench/sidecar-footprint.ts [--seconds 60] [--sync-seconds 30] [--warmup 5]
//       [--targets 200] [--sync-targets 10000] [--baseline-ref REF] [--breakdown]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeDocument, serialize } from "../packages/sidecar/test/e2e-support";
import { simPublisher } from "../packages/sidecar/test/publishers";
import { freePort } from "../test/support/free-port";
import { waitFor } from "../test/support/prometheus";
import {
  arg,
  buildBundle,
  imageNodeBinary,
  imageNodeOptions as imageNodeOptionsOf,
  mb,
  runNode,
  sampleProc,
  sleep,
  stats,
  type Child,
  type ProcSample,
} from "./sidecar-support";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The last commit before the footprint work. */
export const DEFAULT_BASELINE_REF = "3dccf05";
export const BUDGET = { idleRssMiB: 60, syncRssMiB: 90, idleCpuPercent: 1 };
const MiB = 1024 * 1024;

export interface FootprintOptions {
  seconds: number;
  syncSeconds: number;
  warmup: number;
  targets: number;
  syncTargets: number;
  baselineRef: string;
  breakdown: boolean;
}

export interface VariantResult {
  name: string;
  nodeOptions: string;
  idle: { rssMedian: number; rssMax: number; cpuPercent: number; rssAnon: number; rssFile: number };
  sync: { rssMedian: number; rssMax: number; cpuPercent: number; generation: number };
  /** process.memoryUsage() at the end of the idle phase (--breakdown). */
  memory?: Record<string, number>;
}

export interface FootprintResult {
  options: FootprintOptions;
  node: string;
  imageNodeOptions: string;
  documentBytes: { idle: number; sync: number };
  lastGeneration: number;
  variants: VariantResult[];
  bare: { rssMedian: number; cpuPercent: number };
}

/** The sidecar of `ref` bundled with that commit's own build.mjs (sources from `git archive`, current node_modules). */
export function buildBaselineBundle(ref: string): string {
  // Under node_modules so esbuild finds the packages by walking up (core is today's workspace copy).
  const dir = join(root, "node_modules", ".cache", `sidecar-baseline-${ref}`);
  const out = join(dir, "sidecar.mjs");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync("git", ["-C", root, "archive", "--format=tar", ref, "packages/sidecar/src", "packages/sidecar/build.mjs"]);
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  execFileSync(process.execPath, [join(dir, "packages", "sidecar", "build.mjs")], { env: { ...process.env, SIDECAR_BUNDLE_OUT: out }, stdio: "ignore" });
  if (!existsSync(out)) throw new Error(`baseline bundle of ${ref} not built`);
  return out;
}

const statusKb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const cpuOf = (a: ProcSample, b: ProcSample) => ((b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000)) * 100;
const doc = (n: number, shift: number) =>
  serialize(makeDocument(Array.from({ length: n }, (_, i) => `10.${((i + shift) >> 16) & 255}.${((i + shift) >> 8) & 255}.${(i + shift) & 255}:9100`)));

interface Running {
  name: string;
  nodeOptions: string;
  child: Child;
  port: number;
  probe?: string;
}

export async function runFootprint(o: FootprintOptions): Promise<FootprintResult> {
  const node = imageNodeBinary();
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  const imageNodeOptions = imageNodeOptionsOf();
  const dir = mkdtempSync(join(tmpdir(), "sidecar-footprint-"));
  const bundle = buildBundle();
  const before = buildBaselineBundle(o.baselineRef);
  const pub = await simPublisher("s3");
  const running: Running[] = [];
  let bare: Child | undefined;
  try {
    const idleDoc = doc(o.targets, 0);
    await pub.publish(idleDoc);
    const variants = [
      { name: "image", bundle, nodeOptions: imageNodeOptions },
      { name: "no flags", bundle, nodeOptions: "" },
      { name: `before (${o.baselineRef})`, bundle: before, nodeOptions: "" },
    ];
    for (const [i, v] of variants.entries()) {
      const port = await freePort();
      const probe = o.breakdown ? join(dir, `probe-${i}.jsonl`) : undefined;
      const nodeOptions = [v.nodeOptions, probe ? `--import ${pathToFileURL(join(root, "bench", "sidecar-probe.mjs")).href}` : ""].filter(Boolean).join(" ");
      const args = [
        v.bundle,
        "--source",
        "s3://targets-bucket/targets/ecs-services.json",
        "--output",
        join(dir, `out-${i}.json`),
        "--listen",
        `127.0.0.1:${port}`,
      ];
      const env: Record<string, string> = {
        ...pub.env,
        NODE_OPTIONS: nodeOptions,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...(probe ? { SIDECAR_PROBE_OUT: probe } : {}),
      };
      running.push({ name: v.name, nodeOptions: v.nodeOptions, child: runNode([...args, "--interval", "1s"], env, node), port, ...(probe ? { probe } : {}) });
    }
    bare = runNode(["-e", "setInterval(() => {}, 1000)"], { NODE_OPTIONS: "" }, node);
    for (const r of running) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${r.port}/targets`).catch(() => undefined))?.status === 200, 30_000, 50).catch((err: Error) => {
        throw new Error(`${r.name}: ${err.message}\n${r.child.logs()}`);
      });
    }

    // Idle: the 200-target document, unchanged (each poll a 304).
    await sleep(o.warmup * 1000);
    const pids = [...running.map((r) => r.child.pid), bare.pid];
    const first = pids.map(sampleProc);
    const rss: number[][] = pids.map(() => []);
    let last = first;
    const idleEnd = performance.now() + o.seconds * 1000;
    while (performance.now() < idleEnd) {
      await sleep(Math.min(1000, Math.max(0, idleEnd - performance.now())));
      last = pids.map(sampleProc);
      for (const [i, s] of last.entries()) rss[i]!.push(s.rssBytes);
    }
    const idle = pids.map((pid, i) => ({
      rssMedian: stats(rss[i]!).median,
      rssMax: stats(rss[i]!).max,
      cpuPercent: cpuOf(first[i]!, last[i]!),
      rssAnon: statusKb(pid, "RssAnon"),
      rssFile: statusKb(pid, "RssFile"),
    }));
    const memory = running.map((r) => {
      if (!r.probe || !existsSync(r.probe)) return undefined;
      const lines = readFileSync(r.probe, "utf8").trim().split("\n");
      return JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
    });

    // Syncing: a 10,000-target document, a new one every second.
    let generation = 1;
    let syncBytes = 0;
    const syncRss: number[][] = running.map(() => []);
    const syncFirst = running.map((r) => sampleProc(r.child.pid));
    const syncEnd = performance.now() + o.syncSeconds * 1000;
    let nextSample = performance.now();
    while (performance.now() < syncEnd) {
      const body = doc(o.syncTargets, generation);
      syncBytes = Buffer.byteLength(body);
      await pub.publish(body);
      generation += 1;
      const until = Math.min(syncEnd, performance.now() + 1000);
      while (performance.now() < until) {
        if (performance.now() >= nextSample) {
          for (const [i, r] of running.entries()) syncRss[i]!.push(sampleProc(r.child.pid).rssBytes);
          nextSample += 250;
        }
        await sleep(50);
      }
    }
    const syncLast = running.map((r) => sampleProc(r.child.pid));
    // Each sidecar picks up the last document (proof that it was syncing, not stuck).
    const generations = await Promise.all(
      running.map((r) =>
        waitFor(
          async () => {
            const res = await fetch(`http://127.0.0.1:${r.port}/targets`);
            const g = Number(res.headers.get("x-document-generation"));
            await res.arrayBuffer();
            return g === generation ? g : undefined;
          },
          30_000,
          100,
        ).catch(() => -1),
      ),
    );

    return {
      options: o,
      node: `${version}${node === process.execPath ? " (this process' node; Node 24 not found)" : ""}`,
      imageNodeOptions,
      documentBytes: { idle: Buffer.byteLength(idleDoc), sync: syncBytes },
      lastGeneration: generation,
      variants: running.map((r, i) => ({
        name: r.name,
        nodeOptions: r.nodeOptions,
        idle: idle[i]!,
        sync: {
          rssMedian: stats(syncRss[i]!).median,
          rssMax: stats(syncRss[i]!).max,
          cpuPercent: cpuOf(syncFirst[i]!, syncLast[i]!),
          generation: generations[i]!,
        },
        ...(memory[i] ? { memory: memory[i] } : {}),
      })),
      bare: { rssMedian: idle[running.length]!.rssMedian, cpuPercent: idle[running.length]!.cpuPercent },
    };
  } finally {
    await Promise.all(running.map((r) => r.child.stop()));
    await bare?.stop();
    await pub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function report(r: FootprintResult): string {
  const o = r.options;
  const base = r.variants[r.variants.length - 1]!;
  const ok = (v: number, budget: number) => (v <= budget ? "within" : "OVER");
  const lines = [
    `sidecar footprint on Node ${r.node}, interval 1s, S3 source (simulator); image NODE_OPTIONS: ${JSON.stringify(r.imageNodeOptions)}`,
    `idle: ${o.targets}-target document (${(r.documentBytes.idle / 1024).toFixed(0)} KiB), ${o.seconds} s after ${o.warmup} s warm-up; syncing: ${o.syncTargets}-target document (${(r.documentBytes.sync / MiB).toFixed(1)} MiB), a new one every second for ${o.syncSeconds} s`,
    `bare node (baseline): RSS median ${mb(r.bare.rssMedian)} MiB, CPU ${r.bare.cpuPercent.toFixed(2)} %`,
  ];
  for (const v of r.variants) {
    lines.push(`${v.name}${v.nodeOptions ? ` [${v.nodeOptions}]` : ""}:`);
    lines.push(
      `  idle RSS median ${mb(v.idle.rssMedian)} MiB (max ${mb(v.idle.rssMax)}; anon ${mb(v.idle.rssAnon)}, file ${mb(v.idle.rssFile)}), ${ok(v.idle.rssMedian / MiB, BUDGET.idleRssMiB)} ${BUDGET.idleRssMiB} MiB; ` +
        `x${(v.idle.rssMedian / base.idle.rssMedian).toFixed(2)} before, x${(v.idle.rssMedian / r.bare.rssMedian).toFixed(2)} bare (+${mb(v.idle.rssMedian - r.bare.rssMedian)} MiB)`,
    );
    lines.push(
      `  idle CPU ${v.idle.cpuPercent.toFixed(2)} % of a core, ${ok(v.idle.cpuPercent, BUDGET.idleCpuPercent)} ${BUDGET.idleCpuPercent} %; x${(v.idle.cpuPercent / Math.max(0.01, base.idle.cpuPercent)).toFixed(2)} before, +${(v.idle.cpuPercent - r.bare.cpuPercent).toFixed(2)} points over bare`,
    );
    lines.push(
      `  syncing RSS median ${mb(v.sync.rssMedian)} MiB, max ${mb(v.sync.rssMax)} MiB, ${ok(v.sync.rssMax / MiB, BUDGET.syncRssMiB)} ${BUDGET.syncRssMiB} MiB (max); x${(v.sync.rssMax / base.sync.rssMax).toFixed(2)} before (max); CPU ${v.sync.cpuPercent.toFixed(1)} %; ` +
        (v.sync.generation === r.lastGeneration ? `reached generation ${v.sync.generation}` : `DID NOT reach generation ${r.lastGeneration}`),
    );
    if (v.memory) {
      const m = v.memory;
      lines.push(`  at idle: heapTotal ${mb(m.heapTotal!)} MiB, heapUsed ${mb(m.heapUsed!)}, external ${mb(m.external!)}, arrayBuffers ${mb(m.arrayBuffers!)}`);
    }
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const refAt = process.argv.indexOf("--baseline-ref");
  const r = await runFootprint({
    seconds: arg("seconds", 60),
    syncSeconds: arg("sync-seconds", 30),
    warmup: arg("warmup", 5),
    targets: arg("targets", 200),
    syncTargets: arg("sync-targets", 10_000),
    baselineRef: refAt >= 0 ? process.argv[refAt + 1]! : DEFAULT_BASELINE_REF,
    breakdown: process.argv.includes("--breakdown"),
  });
  console.log(report(r));
}
