// Measures `scrape-reconciler reconcile --dry-run` as a user runs it (the bin, a child
// process) against the simulator seeded with SERVICES x TASKS, and prints its wall time
// and the AWS calls it made, counted by the simulator.
//   npx tsx bench/reconcile-cli.ts [--services 200] [--tasks 50] [--latency-ms 0]
import { execFile } from "node:child_process";
import { parseArgs, promisify } from "node:util";
import { generateScenario } from "@scrape-reconciler/sim";
import { startSimEnv } from "../test/support/sim-env";

const { values } = parseArgs({
  options: { services: { type: "string", default: "200" }, tasks: { type: "string", default: "50" }, "latency-ms": { type: "string", default: "0" } },
});
const services = Number(values.services);
const tasks = Number(values.tasks);
const env = await startSimEnv({
  scenario: generateScenario({ services, tasksPerService: tasks, namespaces: 4, clusters: 4, ec2Every: 10 }),
  latencyMs: Number(values["latency-ms"]),
});
try {
  env.sim.calls.reset(); // count the CLI's calls only, not the set-up's CreateBucket
  const started = performance.now();
  const r = await promisify(execFile)(process.execPath, ["bin/scrape-reconciler.mjs", "reconcile", "--dry-run"], {
    env: { PATH: process.env.PATH, ...env.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const lines = r.stdout.trimEnd().split("\n");
  console.log(lines.slice(0, 5).join("\n"));
  console.log("...");
  console.log(lines.slice(-4).join("\n"));
  const calls = env.sim.calls.snapshot();
  console.log(`\n${services} services x ${tasks} tasks, ${values["latency-ms"]} ms latency per call`);
  console.log(`wall time (process start to exit): ${(wallMs / 1000).toFixed(2)} s`);
  console.log(`AWS calls: ${Object.values(calls).reduce((a, b) => a + b, 0)} in all`);
  for (const [op, n] of Object.entries(calls).sort()) console.log(`  ${op.padEnd(40)} ${n}`);
} finally {
  await env.sim.close();
}
