// The demo's running parts: the local AWS simulator seeded from the scenario (on a
// loopback range of its own), real /metrics servers on the task IPs, the stack as
// `sst deploy --stage demo` would create it (the real sst.config.ts synthesised, then run
// whole by the emulator against the simulator: its rules, queue, event source, schedules,
// alarms, and its functions from SST's bundles on Node 24), the event pipeline that puts
// the account's EventBridge events on the stack's bus, the sidecar reading the stack's
// own manifest parameter, and a real Prometheus on the sidecar's file. `start` prepares
// everything but the deploy; `deploy()` is the demo's first act. `close` stops all of it.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { parseReconcileConfig, type ReconcileConfig } from "@scrape-reconciler/reconcile";
import { EmulatedStack, platformAvailable, stackModel, synthesize, type StackModel, type Synthesis } from "@scrape-reconciler/emulator";
import { parseConfig, silentLogger, startSidecar, type SidecarHandle, type SyncOutcome } from "@scrape-reconciler/sidecar";
import { loadScenarioFile, simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { MetricsFleet } from "./fleet";
import { FunctionLogs, type InvocationRecord } from "./function-logs";
import { Lifecycle } from "./lifecycle";
import { claimLoopback } from "./loopback";
import type { Printer } from "./output";
import { EventPipeline, type PipelineHooks, type PipelineOptions } from "./pipeline";
import { findPrometheus, freePort, prometheusConfig, startPrometheus, type PrometheusProcess } from "./prometheus";
import { deployedSettings, type DeployedSettings } from "./settings";
import { SECOND_ACCOUNT_SCENARIO, SecondAccount } from "./second-account";
import { DelayTracker } from "./tracker";

export const FILE_SD_JOB = "ecs-services";
/** The repository root: sst.config.ts and infra/ are what the demo deploys. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const DEMO_STAGE = "demo";
/**
 * The demo's stage (infra/config.ts's schema): the whole account, every Cloud Map
 * namespace and every cluster (so the hand-registered Cloud Map instances count too), the
 * default tags, schedules and alarms, no AMP (so no forwarder), a throwaway stage. The
 * account and region are the simulator's (the scenario's).
 */
export const DEMO_STAGE_CONFIG = { removal: "remove", protect: false, namespaces: [], clusters: [] } as const;

export class DemoStackError extends Error {
  override name = "DemoStackError";
}

export interface StackHooks extends PipelineHooks {
  /** Every finished invocation of the stack's functions, read from their logs. */
  onInvocation?: (r: InvocationRecord) => void;
}

export interface StackOptions {
  scenario: string;
  printer: Printer;
  env: Record<string, string | undefined>;
  pipeline?: PipelineOptions;
  hooks?: StackHooks;
  /** Called with each sidecar sync outcome and the name of its source. */
  onSync?: (outcome: SyncOutcome, source: string) => void;
  /** The second account's scenario (default: the one shipped); false: one account only. */
  secondAccount?: string | false;
  drainMs?: number;
  /** The sidecar's --interval (default 1s). */
  sidecarInterval?: string;
  /** Time scale of the stack's schedules: 1 = real time, as deployed (default); 0 = fired by hand only. */
  scheduleScale?: number;
  /**
   * Scale of the queue's visibility timeout. Default: down to the reconcile function's
   * timeout (360 s -> 60 s), so a failed batch comes back within the demo, while a running
   * batch still can never reappear (AWS asks for at least the timeout; the stack sets 6x).
   */
  visibilityScale?: number;
}

type Undo = () => Promise<void> | void;

/** Runs the undo steps, newest first; one that fails does not stop the others. */
async function undoAll(undo: Undo[]): Promise<void> {
  for (const u of undo.splice(0).reverse()) {
    try {
      await u();
    } catch {
      // keep undoing the rest
    }
  }
}

/** What `start` brings up, before the deploy. */
export interface DemoParts {
  sim: Simulator;
  synthesis: Synthesis;
  /** The stack as synthesised: what the deploy creates. */
  model: StackModel;
  settings: DeployedSettings;
  /** The simulator's endpoints and credentials plus the reconcile function's environment. */
  env: Record<string, string>;
  config: ReconcileConfig;
  s3: S3Client;
  logs: FunctionLogs;
  fleet: MetricsFleet;
  lifecycle: Lifecycle;
  pipeline: EventPipeline;
  tracker: DelayTracker;
  sidecar: SidecarHandle;
  sidecarCommand: string;
  /** The second account, read by the same sidecar and Prometheus. */
  second?: SecondAccount;
  dir: string;
  outputFile: string;
  prometheus?: PrometheusProcess;
  /** Why Prometheus is not running, when it is not. */
  prometheusMissing?: string;
}

// The class carries the parts as its own fields: declared here (no initialiser, so no
// emitted code), assigned by the constructor; `implements` keeps the list in step with DemoParts.
export class DemoStack implements Readonly<DemoParts> {
  declare readonly sim: Simulator;
  declare readonly synthesis: Synthesis;
  /** The stack as synthesised: what the deploy creates. */
  declare readonly model: StackModel;
  declare readonly settings: DeployedSettings;
  /** The simulator's endpoints and credentials plus the reconcile function's environment. */
  declare readonly env: Record<string, string>;
  declare readonly config: ReconcileConfig;
  declare readonly s3: S3Client;
  declare readonly logs: FunctionLogs;
  declare readonly fleet: MetricsFleet;
  declare readonly lifecycle: Lifecycle;
  declare readonly pipeline: EventPipeline;
  declare readonly tracker: DelayTracker;
  declare readonly sidecar: SidecarHandle;
  declare readonly sidecarCommand: string;
  /** The second account, read by the same sidecar and Prometheus. */
  declare readonly second?: SecondAccount;
  declare readonly dir: string;
  declare readonly outputFile: string;
  declare readonly prometheus?: PrometheusProcess;
  /** Why Prometheus is not running, when it is not. */
  declare readonly prometheusMissing?: string;
  private emulated: EmulatedStack | undefined;
  /** When the deploy started and ended (ms), once deployed. */
  deployedAt: { started: number; ended: number } | undefined;

  private constructor(
    private readonly opts: StackOptions,
    private readonly undo: Undo[],
    parts: DemoParts,
  ) {
    Object.assign(this, parts);
  }

  /** The schedules' time scale (1: real time). */
  get scheduleScale(): number {
    return this.opts.scheduleScale ?? 1;
  }

  /** The scale of the queue's visibility timeout. */
  get visibilityScale(): number {
    const { reconcileTimeoutSeconds, visibilityTimeoutSeconds } = this.settings;
    return this.opts.visibilityScale ?? Math.min(1, reconcileTimeoutSeconds / visibilityTimeoutSeconds);
  }

  get reconcileFn(): string {
    return this.settings.reconcileFn;
  }

  get auditFn(): string {
    return this.settings.auditFn;
  }

  /** The deployed stack; only after deploy(). */
  get emulation(): EmulatedStack {
    if (!this.emulated) throw new DemoStackError("the stack is not deployed yet");
    return this.emulated;
  }

  get deployed(): boolean {
    return this.emulated !== undefined;
  }

  /** `sst deploy`: brings the synthesised stack up on the simulator, deploy-time invocations included. */
  async deploy(): Promise<EmulatedStack> {
    if (this.emulated) return this.emulated;
    const started = Date.now();
    const stack = await EmulatedStack.deploy({
      root: ROOT,
      stage: DEMO_STAGE,
      aws: this.sim,
      synthesis: this.synthesis,
      scheduleScale: this.scheduleScale,
      visibilityScale: this.visibilityScale,
      onLog: this.logs.onLog,
    });
    this.undo.push(() => stack.close());
    this.emulated = stack;
    this.deployedAt = { started, ended: Date.now() };
    this.pipeline.connect(stack, this.reconcileFn);
    return stack;
  }

  /** Stops everything start() and deploy() brought up, and removes the demo's folder. */
  close(): Promise<void> {
    return undoAll(this.undo);
  }

  static async start(opts: StackOptions): Promise<DemoStack> {
    const undo: Undo[] = [];
    try {
      if (!platformAvailable(ROOT)) {
        throw new DemoStackError("SST's platform (.sst/platform) is missing, so sst.config.ts cannot be synthesised: run `npm run demo` once (it installs it)");
      }
      const dir = mkdtempSync(join(tmpdir(), "scrape-reconciler-demo-"));
      undo.push(() => rmSync(dir, { recursive: true, force: true }));
      const sdDir = join(dir, "file_sd");
      mkdirSync(sdDir);

      const claim = await claimLoopback(loadScenarioFile(opts.scenario));
      undo.push(() => claim.release());
      const sim = await startSimulator({ scenario: claim.scenario });
      undo.push(() => sim.close());

      // The synthesis (several seconds) runs while the /metrics servers and Prometheus start.
      const sidecarPort = await freePort();
      const sidecarAddress = `127.0.0.1:${sidecarPort}`;
      const fleet = new MetricsFleet(sim);
      undo.push(() => fleet.close());
      const parts = [
        synthesize({
          root: ROOT,
          stage: DEMO_STAGE,
          config: DEMO_STAGE_CONFIG,
          account: sim.state.accountId,
          region: sim.state.region,
          outDir: join(dir, "synth"),
        }),
        fleet.start(),
        startPrometheusIfAny(opts.env, sdDir, sidecarAddress, join(dir, "prometheus"), undo),
        opts.secondAccount === false ? Promise.resolve(undefined) : SecondAccount.start(opts.secondAccount ?? SECOND_ACCOUNT_SCENARIO, undo),
      ] as const;
      await Promise.allSettled(parts); // each part has registered its undo before a failure is thrown
      const [synthesis, , prom, second] = await Promise.all(parts);
      // The second account's first document, before the sidecar starts reading it.
      await second?.reconcile();
      const model = stackModel(synthesis);
      const settings = deployedSettings(model);
      const fnEnv = model.functions.find((f) => f.name === settings.reconcileFn)!.environment;
      const env = { ...sim.endpointEnv(), ...fnEnv };
      const config = parseReconcileConfig(env);
      const s3 = new S3Client(simClientConfig(sim));
      undo.push(() => s3.destroy());

      const tracker = new DelayTracker(sim);
      undo.push(() => tracker.close());
      const lifecycle = new Lifecycle(sim, fleet, { drainMs: opts.drainMs ?? 6000 });
      undo.push(() => lifecycle.close());
      const pipeline = new EventPipeline(sim, opts.hooks ?? {}, opts.pipeline ?? {});
      undo.push(() => pipeline.close());
      const logs = new FunctionLogs((r) => {
        pipeline.onInvocation(r);
        opts.hooks?.onInvocation?.(r);
      });

      // The sidecar reads the stack's own manifest parameter, as its task definition would,
      // and the second account's document from S3: one file per account in the file_sd
      // directory, each target labelled with its account id and region.
      const first = `ssm:${config.manifestParameter}`;
      const sources = second ? [`${first}?name=${sim.state.accountId}&region=${sim.state.region}`, second.source()] : [first];
      const outputFile = join(sdDir, second ? `${sim.state.accountId}.json` : "ecs-services.json");
      const argv = [
        ...sources.flatMap((source) => ["--source", source]),
        ...(second ? ["--output-dir", sdDir] : ["--output", outputFile]),
        "--listen",
        sidecarAddress,
        "--interval",
        opts.sidecarInterval ?? "1s",
      ];
      const parsed = parseConfig(argv, {});
      if (parsed.help) throw new DemoStackError("the sidecar's arguments asked for help");
      const sidecar = await startSidecar(parsed.config, {
        env: sim.endpointEnv(),
        log: silentLogger,
        defaultMetrics: false,
        ...(second ? { clientOptions: (source) => (source.name === second.accountId ? { s3Config: second.clientConfig() } : {}) } : {}),
        ...(opts.onSync ? { onSync: opts.onSync } : {}),
      });
      undo.push(() => sidecar.stop());
      const sidecarCommand = `scrape-reconciler sidecar ${argv.map((a) => (/[?&]/.test(a) ? `'${a}'` : a)).join(" ")}`;

      return new DemoStack(opts, undo, {
        sim,
        synthesis,
        model,
        settings,
        env,
        config,
        s3,
        logs,
        fleet,
        lifecycle,
        pipeline,
        tracker,
        sidecar,
        sidecarCommand,
        ...(second ? { second } : {}),
        dir,
        outputFile,
        ...(prom.process ? { prometheus: prom.process } : {}),
        ...(prom.missing ? { prometheusMissing: prom.missing } : {}),
      });
    } catch (err) {
      await undoAll(undo);
      throw err;
    }
  }
}

async function startPrometheusIfAny(
  env: Record<string, string | undefined>,
  sdDir: string,
  sidecarAddress: string,
  dataDir: string,
  undo: Undo[],
): Promise<{ process?: PrometheusProcess; missing?: string }> {
  const bin = findPrometheus(env);
  if (!bin) return { missing: "prometheus is not installed (Debian: apt-get install prometheus); the demo continues without the Prometheus stage" };
  try {
    const p = await startPrometheus(bin, prometheusConfig({ job: FILE_SD_JOB, fileGlob: join(sdDir, "*.json"), sidecarAddress }), dataDir);
    undo.push(() => p.stop());
    return { process: p };
  } catch (err) {
    return { missing: `prometheus could not start (${(err as Error).message.split("\n")[0]}); the demo continues without the Prometheus stage` };
  }
}

/** Starts everything but the deploy (see DemoStack.deploy). */
export function startStack(opts: StackOptions): Promise<DemoStack> {
  return DemoStack.start(opts);
}
