// Delay from an S3 write of the targets document to: the sidecar's file, its /targets
// endpoint, and a real Prometheus' active targets through file_sd and http_sd.
// The sidecar is the bundle (child process) polling S3 in the local simulator every 1 s;
// Prometheus uses refresh_interval 1s for both discoveries (file_sd also gets file
// notifications; its discovery manager applies updates in 5 s batches, a floor of its own).
// Baseline, in the same run: the same pipeline with a 30 s poll, the old sidecar's period.
//
//   npx tsx bench/sidecar-delay.ts [--runs 100] [--baseline-runs 10]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/support/free-port";
import { startMetricsServers } from "../test/support/metrics-server";
import { activeTargets, startPrometheus, waitFor } from "../test/support/prometheus";
import { FILE_JOB, HTTP_JOB, makeDocument, prometheusConfig, serialize } from "../packages/sidecar/test/e2e-support";
import { simPublisher } from "../packages/sidecar/test/publishers";
import { arg, buildBundle, runNode, sleep, stats, type Child } from "./sidecar-support";

const runs = arg("runs", 100);
const baselineRuns = arg("baseline-runs", 10);

const dir = mkdtempSync(join(tmpdir(), "sidecar-delay-"));
mkdirSync(join(dir, "sd"));
const output = join(dir, "sd", "ecs-services.json");
const bundle = buildBundle();
const servers = await startMetricsServers(6);
const stable = servers.targets.slice(0, 2);
const rotating = servers.targets.slice(2);
const publisher = await simPublisher("s3");
const port = await freePort();
const prom = await startPrometheus({ config: prometheusConfig({ fileGlob: join(dir, "sd", "*.json"), targetsUrl: `http://127.0.0.1:${port}/targets` }) });

function startSidecar(interval: string): Child {
  return runNode(
    [bundle, "--source", "s3://targets-bucket/targets/ecs-services.json", "--output", output, "--listen", `127.0.0.1:${port}`, "--interval", interval],
    { ...publisher.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  );
}

interface Run {
  file: number;
  targets: number;
  promFile: number;
  promHttp: number;
}

let published = 0;

async function once(timeoutMs: number): Promise<Run> {
  const extra = rotating[published++ % rotating.length]!; // differs from the previous document's
  const body = serialize(makeDocument([...stable, extra]));
  await publisher.publish(body);
  const t0 = performance.now();
  const r: Partial<Run> = {};
  const since = () => performance.now() - t0;
  await Promise.all([
    waitFor(
      () => {
        try {
          if (readFileSync(output, "utf8") !== body) return false;
          r.file = since();
          return r.file;
        } catch {
          return false;
        }
      },
      timeoutMs,
      5,
    ),
    waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/targets`);
        if (res.status !== 200 || (await res.text()) !== body) return false;
        r.targets = since();
        return r.targets;
      },
      timeoutMs,
      10,
    ),
    waitFor(
      async () => {
        const all = await activeTargets(prom.url);
        const has = (job: string) => all.some((t) => t.scrapePool === job && t.labels.instance === extra);
        if (r.promFile === undefined && has(FILE_JOB)) r.promFile = since();
        if (r.promHttp === undefined && has(HTTP_JOB)) r.promHttp = since();
        return r.promFile !== undefined && r.promHttp !== undefined;
      },
      timeoutMs,
      25,
    ),
  ]);
  return r as Run;
}

/**
 * `phaseMs`: a uniform random pause before each publication, as long as the longest period
 * involved (Prometheus' 5 s batches, the poll interval), so publications land at random
 * phases like real events; without it every run would start just after the previous tick.
 */
async function series(interval: string, n: number, timeoutMs: number, phaseMs: number): Promise<Run[]> {
  const sidecar = startSidecar(interval);
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 || undefined, 20_000, 50).catch(() => undefined);
    const out: Run[] = [];
    for (let i = 0; i < n; i++) {
      await sleep(Math.random() * phaseMs);
      out.push(await once(timeoutMs));
      if ((i + 1) % 10 === 0) process.stderr.write(`  ${interval}: ${i + 1}/${n}\n`);
    }
    return out;
  } finally {
    const code = await sidecar.stop();
    if (code !== 0) console.error(`sidecar exited ${code}: ${sidecar.logs().slice(-2000)}`);
  }
}

const fmt = (xs: number[]) => {
  const s = stats(xs);
  return `median ${s.median.toFixed(0)} ms, p90 ${s.p90.toFixed(0)}, p99 ${s.p99.toFixed(0)}, max ${s.max.toFixed(0)} (n=${s.n})`;
};

try {
  // prime: Prometheus and the file have the first document
  const prime = startSidecar("1s");
  await publisher.publish(serialize(makeDocument(stable)));
  await waitFor(async () => (await activeTargets(prom.url, FILE_JOB)).length === 2, 30_000, 100);
  await prime.stop();

  const fast = await series("1s", runs, 30_000, 5000);
  console.log(`S3 write -> ..., sidecar --interval 1s, ${runs} runs (Prometheus file_sd/http_sd refresh_interval 1s):`);
  console.log(`  sidecar file                 ${fmt(fast.map((r) => r.file))}`);
  console.log(`  sidecar GET /targets         ${fmt(fast.map((r) => r.targets))}`);
  console.log(`  Prometheus active (file_sd)  ${fmt(fast.map((r) => r.promFile))}`);
  console.log(`  Prometheus active (http_sd)  ${fmt(fast.map((r) => r.promHttp))}`);
  if (baselineRuns > 0) {
    const slow = await series("30s", baselineRuns, 60_000, 30_000);
    const fileRatio = stats(slow.map((r) => r.promFile)).median / stats(fast.map((r) => r.promFile)).median;
    const sideRatio = stats(slow.map((r) => r.file)).median / stats(fast.map((r) => r.file)).median;
    console.log(`baseline: the same pipeline polling every 30 s (the old sidecar's period), ${baselineRuns} runs:`);
    console.log(`  sidecar file                 ${fmt(slow.map((r) => r.file))}`);
    console.log(`  Prometheus active (file_sd)  ${fmt(slow.map((r) => r.promFile))}`);
    console.log(`ratio baseline/new (medians): sidecar file ${sideRatio.toFixed(1)}x, Prometheus file_sd target ${fileRatio.toFixed(1)}x`);
  }
} finally {
  await prom.stop();
  await servers.close();
  await publisher.close();
  rmSync(dir, { recursive: true, force: true });
}
