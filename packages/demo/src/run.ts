// runDemo: the offline demo of the whole pipeline. Starts the parts (simulator, /metrics
// servers, the synthesised stack, sidecar, Prometheus), plays the script (the account, the
// deploy of the stack with its first full reconcile, a rolling deployment, a scale-out, a
// crash, a throttling storm, lost events with the audit and the safety net, a summary),
// then stays up for a while so the Prometheus UI can be explored. Ends at the end of that
// idle time, at --duration, or on SIGINT/SIGTERM, and always stops everything it started.
import { fileURLToPath } from "node:url";
import { crashingTask, deployStack, rollingDeployment, scaleOut, tourAccount } from "./acts-changes";
import { secondAccount } from "./acts-accounts";
import { lostEvents, throttlingStorm } from "./acts-safety";
import { DemoAborted, sleep, type ActContext } from "./context";
import { Narrator } from "./narrator";
import { Printer, type DemoIo } from "./output";
import { DEMO_STAGE, startStack, type DemoStack } from "./stack";
import { printSummary } from "./summary";

/** The demo's own account, shipped with the package: what `scrape-reconciler demo` plays by default. */
export const DEMO_SCENARIO = fileURLToPath(new URL("../scenarios/demo.json", import.meta.url));

export interface DemoOptions {
  scenario: string;
  /** Stop after this long (ms); default: the script plus `idleMs`. */
  durationMs?: number;
  /** How long to stay up after the script (ms), default 60 s. */
  idleMs?: number;
  colour?: boolean;
  env?: Record<string, string | undefined>;
  /** Resolves or aborts to stop the demo (default: SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

const PICTURE = [
  "  ECS task changes ──┐",
  "  Cloud Map API calls ├─► EventBridge rules ─► SQS batches ─► reconcile λ ─► S3: document (file_sd JSON)",
  "  schedule ──────────┘                                                     └► SSM: manifest",
  "                         Prometheus ◄── file_sd ◄── sidecar (polls SSM, writes the file atomically) ◄──┘",
];

function banner(p: Printer, s: DemoStack, scenario: string): void {
  const st = s.sim.state;
  const tasks = st.tasks({ status: "RUNNING" }).length;
  const services = s.sim.scenario.services.length + s.sim.scenario.extraCloudMapServices.length;
  p.say(
    `  AWS (simulated)   ${s.sim.url}  (${scenario}): ${s.sim.scenario.clusters.length} clusters, ${services} services, ${tasks} tasks, task IPs from ${s.sim.scenario.ipBase}`,
  );
  p.say(
    `  /metrics servers  ${s.fleet.size} real endpoints on the task IPs, started and stopped with the tasks${s.fleet.failures.length ? ` (${s.fleet.failures.length} could not open: ${s.fleet.failures.slice(0, 3).join(", ")})` : ""}`,
  );
  const d = s.settings;
  const scaled = Math.round(d.visibilityTimeoutSeconds * s.visibilityScale);
  const visibility = `visibility timeout ${d.visibilityTimeoutSeconds} s${scaled === d.visibilityTimeoutSeconds ? "" : ` (${scaled} s here, the function's timeout ${d.reconcileTimeoutSeconds} s: a failed batch comes back sooner)`}`;
  p.say(
    `  stack             sst.config.ts, stage ${s.model.stage}, synthesised and run by the emulator: ${s.model.functions.map((f) => f.name).join(", ")} (SST's bundles, Node 24)`,
  );
  p.say(
    `  event path        rules ${d.eventRules.join(", ")} → queue ${d.queue}: batch window ${d.batchWindowSeconds} s, ≤${d.batchSize} events, ${d.maxConcurrency ?? "unlimited"} at once → ${d.reconcileFn}`,
  );
  p.say(
    `                    ${visibility}${d.maxReceiveCount !== undefined ? `, dead-letter queue ${d.deadLetterQueue} after ${d.maxReceiveCount} receives` : ""}`,
  );
  p.say(
    `  schedules         ${d.reconcileSchedule.rule} ${d.reconcileSchedule.expression} → the queue (safety net); ${d.auditSchedule.rule} ${d.auditSchedule.expression} → ${d.auditFn} (${s.scheduleScale === 0 ? "fired by hand only" : s.scheduleScale === 1 ? "real time; the script also fires them" : `x${s.scheduleScale} time`})`,
  );
  p.say(`  published         s3://${s.config.bucket}/${s.config.key} + ssm:${s.config.manifestParameter}`);
  if (s.second) {
    const b = s.second;
    const tasks = b.sim.state.tasks({ status: "RUNNING" }).length;
    p.say(
      `  second account    ${b.accountId} in ${b.region} (${b.sim.url}): ${b.sim.scenario.services.length} services, ${tasks} tasks, task IPs from ${b.sim.scenario.ipBase}; its document published by its own full reconcile`,
    );
  }
  p.say(`  sidecar           ${s.sidecarCommand}`);
  if (s.prometheus) {
    p.say(`  Prometheus        ${s.prometheus.version}, pid ${s.prometheus.pid}, file_sd on the sidecar's file, scraping every 5 s`);
    p.say("");
    p.say(p.bold(`  Open the Prometheus UI: ${s.prometheus.url}/targets`));
  } else {
    p.say(p.red(`  Prometheus        ${s.prometheusMissing}`));
  }
}

/** Runs the demo; resolves with the exit code (0 when stopped by a signal or the duration). */
export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<number> {
  const p = new Printer(io, { colour: opts.colour ?? false });
  const ac = new AbortController();
  const stop = (why: string) => {
    if (ac.signal.aborted) return;
    p.say("");
    p.line("demo", `stopping (${why})…`);
    ac.abort(why);
  };
  const onSignal = (sig: NodeJS.Signals) => stop(sig);
  const external = opts.signal;
  const onExternal = () => stop(String(external?.reason ?? "stopped"));
  if (external) external.addEventListener("abort", onExternal, { once: true });
  else {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const timer = opts.durationMs !== undefined ? setTimeout(() => stop(`--duration ${opts.durationMs! / 1000}s reached`), opts.durationMs) : undefined;

  p.say(p.bold("scrape-reconciler demo: the whole pipeline on this machine, offline, no AWS account"));
  p.say(PICTURE.join("\n"));
  p.say("");
  const narrator = new Narrator(p);
  let stack: DemoStack | undefined;
  try {
    p.line("stack", `synthesising sst.config.ts (stage ${DEMO_STAGE}) while the simulator, the /metrics servers and Prometheus start…`);
    stack = await startStack({ scenario: opts.scenario, printer: p, env: opts.env ?? process.env, hooks: narrator.hooks(), onSync: narrator.onSync });
    narrator.attach(stack);
    banner(p, stack, opts.scenario);
    const ctx: ActContext = { p, s: stack, n: narrator, signal: ac.signal };
    tourAccount(ctx);
    await deployStack(ctx);
    await secondAccount(ctx);
    const eventsSince = Date.now();
    await rollingDeployment(ctx);
    await scaleOut(ctx);
    await crashingTask(ctx);
    await throttlingStorm(ctx);
    await lostEvents(ctx);
    await printSummary(ctx, eventsSince);
    const idle = opts.durationMs === undefined ? (opts.idleMs ?? 60_000) : Math.max(0, opts.durationMs - (Date.now() - p.startedAt));
    p.say("");
    p.line(
      "demo",
      `the script is over; everything stays up for ${Math.round(idle / 1000)} s more (Ctrl-C to stop now${opts.durationMs === undefined ? ", --duration to choose" : ""})`,
    );
    await sleep(ctx, idle);
  } catch (err) {
    if (!(err instanceof DemoAborted)) throw err;
  } finally {
    if (timer) clearTimeout(timer);
    narrator.close();
    const pid = stack?.prometheus?.pid;
    const dir = stack?.dir;
    await stack?.close();
    if (external) external.removeEventListener("abort", onExternal);
    else {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    const gone = pid === undefined ? "" : `, prometheus pid ${pid} ${alive(pid) ? "STILL RUNNING" : "exited"}`;
    p.line("demo", `stopped: the stack (its functions' processes), simulator, /metrics servers and sidecar closed${gone}${dir ? `, ${dir} removed` : ""}`);
  }
  return 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
