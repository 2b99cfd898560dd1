// Where the sidecar's idle memory goes (issue "Footprint"): the RSS of programs that each add
// one layer of what the sidecar does, run side by side on the image's Node line (24) with the
// image's NODE_OPTIONS, each idle for --seconds after its work, sampled once a second:
//   1. bare node: a timer;
//   2. the least any sidecar does: a node:http server answering one request, one node:http
//      request, a sha256, an atomic file write (the floor, whatever the source's client);
//   3. (2) plus the AWS SDK's S3Client sending one conditional GetObject (answered 304);
//   4. (2) plus prom-client with its default metrics, scraped once;
//   5. (2) + (3) + (4): the sidecar's libraries without the sidecar's own code.
// The sidecar bundle itself is measured by bench/sidecar-footprint.ts. Each layer is bundled
// by esbuild as the sidecar is (one minified ESM file). Prints each layer's RSS (anon and file
// pages) and its ratio against bare node; budget line: 60 MiB at idle.
//
//   npx tsx bench/sidecar-floor.ts [--seconds 10]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { arg, imageNodeBinary, imageNodeOptions, mb, runNode, sleep, stats, type Child } from "./sidecar-support";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET_MIB = 60;

/** Each layer's source: `work(port)` does the layer's calls once; the harness reports memory. */
const FLOOR = `
import { createHash } from "node:crypto";
import { request, createServer } from "node:http";
import { writeFileSync, renameSync } from "node:fs";
export async function floor(port, out) {
  const server = createServer((_q, s) => s.end("ok")).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  await new Promise((r) => request({ host: "127.0.0.1", port: server.address().port, path: "/" }, (res) => { res.resume(); res.on("end", r); }).end());
  createHash("sha256").update("[]").digest("hex");
  writeFileSync(out + ".tmp", "[]"); renameSync(out + ".tmp", out);
}`;
const S3 = `
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
export async function s3(port) {
  const c = new S3Client({ region: "us-east-1", endpoint: "http://127.0.0.1:" + port, forcePathStyle: true, credentials: { accessKeyId: "AKIDFLOOR", secretAccessKey: "floor" } });
  await c.send(new GetObjectCommand({ Bucket: "bucket", Key: "targets.json", IfNoneMatch: '"e"' })).catch(() => undefined);
}`;
const PROM = `
import { Registry, collectDefaultMetrics, Counter } from "prom-client";
export async function prom() {
  const r = new Registry();
  collectDefaultMetrics({ register: r, prefix: "", eventLoopMonitoringPrecision: 100 });
  new Counter({ name: "floor_total", help: "floor", registers: [r] }).inc();
  await r.metrics();
}`;
const HARNESS = (calls: string) => `
${calls}
const port = Number(process.env.FLOOR_PORT), out = process.env.FLOOR_OUT;
setInterval(() => {}, 1000);
void (async () => { ${calls.includes("floor(") ? "await floor(port, out);" : ""} ${calls.includes("s3(") ? "await s3(port);" : ""} ${calls.includes("prom(") ? "await prom();" : ""} })();`;

const LAYERS: { name: string; source: string }[] = [
  { name: "bare node (a timer)", source: HARNESS("") },
  { name: "floor: http server + client, sha256, file write", source: HARNESS(FLOOR) },
  { name: "floor + S3Client (one conditional GetObject)", source: HARNESS(FLOOR + S3) },
  { name: "floor + prom-client (default metrics, one scrape)", source: HARNESS(FLOOR + PROM) },
  { name: "floor + S3Client + prom-client", source: HARNESS(FLOOR + S3 + PROM) },
];

const statusKb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

export interface LayerResult {
  name: string;
  rssMedian: number;
  rssAnon: number;
  rssFile: number;
}

export interface FloorResult {
  node: string;
  nodeOptions: string;
  seconds: number;
  layers: LayerResult[];
}

/** Runs every layer side by side, idle for `seconds` after its work, and samples its RSS. */
export async function runFloor(seconds: number): Promise<FloorResult> {
  const node = imageNodeBinary();
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  const nodeOptions = imageNodeOptions();
  // Under node_modules so esbuild resolves the packages; the S3 layer's endpoint answers 304.
  const dir = join(root, "node_modules", ".cache", "sidecar-floor");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = createServer((_q, s) => {
    s.statusCode = 304;
    s.setHeader("ETag", '"e"');
    s.end();
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as { port: number }).port;
  const children: Child[] = [];
  try {
    for (const [i, layer] of LAYERS.entries()) {
      writeFileSync(join(dir, `layer-${i}.mjs`), layer.source);
      const outfile = join(dir, `layer-${i}.bundle.mjs`);
      await build({
        entryPoints: [join(dir, `layer-${i}.mjs`)],
        outfile,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "esm",
        minify: true,
        logLevel: "error",
        banner: { js: `import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);` },
      });
      const env = {
        NODE_OPTIONS: nodeOptions,
        FLOOR_PORT: String(port),
        FLOOR_OUT: join(dir, `out-${i}.json`),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      };
      children.push(runNode([outfile], env, node));
    }
    await sleep(2000);
    const rss: number[][] = children.map(() => []);
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      for (const [i, c] of children.entries()) rss[i]!.push(statusKb(c.pid, "VmRSS"));
    }
    const layers = LAYERS.map((layer, i) => ({
      name: layer.name,
      rssMedian: stats(rss[i]!).median,
      rssAnon: statusKb(children[i]!.pid, "RssAnon"),
      rssFile: statusKb(children[i]!.pid, "RssFile"),
    }));
    return { node: version, nodeOptions, seconds, layers };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    server.close();
  }
}

export function report(r: FloorResult): string {
  const lines = [`sidecar memory floor on Node ${r.node}, NODE_OPTIONS "${r.nodeOptions}", ${r.seconds} s idle after the work (median RSS)`];
  const bare = r.layers[0]!.rssMedian;
  for (const l of r.layers) {
    const over = l.rssMedian > BUDGET_MIB * 1024 * 1024 ? `OVER ${BUDGET_MIB} MiB` : `within ${BUDGET_MIB} MiB`;
    lines.push(
      `  ${l.name}: RSS ${mb(l.rssMedian)} MiB (anon ${mb(l.rssAnon)}, file ${mb(l.rssFile)}), x${(l.rssMedian / bare).toFixed(2)} bare (+${mb(l.rssMedian - bare)} MiB), ${over}`,
    );
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) console.log(report(await runFloor(arg("seconds", 10))));
