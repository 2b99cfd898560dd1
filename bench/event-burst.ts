// Benchmark 3: a deployment burst through the reconcile function's event path.
// 50 services roll out a new revision (plus scale-outs and crashes) on the simulator; the
// EventBridge events (duplicated and shuffled, filtered by the deployed rule patterns) go
// to the handler in SQS batches as a 5 s batching window with 2 concurrent invocations
// would cut them. Baseline in the same process: the same kind of burst delivered one event
// per invocation (no coalescing). Prints document writes, final-state correctness
// (the document equals a full discovery's, byte for byte), AWS reads per task event and
// handler time per event.
//   npx tsx bench/event-burst.ts [--services 50] [--tasks 4] [--batches 4]
import { parseArgs } from "node:util";
import { buildDocument, serializeDocument } from "@scrape-reconciler/core";
import { discover } from "@scrape-reconciler/discovery";
import { reconcile } from "@scrape-reconciler/reconcile";
import { readPublished } from "@scrape-reconciler/store";
import { EventBridgeEmitter, generateScenario } from "@scrape-reconciler/sim";
import { startSimEnv, type SimEnv } from "../test/support/sim-env";
import { captureLogger, chunks, deliver, routed } from "../test/support/events";

const { values } = parseArgs({
  options: { services: { type: "string", default: "50" }, tasks: { type: "string", default: "4" }, batches: { type: "string", default: "4" } },
});

interface Run {
  events: number;
  taskEvents: number;
  invocations: number;
  documentWrites: number;
  s3Puts: number;
  reads: number;
  ms: number;
  equal: boolean;
}

async function burst(perInvocation: number | "window", services: number): Promise<Run> {
  const env: SimEnv = await startSimEnv({
    scenario: generateScenario({ services, tasksPerService: Number(values.tasks), namespaces: 3, clusters: 3, ec2Every: 5 }),
  });
  const capture = captureLogger(); // the real Powertools Logger, its lines kept off the terminal
  try {
    const deps = { clients: env.clients, config: env.config, now: () => new Date(), logger: capture.logger };
    await reconcile(deps);
    const emitter = new EventBridgeEmitter(env.sim.state, { duplicateRate: 0.2, shuffle: true, seed: "bench" });
    env.sim.scenario.services.forEach((svc, i) => {
      env.sim.state.deployService(svc.cluster, svc.name, 2);
      if (i % 7 === 0) env.sim.state.setDesiredCount(svc.cluster, svc.name, 6);
    });
    for (const t of env.sim.state.tasks({ status: "RUNNING" }).filter((_, i) => i % 25 === 0)) env.sim.state.stopTask(t.taskArn!, "crash");
    const events = routed([...emitter.drain(), ...emitter.flush()]);
    emitter.close();
    env.sim.calls.reset();
    const size = perInvocation === "window" ? Math.ceil(events.length / Number(values.batches)) : perInvocation;
    const batches = chunks(events, size);
    let documentWrites = 0;
    const started = performance.now();
    for (let i = 0; i < batches.length; i += 2) {
      const rs = await Promise.all(batches.slice(i, i + 2).map((b) => deliver(deps, b)));
      documentWrites += rs.filter((r) => r.summary.documentWritten).length;
    }
    const ms = performance.now() - started;
    const log = env.sim.calls.log;
    const published = await readPublished({ ...env.clients, bucket: env.config.bucket, key: env.config.key });
    const full = serializeDocument(buildDocument(await discover(env.clients, { tagNames: env.config.tagNames }), undefined).document);
    return {
      events: events.length,
      taskEvents: events.filter((e) => (e as { source: string }).source === "aws.ecs").length,
      invocations: batches.length,
      documentWrites,
      s3Puts: log.filter((c) => c.key === "s3:PutObject" && c.status === 200).length,
      reads: log.filter((c) => c.readOnly).length,
      ms,
      equal: published?.text === full,
    };
  } finally {
    capture.restore();
    await env.sim.close();
  }
}

const services = Number(values.services);
const ours = await burst("window", services);
const baseline = await burst(1, Math.max(5, Math.round(services / 10)));
const line = (name: string, r: Run) =>
  `${name.padEnd(28)} ${String(r.events).padStart(6)} events ${String(r.invocations).padStart(5)} invocations ${String(r.documentWrites).padStart(5)} document writes ` +
  `${(r.reads / r.taskEvents).toFixed(3)} reads/task event ${(r.ms / r.events).toFixed(2)} ms/event ${Math.round((r.events / r.ms) * 1000)} events/s final=full reconcile: ${r.equal}`;
console.log(line("batched (5 s window, 2 conc.)", ours));
console.log(line("baseline (1 event/invocation)", baseline));
const writesPer2000 = (r: Run) => (r.documentWrites / r.events) * 2000;
console.log(
  `document writes per 2,000 events: ${writesPer2000(ours).toFixed(1)} vs ${writesPer2000(baseline).toFixed(0)} (ratio ${(writesPer2000(baseline) / writesPer2000(ours)).toFixed(0)}x fewer)`,
);
console.log(
  `handler time per event: ${(ours.ms / ours.events).toFixed(2)} ms vs ${(baseline.ms / baseline.events).toFixed(2)} ms (ratio ${(baseline.ms / baseline.events / (ours.ms / ours.events)).toFixed(1)}x)`,
);
if (!ours.equal || !baseline.equal) process.exitCode = 1;
