// Benchmark 1: a full reconcile of a large account against the old sidecar's reload, on the
// same simulator with the same latency per AWS call. Ours: `reconcile` (dry run) with its
// default concurrency; the old one: bench/old-sidecar.ts (serial, first pages, private DNS
// only). The account is built so the old one's faults show: most services in one private
// namespace (more than one page of 100), some services with more than 100 tasks, HTTP and
// public namespaces, EC2 bridge services, and services with an infra endpoint. Prints wall
// time, AWS calls, the targets the old one misses (by reason), the addresses it gets wrong,
// and its `instance` label collisions.
//   npx tsx bench/full-reconcile.ts [--services 200] [--tasks 50] [--latency-ms 20]
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { reconcile } from "@scrape-reconciler/reconcile";
import { generateScenario, simClientConfig, type ScenarioInput } from "@scrape-reconciler/sim";
import { startSimEnv } from "../test/support/sim-env";
import { instanceCollisions, NAMESPACES_PARAMETER, oldClients, oldReload } from "./old-sidecar";

export interface FullReconcileOptions {
  services: number;
  tasks: number;
  latencyMs: number;
  /** Every k-th service runs `bigTasks` tasks (more than a page of instances). */
  bigEvery?: number;
  bigTasks?: number;
  /** Every k-th service also has an infra endpoint (ECS_METRICS_PORT). */
  infraEvery?: number;
  /** Every k-th service runs on EC2 in bridge mode (default 10). */
  ec2Every?: number;
  /** Caps Cloud Map page sizes (smoke tests use small pages instead of large accounts). */
  pageSize?: number;
}

export interface Side {
  wallMs: number;
  calls: number;
  byOperation: Record<string, number>;
  targets: number;
  collisions: { labels: number; targets: number };
}

export interface FullReconcileResult {
  options: FullReconcileOptions;
  tasks: number;
  expectedTargets: number;
  ours: Side & { complete: boolean };
  old: Side & { missed: Record<string, number>; missedTotal: number; wrongAddresses: number; errors: string[] };
}

/** The account: services spread 60/20/20 over a private, an HTTP and a public namespace. */
export function buildScenario(o: FullReconcileOptions): { scenario: ScenarioInput; expectedTargets: number; tasks: number } {
  const sc = generateScenario({
    services: o.services,
    tasksPerService: o.tasks,
    namespaces: 3,
    clusters: 4,
    ec2Every: o.ec2Every ?? 10,
    seed: "full-reconcile",
  });
  const [priv, http, pub] = sc.namespaces!.map((n) => n.name);
  let expectedTargets = 0;
  let tasks = 0;
  sc.services = sc.services!.map((s, i) => {
    const big = (i + 1) % (o.bigEvery ?? 15) === 0;
    const infra = (i + 1) % (o.infraEvery ?? 4) === 0;
    const desiredCount = big ? (o.bigTasks ?? 150) : o.tasks;
    tasks += desiredCount;
    expectedTargets += desiredCount * (infra ? 2 : 1);
    const td = s.taskDefinition!;
    const slot = (i + Math.floor(i / 10)) % 10; // not in step with ec2Every, so bridge services land in every namespace
    return {
      ...s,
      namespace: slot < 6 ? priv! : slot < 8 ? http! : pub!,
      desiredCount,
      tags: infra ? { ...s.tags, ECS_METRICS_PORT: "9779", ECS_METRICS_PATH: "/metrics" } : s.tags,
      taskDefinition: infra ? { ...td, containers: [...td.containers, { name: "ecs-exporter", ports: [9779] }] } : td,
    };
  });
  sc.parameters = { [NAMESPACES_PARAMETER]: sc.namespaces!.map((n) => n.name).join(",") };
  return { scenario: sc, expectedTargets, tasks };
}

export async function runFullReconcileBench(o: FullReconcileOptions): Promise<FullReconcileResult> {
  const { scenario, expectedTargets, tasks } = buildScenario(o);
  const env = await startSimEnv({ scenario, latencyMs: o.latencyMs, ...(o.pageSize ? { pageSizes: { "servicediscovery:*": o.pageSize } } : {}) });
  const old = oldClients(simClientConfig(env.sim));
  try {
    const { sim } = env;
    // ours
    sim.calls.reset();
    let t = performance.now();
    const summary = await reconcile({ clients: env.clients, config: env.config, now: () => new Date() }, { dryRun: true });
    const oursMs = performance.now() - t;
    const oursCalls = sim.calls.snapshot();
    const doc = summary.diff.added; // a fresh account has no document yet: every target is "added"
    // the old sidecar
    sim.calls.reset();
    t = performance.now();
    const r = await oldReload(old);
    const oldMs = performance.now() - t;
    const oldCalls = sim.calls.snapshot();

    const oldKeys = new Set(r.groups.flatMap((g) => g.targets.map((x) => `${x}${g.labels.__metrics_path__}`)));
    const oursKeys = new Set(doc.map((a) => `${a.target}${a.labels.__metrics_path__ ?? "/metrics"}`));
    const missed: Record<string, number> = {};
    for (const a of doc) {
      if (oldKeys.has(`${a.target}${a.labels.__metrics_path__ ?? "/metrics"}`)) continue;
      const l = a.labels;
      const reason =
        l.__meta_cloudmap_namespace_type !== "DNS_PRIVATE"
          ? "namespace not DNS_PRIVATE"
          : !(r.services.get(l.namespace ?? "") ?? []).includes(l.__meta_cloudmap_service_name ?? "")
            ? "service past the first page of its namespace"
            : l.__meta_ecs_network_mode === "bridge"
              ? "bridge task scraped at the container port, not the host port"
              : "instance past the first page of its service";
      missed[reason] = (missed[reason] ?? 0) + 1;
    }
    const groups = doc.map((a) => ({ targets: [a.target], labels: a.labels }));
    const total = (c: Record<string, number>) => Object.values(c).reduce((x, y) => x + y, 0);
    return {
      options: o,
      tasks,
      expectedTargets,
      ours: {
        wallMs: oursMs,
        calls: total(oursCalls),
        byOperation: oursCalls,
        targets: summary.targets,
        collisions: instanceCollisions(groups),
        complete: summary.targets === expectedTargets && summary.failed.length === 0,
      },
      old: {
        wallMs: oldMs,
        calls: total(oldCalls),
        byOperation: oldCalls,
        targets: oldKeys.size,
        collisions: instanceCollisions(r.groups),
        missed,
        missedTotal: total(missed),
        wrongAddresses: [...oldKeys].filter((k) => !oursKeys.has(k)).length,
        errors: r.errors,
      },
    };
  } finally {
    old.servicediscovery.destroy();
    old.ssm.destroy();
    await env.sim.close();
  }
}

export function report(r: FullReconcileResult): string {
  const o = r.options;
  const ops = (c: Record<string, number>) =>
    Object.entries(c)
      .sort()
      .map(([k, v]) => `${k.replace(/^servicediscovery:/, "sd:")} ${v}`)
      .join(", ");
  const sdCalls = Object.entries(r.ours.byOperation)
    .filter(([k]) => k.startsWith("servicediscovery:"))
    .reduce((a, [, n]) => a + n, 1);
  const lines = [
    `account: ${o.services} Cloud Map services, ${r.tasks} tasks, ${r.expectedTargets} targets expected; ${o.latencyMs} ms per AWS call${o.pageSize ? `; page size ${o.pageSize}` : ""}`,
    `ours (reconcile --dry-run, concurrency 8): ${(r.ours.wallMs / 1000).toFixed(2)} s, ${r.ours.calls} AWS calls, ${r.ours.targets} targets (complete: ${r.ours.complete}), instance-label collisions: ${r.ours.collisions.labels}`,
    `  ${ops(r.ours.byOperation)}`,
    `old sidecar (one reload, serial):         ${(r.old.wallMs / 1000).toFixed(2)} s, ${r.old.calls} AWS calls, ${r.old.targets} targets`,
    `  ${ops(r.old.byOperation)}`,
    `  misses ${r.old.missedTotal} of ${r.ours.targets} targets (${((100 * r.old.missedTotal) / Math.max(1, r.ours.targets)).toFixed(0)} %):`,
    ...Object.entries(r.old.missed).map(([why, n]) => `    ${String(n).padStart(6)}  ${why}`),
    `  publishes ${r.old.wrongAddresses} targets at an address nothing listens on (bridge tasks at the container port)`,
    `  instance-label collisions: ${r.old.collisions.labels} labels shared by ${r.old.collisions.targets} targets (app + infra endpoints of one task, bridge tasks of one host)`,
    `time per target found: ours ${((1000 * r.ours.wallMs) / Math.max(1, r.ours.targets)).toFixed(0)} µs, old ${((1000 * r.old.wallMs) / Math.max(1, r.old.targets)).toFixed(0)} µs; ` +
      `the old algorithm reading every page and namespace would need ${sdCalls} serial Cloud Map calls ≈ ${((sdCalls * o.latencyMs) / 1000).toFixed(1)} s of latency alone`,
    `ratio old/ours: wall time ${(r.old.wallMs / r.ours.wallMs).toFixed(2)}x, AWS calls ${(r.old.calls / r.ours.calls).toFixed(2)}x, targets found ${(r.old.targets / r.ours.targets).toFixed(2)}x`,
  ];
  if (r.old.errors.length) lines.push(`old sidecar errors: ${r.old.errors.join("; ")}`);
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { services: { type: "string", default: "200" }, tasks: { type: "string", default: "50" }, "latency-ms": { type: "string", default: "20" } },
  });
  const r = await runFullReconcileBench({ services: Number(values.services), tasks: Number(values.tasks), latencyMs: Number(values["latency-ms"]) });
  console.log(report(r));
  if (!r.ours.complete) process.exitCode = 1;
}
