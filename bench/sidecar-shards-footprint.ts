// The sidecar's RSS while syncing a large account that changes one service at a time
// (issues "Footprint" and "Cost per event"): 200 services x 50 targets (10,000), one
// service's targets changing every second, read by two bundled sidecars side by side on
// Node 24 with the image's NODE_OPTIONS and a 1 s interval: one following the single
// document (republished whole on every change, as before the shards), one following the
// shard index (the index and the changed shard written on every change, as the reconciler
// does). Prints each one's RSS (median and max), CPU, and the generation it reached, with
// the 90 MiB budget. Not asserted (the smoke test only runs it).
//   npx tsx bench/sidecar-shards-footprint.ts [--seconds 30] [--services 200] [--targets 50]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { simClientConfig } from "@scrape-reconciler/sim";
import { BUCKET, fleet, INDEX_KEY, KEY, putSharded, serviceId, shardedLayout, simPublisher } from "../packages/sidecar/test/publishers";
import { freePort } from "../test/support/free-port";
import { waitFor } from "../test/support/prometheus";
import { arg, buildBundle, imageNodeBinary, imageNodeOptions, mb, runNode, sampleProc, sleep, stats, type Child, type ProcSample } from "./sidecar-support";

export const BUDGET_MIB = 90;

export interface ShardsFootprintOptions {
  seconds: number;
  services: number;
  targets: number;
}

export interface SideFootprint {
  name: string;
  rssMedian: number;
  rssMax: number;
  cpuPercent: number;
  generation: number;
}

export interface ShardsFootprintResult {
  options: ShardsFootprintOptions;
  node: string;
  nodeOptions: string;
  documentBytes: number;
  lastGeneration: number;
  sides: SideFootprint[];
}

export async function runShardsFootprint(o: ShardsFootprintOptions): Promise<ShardsFootprintResult> {
  const node = imageNodeBinary();
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  const nodeOptions = imageNodeOptions();
  const dir = mkdtempSync(join(tmpdir(), "sidecar-shards-"));
  const bundle = buildBundle();
  const pub = await simPublisher("s3");
  if (!pub.sim) throw new Error("the s3 publisher has no simulator");
  const s3 = new S3Client(simClientConfig(pub.sim));
  const children: { name: string; child: Child; port: number }[] = [];
  try {
    const revs = Array.from({ length: o.services }, () => 1);
    let generation = 1;
    const publishBoth = async (changed?: number) => {
      const layout = shardedLayout(
        fleet(o.services, o.targets, (n) => revs[n]!),
        generation,
      );
      await putSharded(s3, layout, changed === undefined ? {} : { shards: (s) => s.id === serviceId(changed) });
      await pub.publish(layout.documentText, { generation });
      return Buffer.byteLength(layout.documentText);
    };
    const documentBytes = await publishBoth();
    for (const [name, key] of [
      ["single document", KEY],
      ["shard index", INDEX_KEY],
    ] as const) {
      const port = await freePort();
      const args = [
        bundle,
        "--source",
        `s3://${BUCKET}/${key}`,
        "--output",
        join(dir, `${children.length}.json`),
        "--listen",
        `127.0.0.1:${port}`,
        "--interval",
        "1s",
      ];
      const env = { ...pub.env, NODE_OPTIONS: nodeOptions, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
      children.push({ name, child: runNode(args, env, node), port });
    }
    const generationOf = async (port: number) =>
      Number((await fetch(`http://127.0.0.1:${port}/targets`).catch(() => undefined))?.headers.get("x-document-generation") ?? 0);
    for (const c of children) {
      await waitFor(async () => (await generationOf(c.port)) === generation, 60_000, 100).catch((err: Error) => {
        throw new Error(`${c.name}: ${err.message}\n${c.child.logs()}`);
      });
    }
    await sleep(2000);
    const rss: number[][] = children.map(() => []);
    const first: ProcSample[] = children.map((c) => sampleProc(c.child.pid));
    const end = performance.now() + o.seconds * 1000;
    let tick = 0;
    while (performance.now() < end) {
      const n = (tick * 37) % o.services;
      revs[n]! += 1;
      generation += 1;
      tick += 1;
      await publishBoth(n);
      const until = Math.min(end, performance.now() + 1000);
      while (performance.now() < until) {
        for (const [i, c] of children.entries()) rss[i]!.push(sampleProc(c.child.pid).rssBytes);
        await sleep(250);
      }
    }
    const last = children.map((c) => sampleProc(c.child.pid));
    const sides: SideFootprint[] = [];
    for (const [i, c] of children.entries()) {
      await waitFor(async () => (await generationOf(c.port)) === generation, 30_000, 100).catch(() => undefined);
      sides.push({
        name: c.name,
        rssMedian: stats(rss[i]!).median,
        rssMax: stats(rss[i]!).max,
        cpuPercent: ((last[i]!.cpuSeconds - first[i]!.cpuSeconds) / ((last[i]!.at - first[i]!.at) / 1000)) * 100,
        generation: await generationOf(c.port),
      });
    }
    return { options: o, node: version, nodeOptions, documentBytes, lastGeneration: generation, sides };
  } finally {
    await Promise.all(children.map((c) => c.child.stop()));
    s3.destroy();
    await pub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function report(r: ShardsFootprintResult): string {
  const o = r.options;
  const lines = [
    `sidecar syncing ${o.services} services x ${o.targets} targets (document ${(r.documentBytes / 1024 / 1024).toFixed(1)} MiB), one service changing every second for ${o.seconds} s; Node ${r.node}, NODE_OPTIONS "${r.nodeOptions}", interval 1 s`,
  ];
  for (const s of r.sides) {
    const over = s.rssMax > BUDGET_MIB * 1024 * 1024 ? "OVER" : "within";
    lines.push(
      `  ${s.name}: RSS median ${mb(s.rssMedian)} MiB, max ${mb(s.rssMax)} MiB (${over} ${BUDGET_MIB} MiB), CPU ${s.cpuPercent.toFixed(1)} % of a core, reached generation ${s.generation} of ${r.lastGeneration}`,
    );
  }
  const [single, index] = r.sides;
  if (single && index)
    lines.push(
      `  ratio single/index: RSS max ${(single.rssMax / index.rssMax).toFixed(2)}x, CPU ${(single.cpuPercent / Math.max(0.01, index.cpuPercent)).toFixed(1)}x`,
    );
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(report(await runShardsFootprint({ seconds: arg("seconds", 30), services: arg("services", 200), targets: arg("targets", 50) })));
}
