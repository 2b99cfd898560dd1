// Runs a real Prometheus server for tests: the binary from PATH (Debian's `prometheus`
// package; override with PROMETHEUS_BIN), on a free 127.0.0.1 port, with a temporary
// --storage.tsdb.path, waiting for /-/ready. stop() kills it by PID (SIGTERM, then SIGKILL)
// and removes its folder. Call stop() in afterAll; as a safety net every instance still
// running when the test process exits is killed by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port";

export interface PrometheusOptions {
  /** prometheus.yml contents. */
  config: string;
  /** Extra command-line arguments. */
  args?: string[];
  bin?: string;
  readyTimeoutMs?: number;
}

export interface PrometheusHandle {
  url: string;
  port: number;
  pid: number;
  /** Its temporary folder (config file and TSDB). */
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) {
      try {
        if (child.pid) process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function prometheusBin(): string {
  return process.env.PROMETHEUS_BIN ?? "prometheus";
}

async function launch(opts: PrometheusOptions, dir: string): Promise<PrometheusHandle> {
  const port = await freePort();
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, opts.config);
  const child = spawn(
    opts.bin ?? prometheusBin(),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.args ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  installExitHook();
  running.add(child);
  let logs = "";
  child.stdout?.on("data", (d: Buffer) => (logs += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once("error", (err) => {
      logs += `spawn error: ${err.message}\n`;
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(child.pid, "SIGTERM");
      } catch {
        // gone
      }
      const killed = await Promise.race([exitedPromise.then(() => true), sleep(5000).then(() => false)]);
      if (!killed && child.pid) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // gone
        }
        await exitedPromise;
      }
    }
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) {
        return { url, port, pid: child.pid!, dir, logs: () => logs, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  const err = new Error(`prometheus did not become ready on ${url}${exited ? " (it exited)" : ""}:\n${logs.slice(-3000)}`);
  (err as Error & { portInUse?: boolean }).portInUse = /address already in use/.test(logs);
  throw err;
}

/** Starts Prometheus and resolves once /-/ready answers 200. */
export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusHandle> {
  const dir = mkdtempSync(join(tmpdir(), "prometheus-test-"));
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await launch(opts, dir);
      return {
        ...h,
        stop: async () => {
          await h.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastErr = err;
      if (!(err as { portInUse?: boolean }).portInUse) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}

export interface ActiveTarget {
  scrapePool: string;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  lastError: string;
}

/** Prometheus' active targets (GET /api/v1/targets?state=active), optionally of one scrape pool. */
export async function activeTargets(url: string, scrapePool?: string): Promise<ActiveTarget[]> {
  const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET /api/v1/targets: HTTP ${res.status}`);
  const body = (await res.json()) as { data: { activeTargets: ActiveTarget[] } };
  const all = body.data.activeTargets;
  return scrapePool ? all.filter((t) => t.scrapePool === scrapePool) : all;
}

/** Sum of the samples of one metric family on a /metrics page (0 when absent). */
export async function scrapeMetric(metricsUrl: string, name: string): Promise<number> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return sumMetric(text, name);
}

export function sumMetric(text: string, name: string, labelFilter?: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labelFilter) {
      const labels = m[2] ?? "";
      if (!Object.entries(labelFilter).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    }
    sum += Number(m[3]);
  }
  return sum;
}

/** Polls `check` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms${lastErr ? `: ${(lastErr as Error).message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}
