// Child process of bench/reconcile-cost.ts: runs the full reconcile RUNS times against the
// endpoints in its environment (the simulator, in the parent) and prints one JSON line per
// run with its own CPU time (process.cpuUsage: this process only, not the simulator's),
// wall time, targets and whether it wrote. Bundled by the benchmark, once from today's
// sources and once from a baseline commit's, so both sides run the same way.
import { createReconcilerClients, parseReconcileConfig, reconcile } from "@scrape-reconciler/reconcile";

const runs = Number(process.env.RUNS ?? "3");
const clients = createReconcilerClients(process.env);
const config = parseReconcileConfig(process.env);
// The runs are a schedule's: each one SCHEDULE_MS (default 5 minutes, the stack's) after the
// one before on the reconciler's clock, so each steady run describes again the known tasks
// whose turn came in that time (core's verification.ts), as a scheduled one does.
const scheduleMs = Number(process.env.SCHEDULE_MS ?? 5 * 60 * 1000);
for (let i = 0; i < runs; i++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const offset = i * scheduleMs;
  const summary = await reconcile({ clients, config, now: () => new Date(Date.now() + offset) });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const line = {
    run: i + 1,
    cpuMs: (used.user + used.system) / 1000,
    wallMs,
    targets: summary.targets,
    written: summary.written,
    described: summary.stats.tasksDescribed,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
process.exit(0);
