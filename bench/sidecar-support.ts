// Shared pieces of the sidecar benchmarks: build the bundle into a temporary folder, run it
// as a child process (what the image runs), read a process's CPU time and RSS from /proc,
// and parse --name value arguments; the Node binary and NODE_OPTIONS the image runs with.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findNode24 } from "../packages/emulator/src/node24";
import { imageConfig, readText, SIDECAR_DOCKERFILE } from "../packages/sidecar/test/ecs-support";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = eq ? eq.slice(name.length + 3) : i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number`);
    process.exit(2);
  }
  return n;
}

/** Builds dist/sidecar.mjs into a temporary folder and returns its path. */
export function buildBundle(): string {
  const out = join(mkdtempSync(join(tmpdir(), "sidecar-bench-")), "sidecar.mjs");
  const r = spawnSync(process.execPath, [join(root, "packages", "sidecar", "build.mjs")], {
    env: { ...process.env, SIDECAR_BUNDLE_OUT: out },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`bundle build failed: ${r.stderr}`);
  return out;
}

export interface Child {
  child: ChildProcess;
  pid: number;
  logs(): string;
  stop(): Promise<number | null>;
}

export function runNode(args: string[], env: Record<string, string> = {}, node: string = process.execPath): Child {
  const child = spawn(node, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let logs = "";
  child.stderr!.on("data", (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let done = false;
  child.once("exit", () => (done = true));
  process.once("exit", () => {
    try {
      if (!done && child.pid) process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  });
  return {
    child,
    pid: child.pid!,
    logs: () => logs,
    stop: async () => {
      try {
        if (!done && child.pid) process.kill(child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      return exited;
    },
  };
}

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

export interface ProcSample {
  at: number;
  /** user + system CPU seconds. */
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU time and RSS of a process, from /proc (Linux). */
export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { at: performance.now(), cpuSeconds: (utime + stime) / CLK_TCK, rssBytes: rssKb * 1024 };
}

export function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, min: s[0]!, median: pct(50), p90: pct(90), p99: pct(99), max: s[s.length - 1]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** The Node binary of the image's line (24) when one is found (EMULATOR_NODE or .cache/node24), else this one. */
export function imageNodeBinary(): string {
  try {
    return findNode24(root) ?? process.execPath;
  } catch {
    return process.execPath;
  }
}

/** The image's NODE_OPTIONS (the Dockerfile's ENV). */
export function imageNodeOptions(): string {
  return imageConfig(readText(SIDECAR_DOCKERFILE)).env.NODE_OPTIONS ?? "";
}
