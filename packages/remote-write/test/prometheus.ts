// Test helper, reusable by any package's tests: runs a real Prometheus binary on a free
// loopback port with its own temp config and TSDB directory, waits for /-/ready, and stops
// it by PID (SIGTERM, then SIGKILL) — also if the test process exits without afterAll.
//   const prom = await startPrometheus({ args: ["--web.enable-remote-write-receiver"], config });
//   ... prom.url ... ; await prom.stop();
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface StartPrometheusOptions {
  /** Extra command-line flags (config, storage and listen address are set here). */
  args?: string[];
  /** prometheus.yml contents. Default: a global section and no scrape jobs. */
  config?: string;
  /** Binary to run. Default: $PROMETHEUS_BIN, /usr/bin/prometheus, then `prometheus` on PATH. */
  binary?: string;
  /** Give up waiting for /-/ready after this long. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  pid: number;
  /** The temp directory holding prometheus.yml and the TSDB (removed by stop). */
  dir: string;
  /** Stops the process by PID and removes its directory; safe to call twice. */
  stop(): Promise<void>;
  /** Everything Prometheus wrote to stdout and stderr so far. */
  logs(): string;
}

export const DEFAULT_PROMETHEUS_CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Prometheus binary to use, or undefined when none is installed. */
export function findPrometheus(): string | undefined {
  const candidates = [process.env.PROMETHEUS_BIN, "/usr/bin/prometheus", ...(process.env.PATH ?? "").split(delimiter).map((d) => d && join(d, "prometheus"))];
  return candidates.find((c): c is string => !!c && executable(c));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGKILL");
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function launch(binary: string, opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "prometheus-test-"));
  writeFileSync(join(dir, "prometheus.yml"), opts.config ?? DEFAULT_PROMETHEUS_CONFIG);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.args ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGTERM");
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed && child.exitCode === null) {
        process.kill(child.pid, "SIGKILL");
        await exited;
      }
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) return { url, port, pid: child.pid!, dir, stop, logs: () => output };
    await sleep(100);
  }
  const exitedEarly = child.exitCode !== null || child.signalCode !== null;
  await stop();
  throw new Error(`prometheus ${exitedEarly ? `exited (code ${child.exitCode})` : "did not become ready"} on ${url}:\n${output.slice(-2000)}`);
}

/** Starts Prometheus and waits until it is ready; retries once on another port if it exits early. */
export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
  const binary = opts.binary ?? findPrometheus();
  if (!binary) throw new Error("no prometheus binary found (set PROMETHEUS_BIN or install the prometheus package)");
  try {
    return await launch(binary, opts);
  } catch (err) {
    if (!(err instanceof Error) || !/address already in use/.test(err.message)) throw err;
    return launch(binary, opts);
  }
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
