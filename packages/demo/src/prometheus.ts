// A real Prometheus for the demo: the binary from PATH (Debian's `prometheus` package;
// PROMETHEUS_BIN overrides), on a free 127.0.0.1 port, with its own config and TSDB in a
// folder the caller owns, ready once /-/ready answers. stop() kills it by its PID
// (SIGTERM, then SIGKILL) and waits for it to exit; a process "exit" hook kills it too if
// the demo dies first. Also the two reads the demo makes: active targets and an instant query.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

export interface PrometheusProcess {
  url: string;
  pid: number;
  version: string;
  logs(): string;
  stop(): Promise<void>;
}

export interface ActiveTarget {
  scrapePool: string;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  labels: Record<string, string>;
  lastError: string;
}

/** The Prometheus binary: PROMETHEUS_BIN, else `prometheus` on PATH; undefined when missing. */
export function findPrometheus(env: Record<string, string | undefined> = process.env): string | undefined {
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (env.PROMETHEUS_BIN) return executable(env.PROMETHEUS_BIN) ? env.PROMETHEUS_BIN : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, "prometheus"))) return join(dir, "prometheus");
  }
  return undefined;
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StartOptions {
  /** Flags after config, storage and listen address. Default: --log.level=warn. */
  flags?: string[];
  /** Give up waiting for /-/ready after this long. Default 30 s. */
  readyTimeoutMs?: number;
  /** Sees all of Prometheus' stdout and stderr (logs() keeps only the last 20 000 characters). */
  onOutput?: (text: string) => void;
}

/** Starts Prometheus with `config` in `dir` and waits until it is ready (30 s at most unless told). */
export async function startPrometheus(bin: string, config: string, dir: string, opts: StartOptions = {}): Promise<PrometheusProcess> {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, config);
  const port = await freePort();
  const child = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.flags ?? ["--log.level=warn"]),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let logs = "";
  const keep = (d: Buffer) => {
    opts.onOutput?.(d.toString());
    logs = (logs + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", (err) => {
      logs += `spawn error: ${err.message}\n`;
      exited = true;
      resolve();
    });
  });
  const pid = child.pid;
  const killOnExit = () => {
    try {
      if (!exited && pid) process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killOnExit);
  const stop = async () => {
    process.off("exit", killOnExit);
    if (exited || !pid) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    const done = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      killOnExit();
      await exit;
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) {
        const info = await fetch(`${url}/api/v1/status/buildinfo`, { signal: AbortSignal.timeout(1000) })
          .then((r) => r.json() as Promise<{ data?: { version?: string } }>)
          .catch((): { data?: { version?: string } } => ({}));
        return { url, pid: pid!, version: info.data?.version ?? "?", logs: () => logs, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`prometheus did not become ready on ${url}${exited ? " (it exited)" : ""}: ${logs.trim().split("\n").slice(-3).join(" | ")}`);
}

/** Active targets of one scrape pool. */
export async function activeTargets(url: string, scrapePool: string): Promise<ActiveTarget[]> {
  const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`GET /api/v1/targets: HTTP ${res.status}`);
  const body = (await res.json()) as { data: { activeTargets: ActiveTarget[] } };
  return body.data.activeTargets.filter((t) => t.scrapePool === scrapePool);
}

/** An instant query; the samples' labels and values. */
export async function query(url: string, promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`query ${promql}: HTTP ${res.status}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/**
 * prometheus.yml: the sidecar's files through file_sd, each target labelled with its AWS
 * account and region (README "One central Prometheus over several accounts"), and the
 * sidecar's own metrics.
 */
export function prometheusConfig(opts: { job: string; fileGlob: string; sidecarAddress: string }): string {
  return `global:
  scrape_interval: 5s
  scrape_timeout: 2s
  evaluation_interval: 5s
scrape_configs:
  - job_name: ${opts.job}
    file_sd_configs:
      - files: ["${opts.fileGlob}"]
        refresh_interval: 30s
    relabel_configs:
      - source_labels: [__meta_cloudmap_account_id]
        target_label: account_id
      - source_labels: [__meta_cloudmap_region]
        target_label: region
  - job_name: scrape-reconciler-sidecar
    static_configs:
      - targets: ["${opts.sidecarAddress}"]
`;
}
