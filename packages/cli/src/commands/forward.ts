// `scrape-reconciler forward [--once] [--dry-run] [--json]`: CloudWatch RDS and
// ElastiCache metrics -> remote write, one cycle every FORWARD_INTERVAL (60 s) until
// SIGINT/SIGTERM, or one cycle with --once. --dry-run (one cycle) queries CloudWatch and
// prints what would be sent, writing nothing and moving no high-water mark. Exit code:
// 0 when the (last) cycle had no error, 1 otherwise.
import { createForwarder, createForwarderClients, parseForwardConfig, type Forwarder, type ForwardSummary } from "@scrape-reconciler/forwarder";
import { parseFlags } from "../flags";
import type { Command, Io } from "../io";

const USAGE = "forward [--once] [--dry-run] [--json]";

function time(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function formatForwardSummary(s: ForwardSummary): string {
  const lines: string[] = [];
  if (s.dryRun) {
    for (const p of s.preview ?? []) {
      const first = p.samples[0]!;
      const last = p.samples[p.samples.length - 1]!;
      lines.push(`${p.key} ${p.samples.length} sample(s) ${time(first.timestamp)}..${time(last.timestamp)} last=${last.value}`);
    }
  }
  const dropped =
    Object.entries(s.samplesDropped)
      .map(([r, n]) => `${n} ${r}`)
      .join(", ") || "none";
  const verb = s.dryRun ? "would forward" : "forwarded";
  const samples = s.dryRun ? (s.preview ?? []).reduce((n, p) => n + p.samples.length, 0) : s.samplesSent;
  lines.push(
    `${verb} ${samples} samples of ${s.series} series (dropped: ${dropped}; pending: ${s.samplesPending}) from ` +
      `${s.resources.rdsInstance} RDS instances, ${s.resources.rdsCluster} Aurora clusters, ${s.resources.elastiCacheNode} ElastiCache nodes; ` +
      `${s.seriesQueried}/${s.seriesPlanned} series queried, ${s.metricsRequested} metrics requested in ${s.calls["cloudwatch:GetMetricData"] ?? 0} GetMetricData call(s); ` +
      `window end ${s.windowEnd}; took ${s.durationMs} ms`,
  );
  for (const m of s.missing) lines.push(`missing: ${m}`);
  for (const e of s.errors) lines.push(`error: ${e}`);
  return lines.join("\n");
}

export interface LoopOptions {
  intervalMs: number;
  json: boolean;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Runs cycles until the signal aborts; a failing cycle is reported and the loop goes on. Returns the last cycle's exit code. */
export async function forwardLoop(forwarder: Forwarder, io: Io, opts: LoopOptions): Promise<number> {
  const sleep = opts.sleep ?? abortableSleep;
  let code = 0;
  while (!opts.signal.aborted) {
    const started = Date.now();
    try {
      const s = await forwarder.run();
      io.out(opts.json ? JSON.stringify(s) : formatForwardSummary(s));
      code = s.ok ? 0 : 1;
    } catch (err) {
      io.err(`forward cycle failed: ${(err as Error)?.message ?? String(err)}`);
      code = 1;
    }
    if (opts.signal.aborted) break;
    await sleep(Math.max(0, opts.intervalMs - (Date.now() - started)), opts.signal);
  }
  return code;
}

export const forwardCommand: Command = async (args, env, io) => {
  const { values } = parseFlags(args, { once: { type: "boolean" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } }, USAGE);
  const config = parseForwardConfig(env);
  const forwarder = createForwarder({ config, clients: createForwarderClients(env), env });
  const json = Boolean(values.json);
  if (values.once || values["dry-run"]) {
    const s = await forwarder.run({ dryRun: Boolean(values["dry-run"]) });
    io.out(json ? JSON.stringify(s, null, 2) : formatForwardSummary(s));
    return s.ok ? 0 : 1;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await forwardLoop(forwarder, io, { intervalMs: config.intervalMs, json, signal: stop.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
};
