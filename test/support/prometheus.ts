// Runs a real Prometheus server for tests, with the demo's start/stop/ready logic
// (packages/demo/src/prometheus.ts): the binary from findPrometheus() (PROMETHEUS_BIN,
// /usr/bin/prometheus, then PATH), on a free 127.0.0.1 port, with a temporary folder for
// prometheus.yml and the TSDB, ready once /-/ready answers. stop() kills it by PID
// (SIGTERM, then SIGKILL) and removes its folder; a process "exit" hook kills it by PID if
// afterAll never runs. Also reads for assertions: active targets, raw samples, /metrics sums.
//   const prom = await startPrometheus({ args: ["--web.enable-remote-write-receiver"] });
//   ... prom.url ... ; await prom.stop();
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { findPrometheus as findBinary, startPrometheus as startProcess } from "@scrape-reconciler/demo";

export interface PrometheusOptions {
  /** prometheus.yml contents. Default: a global section and no scrape jobs. */
  config?: string;
  /** Extra command-line arguments (config, storage and listen address are set here). */
  args?: string[];
  /** Binary to run. Default: findPrometheus(). */
  binary?: string;
  /** Give up waiting for /-/ready after this long. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface PrometheusHandle {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  pid: number;
  /** Its temporary folder (config file and TSDB), removed by stop(). */
  dir: string;
  /** Everything Prometheus wrote to stdout and stderr so far. */
  logs(): string;
  /** Stops the process by PID and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export const DEFAULT_PROMETHEUS_CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n";

/** The Prometheus binary: PROMETHEUS_BIN if executable, else /usr/bin/prometheus, else `prometheus` on PATH; undefined when none. */
export function findPrometheus(): string | undefined {
  return findBinary({ PROMETHEUS_BIN: process.env.PROMETHEUS_BIN }) ?? findBinary({ PATH: ["/usr/bin", process.env.PATH ?? ""].join(delimiter) });
}

/** Starts Prometheus and resolves once /-/ready answers 200; tries another port (up to 3 times) if its port was taken. */
export async function startPrometheus(opts: PrometheusOptions = {}): Promise<PrometheusHandle> {
  const binary = opts.binary ?? findPrometheus();
  if (!binary) throw new Error("no prometheus binary found (set PROMETHEUS_BIN or install the prometheus package)");
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "prometheus-test-"));
    let logs = "";
    try {
      const p = await startProcess(binary, opts.config ?? DEFAULT_PROMETHEUS_CONFIG, dir, {
        flags: opts.args ?? [],
        readyTimeoutMs: opts.readyTimeoutMs,
        onOutput: (text) => (logs += text),
      });
      return {
        url: p.url,
        port: Number(new URL(p.url).port),
        pid: p.pid,
        dir,
        logs: () => logs,
        stop: async () => {
          await p.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      lastErr = new Error(`${(err as Error).message}\n${logs.slice(-3000)}`, { cause: err });
      if (!/address already in use/.test(logs)) break;
    }
  }
  throw lastErr;
}

/** Raw samples of one series over a window, read with an instant query on a range selector. */
export async function querySamples(url: string, selector: string, windowSeconds = 3600): Promise<Array<{ t: number; v: number }>> {
  const q = new URLSearchParams({ query: `${selector}[${windowSeconds}s]`, time: String(Date.now() / 1000 + 60) });
  const res = await fetch(`${url}/api/v1/query?${q}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ values: Array<[number, string]> }> } };
  if (body.status !== "success") throw new Error(`query ${selector} failed: ${body.error}`);
  if (body.data.result.length > 1) throw new Error(`query ${selector} matched ${body.data.result.length} series`);
  return (body.data.result[0]?.values ?? []).map(([t, v]) => ({ t: Math.round(t * 1000), v: Number(v) }));
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
