// Benchmark 4 (requests and cost): what a sidecar beside each Prometheus asks of AWS per
// hour, and what that costs, against the old sidecar's AWS calls per hour at its 30 s poll
// for the same account. (RSS and CPU at idle: bench/sidecar-idle.ts.)
// Measured: the sidecar (in process, --interval 1s) polling the simulator's S3 (conditional
// GET, a 304 when nothing changed) or SSM (GetParameter, then a GET only when the manifest
// changed) while the document changes every few seconds: requests per poll and per change.
// Measured: one old-sidecar reload and one full reconcile of ours on a generated account
// (their AWS calls). Computed: per hour at the sidecar's default 1 s interval, with an
// assumed number of document changes per hour; S3 GET at $0.0004 per 1,000 (us-east-1, a
// 304 is a GET); SSM GetParameter on the standard tier is not charged.
//   npx tsx bench/sidecar-cost.ts [--seconds 30] [--change-every 5] [--services 200] [--tasks 50] [--changes-per-hour 60]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { reconcile } from "@scrape-reconciler/reconcile";
import { DEFAULT_INTERVAL_MS, silentLogger, startSidecar } from "@scrape-reconciler/sidecar";
import { simClientConfig } from "@scrape-reconciler/sim";
import { makeDocument, serialize } from "../packages/sidecar/test/e2e-support";
import { simPublisher } from "../packages/sidecar/test/publishers";
import { startSimEnv } from "../test/support/sim-env";
import { buildScenario } from "./full-reconcile";
import { oldClients, oldReload, OLD_INTERVAL_SECONDS } from "./old-sidecar";

export const S3_GET_PER_1000_USD = 0.0004;
/** The sidecar's default --interval. */
export const DEFAULT_INTERVAL_SECONDS = DEFAULT_INTERVAL_MS / 1000;
const HOURS_PER_MONTH = 730;

export interface CostOptions {
  seconds: number;
  changeEverySeconds: number;
  services: number;
  tasks: number;
  changesPerHour: number;
}

export interface SourceCost {
  kind: "s3" | "ssm";
  polls: number;
  changes: number;
  requests: Record<string, number>;
  notModified: number;
  /** Per hour at the default interval and the assumed changes per hour. */
  perHour: { s3Gets: number; ssmGets: number; usd: number };
}

export interface CostResult {
  options: CostOptions;
  sources: SourceCost[];
  old: { callsPerReload: number; callsPerHour: number; errors: string[] };
  ours: { callsPerFullReconcile: number; fullReconcilesPerHour: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureSource(kind: "s3" | "ssm", o: CostOptions): Promise<SourceCost> {
  const pub = await simPublisher(kind);
  const dir = mkdtempSync(join(tmpdir(), "sidecar-cost-"));
  const targets = (n: number) => Array.from({ length: 200 }, (_, i) => `10.0.${(i + n) >> 8}.${(i + n) & 255}:9100`);
  let polls = 0;
  try {
    await pub.publish(serialize(makeDocument(targets(0))));
    const sim = pub.sim!;
    const h = await startSidecar(
      { source: pub.spec, output: join(dir, "ecs-services.json"), intervalMs: 1000, maxBackoffMs: 60_000, logLevel: "error" },
      {
        ...pub.startOptions,
        log: silentLogger,
        defaultMetrics: false,
        onSync: () => {
          polls += 1;
        },
      },
    );
    try {
      await sleep(1500); // first sync done
      sim.calls.reset();
      polls = 0;
      let changes = 0;
      const end = Date.now() + o.seconds * 1000;
      let nextChange = Date.now() + o.changeEverySeconds * 1000;
      while (Date.now() < end) {
        await sleep(Math.min(100, end - Date.now()));
        if (Date.now() >= nextChange && Date.now() < end - 1500) {
          changes += 1;
          await pub.publish(serialize(makeDocument(targets(changes))));
          nextChange += o.changeEverySeconds * 1000;
        }
      }
      const requests = sim.calls.snapshot();
      delete requests["s3:PutObject"];
      delete requests["ssm:PutParameter"];
      const notModified = sim.calls.log.filter((c) => c.key === "s3:GetObject" && c.status === 304).length;
      const pollsPerHour = 3600 / DEFAULT_INTERVAL_SECONDS;
      const gets = requests["s3:GetObject"] ?? 0;
      const ssm = requests["ssm:GetParameter"] ?? 0;
      // S3 source: one conditional GET per poll, changed or not. SSM source: one GetParameter per poll, one GET per change.
      const s3Gets = kind === "s3" ? pollsPerHour * (gets / Math.max(1, polls)) : o.changesPerHour * (gets / Math.max(1, changes));
      const ssmGets = kind === "ssm" ? pollsPerHour * (ssm / Math.max(1, polls)) : 0;
      return { kind, polls, changes, requests, notModified, perHour: { s3Gets, ssmGets, usd: (s3Gets / 1000) * S3_GET_PER_1000_USD } };
    } finally {
      await h.stop();
    }
  } finally {
    await pub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureAccount(o: CostOptions): Promise<CostResult["old"] & { fullReconcile: number }> {
  const { scenario } = buildScenario({ services: o.services, tasks: o.tasks, latencyMs: 0 });
  const env = await startSimEnv({ scenario });
  const old = oldClients(simClientConfig(env.sim));
  try {
    env.sim.calls.reset();
    const r = await oldReload(old);
    const callsPerReload = env.sim.calls.total({});
    env.sim.calls.reset();
    await reconcile({ clients: env.clients, config: env.config, now: () => new Date() });
    const fullReconcile = env.sim.calls.total({});
    return { callsPerReload, callsPerHour: callsPerReload * (3600 / OLD_INTERVAL_SECONDS), errors: r.errors, fullReconcile };
  } finally {
    old.servicediscovery.destroy();
    old.ssm.destroy();
    await env.sim.close();
  }
}

export async function runSidecarCost(o: CostOptions): Promise<CostResult> {
  const sources = [await measureSource("s3", o), await measureSource("ssm", o)];
  const acct = await measureAccount(o);
  return {
    options: o,
    sources,
    old: { callsPerReload: acct.callsPerReload, callsPerHour: acct.callsPerHour, errors: acct.errors },
    ours: { callsPerFullReconcile: acct.fullReconcile, fullReconcilesPerHour: 12 },
  };
}

export function report(r: CostResult): string {
  const o = r.options;
  const usd = (x: number) => `$${x.toFixed(x < 0.01 ? 5 : 2)}`;
  const lines = [`sidecar polling the simulator every 1 s for ${o.seconds} s, the document changing every ${o.changeEverySeconds} s:`];
  for (const s of r.sources) {
    const req = Object.entries(s.requests)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    lines.push(`  source ${s.kind.padEnd(3)}: ${s.polls} polls, ${s.changes} changes → ${req}${s.kind === "s3" ? ` (${s.notModified} answered 304)` : ""}`);
  }
  lines.push(`per Prometheus replica and hour at the default --interval ${DEFAULT_INTERVAL_SECONDS}s, ${o.changesPerHour} document changes an hour:`);
  for (const s of r.sources) {
    lines.push(
      `  source ${s.kind.padEnd(3)}: ${Math.round(s.perHour.s3Gets)} S3 GETs + ${Math.round(s.perHour.ssmGets)} SSM GetParameter = ${usd(s.perHour.usd)}/hour, ${usd(s.perHour.usd * HOURS_PER_MONTH)}/month (SSM standard tier: no charge)`,
    );
  }
  const best = Math.min(...r.sources.map((s) => s.perHour.s3Gets + s.perHour.ssmGets));
  lines.push(
    `old sidecar, same account (${o.services} services, first pages only): ${r.old.callsPerReload} AWS calls per reload x ${3600 / OLD_INTERVAL_SECONDS}/hour = ${r.old.callsPerHour} calls/hour per replica`,
  );
  lines.push(`  (Cloud Map List* and SSM standard calls are not billed per call; they spend the account's API rate limits, shared with deployments)`);
  lines.push(
    `ours, once per account (not per replica): a full reconcile every 5 min = ${r.ours.callsPerFullReconcile} calls x ${r.ours.fullReconcilesPerHour} = ${r.ours.callsPerFullReconcile * r.ours.fullReconcilesPerHour} calls/hour, plus the event batches' S3/SSM requests (bench/event-burst.ts)`,
  );
  lines.push(`ratio old/ours, AWS requests per replica and hour: ${(r.old.callsPerHour / best).toFixed(1)}x`);
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "30" },
      "change-every": { type: "string", default: "5" },
      services: { type: "string", default: "200" },
      tasks: { type: "string", default: "50" },
      "changes-per-hour": { type: "string", default: "60" },
    },
  });
  const r = await runSidecarCost({
    seconds: Number(values.seconds),
    changeEverySeconds: Number(values["change-every"]),
    services: Number(values.services),
    tasks: Number(values.tasks),
    changesPerHour: Number(values["changes-per-hour"]),
  });
  console.log(report(r));
}
