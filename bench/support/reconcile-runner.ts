// Child process of bench/reconcile-cost.ts: runs the full reconcile RUNS times against the
// endpoints in its environment (the simulator, in the parent) and prints one JSON line per
// run with its own CPU time (process.cpuUsage: this process only, not the simulator's),
// wall time, targets and whether it wrote. Bundled by the benchmark, once from today's
// sources and once from a baseline commit's, so both sides run the same way.
import { createReconcilerClients, parseReconcileConfig, reconcile } from "@scrape-reconciler/reconcile";

const runs = Number(process.env.RUNS ?? "3");
const clients = createReconcilerClients(process.env);
const config = parseReconcileConfig(process.env);
for (let i = 0; i < runs; i++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = await reconcile({ clients, config, now: () => new Date() });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const line = { run: i + 1, cpuMs: (used.user + used.system) / 1000, wallMs, targets: summary.targets, written: summary.written };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
process.exit(0);
