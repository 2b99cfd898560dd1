// Sidecar at idle: RSS and CPU of the bundled sidecar (child process) polling S3 in the
// local simulator every 1 s (steady state: conditional GETs answered 304), with --output
// and --listen, against a bare Node process doing nothing but a 1 s timer (the baseline,
// measured in the same run). Both run on Node 24 (the image's line) when .cache/node24 or
// EMULATOR_NODE has it, else on this process' node; the sidecar with the image's NODE_OPTIONS.
// (The footprint against the previous build and while syncing: bench/sidecar-footprint.ts.)
//
//   npx tsx bench/sidecar-idle.ts [--seconds 60] [--warmup 5]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { freePort } from "../test/support/free-port";
import { waitFor } from "../test/support/prometheus";
import { makeDocument, serialize } from "../packages/sidecar/test/e2e-support";
import { simPublisher } from "../packages/sidecar/test/publishers";
import { buildBundle, arg, imageNodeBinary, imageNodeOptions, mb, runNode, sampleProc, sleep, stats, type ProcSample } from "./sidecar-support";

const seconds = arg("seconds", 60);
const warmup = arg("warmup", 5);

const node = imageNodeBinary();
const nodeVersion = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
const nodeOptions = imageNodeOptions();
const dir = mkdtempSync(join(tmpdir(), "sidecar-idle-"));
const bundle = buildBundle();
const publisher = await simPublisher("s3");
await publisher.publish(serialize(makeDocument(Array.from({ length: 200 }, (_, i) => `10.0.${i >> 8}.${i & 255}:9100`))));
const port = await freePort();
const sidecar = runNode(
  [
    bundle,
    "--source",
    "s3://targets-bucket/targets/ecs-services.json",
    "--output",
    join(dir, "ecs-services.json"),
    "--listen",
    `127.0.0.1:${port}`,
    "--interval",
    "1s",
  ],
  { ...publisher.env, NODE_OPTIONS: nodeOptions, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  node,
);
const bare = runNode(["-e", "setInterval(() => {}, 1000)"], { NODE_OPTIONS: "" }, node);

try {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/targets`)).status === 200, 20_000, 50);
  await sleep(warmup * 1000);
  const sim = publisher.sim!;
  const gets0 = sim.calls.get("s3:GetObject");
  const first = { sidecar: sampleProc(sidecar.pid), bare: sampleProc(bare.pid) };
  const rss: { sidecar: number[]; bare: number[] } = { sidecar: [], bare: [] };
  let last = first;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, end - performance.now()));
    last = { sidecar: sampleProc(sidecar.pid), bare: sampleProc(bare.pid) };
    rss.sidecar.push(last.sidecar.rssBytes);
    rss.bare.push(last.bare.rssBytes);
  }
  const cpu = (a: ProcSample, b: ProcSample) => (b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000);
  const gets = sim.calls.get("s3:GetObject") - gets0;
  const not304 = sim.calls.log.filter((c) => c.key === "s3:GetObject" && c.status !== 304).length;
  const s = stats(rss.sidecar);
  const b = stats(rss.bare);
  const cpuSidecar = cpu(first.sidecar, last.sidecar);
  const cpuBare = cpu(first.bare, last.bare);
  console.log(
    `sidecar idle on Node ${nodeVersion} (NODE_OPTIONS ${JSON.stringify(nodeOptions)}), interval 1s, S3 source (simulator), 200-target document, ${seconds} s after ${warmup} s warm-up`,
  );
  console.log(`  S3 GetObject calls: ${gets} (${(gets / seconds).toFixed(2)}/s); non-304 GETs over the whole run: ${not304}`);
  console.log(`  sidecar RSS: median ${mb(s.median)} MiB, max ${mb(s.max)} MiB; CPU ${(cpuSidecar * 100).toFixed(2)} % of one core`);
  console.log(`  bare node (baseline): RSS median ${mb(b.median)} MiB; CPU ${(cpuBare * 100).toFixed(2)} %`);
  console.log(
    `  ratio sidecar/bare: RSS ${(s.median / b.median).toFixed(2)}x (+${mb(s.median - b.median)} MiB), CPU +${((cpuSidecar - cpuBare) * 100).toFixed(2)} points`,
  );
} finally {
  await sidecar.stop();
  await bare.stop();
  await publisher.close();
  rmSync(dir, { recursive: true, force: true });
}
