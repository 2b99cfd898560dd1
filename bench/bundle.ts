// Benchmark 5: the reconcile Lambda bundle as SST builds it (esbuild: one minified ESM
// file, platform node, target node22, the AWS SDK bundled, checked with the deploy's own
// postbuild check infra/bundle-check.ts), its size, and its module initialisation time as a
// cold-start proxy: `await import()` of the bundle in a fresh node process, median of N.
// Baseline in the same run: the same function bundled the same way, but also creating the
// aggregated AWS SDK clients (`new ECS()`, `new S3()`, ... the v2-style classes that pull in
// every command of each service) at module scope. Also prints the bundle's largest packages.
//   npx tsx bench/bundle.ts [--runs 15]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build, type BuildOptions } from "esbuild";
import { assertSdkBundled } from "../infra/bundle-check";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Close to what SST 4's Node.js builder passes to esbuild for `nodejs: { format: "esm", minify: true }` (its banner also defines __filename/__dirname), with the node22 target. */
const SST_LIKE: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  mainFields: ["module", "main"],
  legalComments: "none",
  logLevel: "error",
  banner: { js: `import { createRequire as topLevelCreateRequire } from 'module';\nconst require = topLevelCreateRequire(import.meta.url);` },
};

/** The same function, with the aggregated clients created at module scope as v2-style code does. */
const BASELINE = `
export { handler } from "./functions/reconcile";
import { EC2 } from "@aws-sdk/client-ec2";
import { ECS } from "@aws-sdk/client-ecs";
import { S3 } from "@aws-sdk/client-s3";
import { ServiceDiscovery } from "@aws-sdk/client-servicediscovery";
import { SSM } from "@aws-sdk/client-ssm";
(globalThis as { clients?: unknown }).clients = [new ServiceDiscovery({}), new ECS({}), new EC2({}), new S3({}), new SSM({})];
`;

export interface BundleInfo {
  breakdown: Breakdown;
  bytes: number;
  gzipBytes: number;
  initMs: number[];
}

export interface BundleResult {
  runs: number;
  ours: BundleInfo & { median: number };
  baseline: BundleInfo & { median: number };
}

/** Bytes in the output per npm package (or source folder). */
export type Breakdown = [name: string, bytes: number][];

async function bundle(dir: string, name: string, entry: { file: string } | { contents: string }): Promise<{ file: string; breakdown: Breakdown }> {
  const outfile = join(dir, name, "index.mjs");
  const r = await build({
    metafile: true,
    ...SST_LIKE,
    outfile,
    ...("file" in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: root, sourcefile: `${name}.ts`, loader: "ts" } }),
  });
  await assertSdkBundled(dirname(outfile));
  const by = new Map<string, number>();
  for (const out of Object.values(r.metafile?.outputs ?? {})) {
    for (const [input, v] of Object.entries(out.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split("/").slice(0, 2).join("/");
      by.set(pkg, (by.get(pkg) ?? 0) + v.bytesInOutput);
    }
  }
  return { file: outfile, breakdown: [...by.entries()].sort((a, b) => b[1] - a[1]) };
}

/** Module initialisation of `file` in a fresh node process (ms). */
function importTime(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH ?? "",
      TARGETS_BUCKET: "bench-bucket",
      AWS_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      POWERTOOLS_DEV: "false",
    },
    encoding: "utf8",
  });
  return Number(out);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function runBundleBench(runs: number): Promise<BundleResult> {
  const dir = mkdtempSync(join(tmpdir(), "bundle-bench-"));
  try {
    const o = await bundle(dir, "reconcile", { file: join(root, "functions", "reconcile.ts") });
    const bl = await bundle(dir, "baseline", { contents: BASELINE });
    const ours = o.file;
    const base = bl.file;
    const info = (b: { file: string; breakdown: Breakdown }): BundleInfo => ({
      breakdown: b.breakdown,
      bytes: statSync(b.file).size,
      gzipBytes: gzipSync(readFileSync(b.file)).length,
      initMs: [],
    });
    const a = info(o);
    const b = info(bl);
    importTime(ours); // warm the file-system cache once for both
    importTime(base);
    for (let i = 0; i < runs; i++) {
      a.initMs.push(importTime(ours));
      b.initMs.push(importTime(base));
    }
    return { runs, ours: { ...a, median: median(a.initMs) }, baseline: { ...b, median: median(b.initMs) } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function report(r: BundleResult): string {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const line = (name: string, x: BundleInfo & { median: number }) =>
    `${name.padEnd(44)} ${kb(x.bytes).padStart(8)} (${kb(x.gzipBytes)} gzip), init median ${x.median.toFixed(0)} ms (min ${Math.min(...x.initMs).toFixed(0)}, max ${Math.max(...x.initMs).toFixed(0)}, n=${x.initMs.length})`;
  return [
    "esbuild, minified ESM, node22 target, AWS SDK bundled (checked by infra/bundle-check.ts); init = `await import()` in a fresh node process",
    line("ours: functions/reconcile.ts", r.ours),
    line("baseline: aggregated clients (new ECS() ...)", r.baseline),
    `largest parts of ours: ${r.ours.breakdown
      .slice(0, 6)
      .map(([n, b]) => `${n} ${kb(b)}`)
      .join(", ")}`,
    `ratio baseline/ours: size ${(r.baseline.bytes / r.ours.bytes).toFixed(2)}x, gzip ${(r.baseline.gzipBytes / r.ours.gzipBytes).toFixed(2)}x, init ${(r.baseline.median / r.ours.median).toFixed(2)}x`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
  console.log(report(await runBundleBench(Number(values.runs))));
}
