// Starts the demo's whole pipeline on this machine and stops all of it: the local AWS
// simulator (with the targets bucket), real /metrics servers on the task IPs, the event
// path (rules -> queue -> reconcile handler), the sidecar syncing from SSM/S3 to a file and
// serving /targets, and Prometheus reading that file (skipped, with one line, when the
// binary is missing). The scenario's 127.x addresses move to a loopback range no other
// run on this machine holds. Every start is registered for close(), which undoes them in reverse
// order: Prometheus killed by PID, servers closed, clients destroyed, temp folder removed.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { createReconcilerClients, parseReconcileConfig, TaskDefinitionCache, type ReconcileConfig, type ReconcilerClients } from "@scrape-reconciler/aws";
import type { HandleDeps } from "@scrape-reconciler/events";
import { parseConfig, silentLogger, startSidecar, type SidecarHandle, type SyncOutcome } from "@scrape-reconciler/sidecar";
import { loadScenarioFile, simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { MetricsFleet } from "./fleet";
import { Lifecycle } from "./lifecycle";
import { claimLoopback } from "./loopback";
import type { Printer } from "./output";
import { EventPipeline, type PipelineHooks, type PipelineOptions } from "./pipeline";
import { findPrometheus, prometheusConfig, startPrometheus, type PrometheusProcess } from "./prometheus";
import { DelayTracker } from "./tracker";

export const FILE_SD_JOB = "ecs-services";
export const DEMO_BUCKET = "scrape-reconciler-demo";

export interface StackOptions {
  scenario: string;
  printer: Printer;
  env: Record<string, string | undefined>;
  pipeline?: PipelineOptions;
  /** Hooks of the event path (the narrator's). */
  hooks?: PipelineHooks;
  /** Called with each sidecar sync outcome. */
  onSync?: (outcome: SyncOutcome) => void;
  drainMs?: number;
  /** The sidecar's --interval (default 1s). */
  sidecarInterval?: string;
}

export interface DemoStack {
  sim: Simulator;
  env: Record<string, string>;
  config: ReconcileConfig;
  clients: ReconcilerClients;
  deps: HandleDeps;
  fleet: MetricsFleet;
  lifecycle: Lifecycle;
  pipeline: EventPipeline;
  tracker: DelayTracker;
  sidecar: SidecarHandle;
  sidecarCommand: string;
  prometheus?: PrometheusProcess;
  /** Why Prometheus is not running, when it is not. */
  prometheusMissing?: string;
  dir: string;
  outputFile: string;
  close(): Promise<void>;
}

/** The demo's reconcile clients: 3 attempts with standard backoff, so a throttling storm shows within seconds. */
export const DEMO_CLIENT_OPTIONS = { maxAttempts: 3, retryMode: "standard" as const };

export async function startStack(opts: StackOptions): Promise<DemoStack> {
  const undo: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const u of undo.splice(0).reverse()) {
      try {
        await u();
      } catch {
        // keep undoing the rest
      }
    }
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), "scrape-reconciler-demo-"));
    undo.push(() => rmSync(dir, { recursive: true, force: true }));
    const sdDir = join(dir, "file_sd");
    mkdirSync(sdDir);
    const outputFile = join(sdDir, "ecs-services.json");

    const claim = await claimLoopback(loadScenarioFile(opts.scenario));
    undo.push(() => claim.release());
    const sim = await startSimulator({ scenario: claim.scenario });
    undo.push(() => sim.close());
    const s3 = new S3Client(simClientConfig(sim));
    await s3.send(new CreateBucketCommand({ Bucket: DEMO_BUCKET })).catch((err: Error) => {
      if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
    });
    s3.destroy();
    const env = { ...sim.endpointEnv(), TARGETS_BUCKET: DEMO_BUCKET };
    const config = parseReconcileConfig(env);
    const clients = createReconcilerClients(env, DEMO_CLIENT_OPTIONS);
    undo.push(() => Object.values(clients).forEach((c) => c.destroy()));
    const logger = {
      info: () => undefined,
      warn: (message: string, data?: { reason?: string }) => opts.printer.line("reconcile", opts.printer.dim(`warn: ${message}${data?.reason ? `: ${data.reason}` : ""}`)),
      error: () => undefined,
    } as unknown as HandleDeps["logger"];
    const deps: HandleDeps = { clients, config, logger, taskDefinitions: new TaskDefinitionCache(), now: () => new Date() };

    const tracker = new DelayTracker(sim);
    undo.push(() => tracker.close());
    const fleet = new MetricsFleet(sim);
    await fleet.start();
    undo.push(() => fleet.close());
    const lifecycle = new Lifecycle(sim, fleet, { drainMs: opts.drainMs ?? 6000 });
    undo.push(() => lifecycle.close());

    const pipeline = new EventPipeline(sim, deps, opts.hooks ?? {}, opts.pipeline ?? {});
    undo.push(() => pipeline.close());

    const argv = ["--source", `ssm:${config.manifestParameter}`, "--output", outputFile, "--listen", "127.0.0.1:0", "--interval", opts.sidecarInterval ?? "1s"];
    const parsed = parseConfig(argv, {});
    if (parsed.help) throw new Error("unexpected help");
    const sidecar = await startSidecar(parsed.config, { env, log: silentLogger, defaultMetrics: false, ...(opts.onSync ? { onSync: opts.onSync } : {}) });
    undo.push(() => sidecar.stop());
    const sidecarAddress = sidecar.url!.replace(/^http:\/\//, "");
    const sidecarCommand = `scrape-reconciler sidecar ${argv.map((a) => (a === "127.0.0.1:0" ? sidecarAddress : a)).join(" ")}`;

    let prometheus: PrometheusProcess | undefined;
    let prometheusMissing: string | undefined;
    const bin = findPrometheus(opts.env);
    if (!bin) {
      prometheusMissing = "prometheus is not installed (Debian: apt-get install prometheus); the demo continues without the Prometheus stage";
    } else {
      try {
        prometheus = await startPrometheus(bin, prometheusConfig({ job: FILE_SD_JOB, fileGlob: join(sdDir, "*.json"), sidecarAddress }), join(dir, "prometheus"));
        const p = prometheus;
        undo.push(() => p.stop());
      } catch (err) {
        prometheusMissing = `prometheus could not start (${(err as Error).message.split("\n")[0]}); the demo continues without the Prometheus stage`;
      }
    }

    return { sim, env, config, clients, deps, fleet, lifecycle, pipeline, tracker, sidecar, sidecarCommand, prometheus, prometheusMissing, dir, outputFile, close };
  } catch (err) {
    await close();
    throw err;
  }
}
