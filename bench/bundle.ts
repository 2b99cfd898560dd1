// Benchmark 5: the three functions' bundles (reconcile, audit, forward) as the deploy builds
// them: SST 4.17.1's esbuild options as the emulator mirrors them (packages/emulator's
// sst-build.ts: ESM, target esnext, names kept, the require/__dirname banner) with the
// functions' `nodejs` options of infra/lambda.ts (minified, linked source maps, split into
// chunks), every chunk checked by the deploy's own postbuild check (infra/bundle-check.ts).
// Size: the JavaScript loaded at cold start (the entry and the chunks it imports
// statically), and all JavaScript in the zip (chunks loaded only by a dynamic import
// included). Init, a cold-start proxy: `await import()` of the entry in a fresh node
// process (Node 24, as Lambda runs, when found: EMULATOR_NODE or .cache/node24; else this
// node), median of N, runs interleaved with the baseline's.
// Baseline in the same run, built the same way: the previous layout, one file (no
// splitting), the EC2 SDK imported eagerly with its client at module scope and the event
// schemas on Powertools' parser schemas (all of zod); for forward, one file.
// Also prints each bundle's largest packages (cold-start code) and whether the EC2 SDK is
// in it.
//   npx tsx bench/bundle.ts [--runs 15]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { Metafile } from "esbuild";
import { assertSdkBundled } from "../infra/bundle-check";
import { findNode24 } from "../packages/emulator/src/node24";
import { buildFunction } from "../packages/emulator/src/sst-build";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The functions' `nodejs` options in infra/lambda.ts (the deploy's build). */
export const DEPLOYED = { format: "esm", minify: true, sourcemap: true, splitting: true } as const;

export const FUNCTIONS = ["reconcile", "audit", "forward"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** What the previous layout loaded eagerly, per function (imported by the baseline's entry). */
const PREVIOUS_EAGER: Record<FunctionName, string> = {
  reconcile: `import { EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas";
(globalThis as Record<string, unknown>).previousLayout = [new EC2Client({}), EventBridgeSchema];
`,
  audit: `import { EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas";
(globalThis as Record<string, unknown>).previousLayout = [new EC2Client({}), EventBridgeSchema];
`,
  forward: "",
};

/** Bytes in the output per npm package (or source folder). */
export type Breakdown = [name: string, bytes: number][];

export interface BundleInfo {
  /** JavaScript loaded by `import()` of the entry: the entry and its static imports, transitively. */
  bytes: number;
  gzipBytes: number;
  /** All JavaScript files of the build (what the zip holds besides source maps). */
  totalBytes: number;
  files: number;
  /** Cold-start code per package. */
  breakdown: Breakdown;
  /** The EC2 SDK is in the cold-start code. */
  ec2AtInit: boolean;
  /** The output files holding EC2 SDK code (absolute paths). */
  ec2Files: string[];
  initMs: number[];
  median: number;
  /** The build's folder and entry file (kept until the run ends). */
  dir: string;
  entry: string;
}

export interface FunctionResult {
  name: FunctionName;
  ours: BundleInfo;
  baseline: BundleInfo;
}

export interface BundleResult {
  runs: number;
  node: string;
  functions: FunctionResult[];
}

const pkgOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split("/").slice(0, 2).join("/");

/** The output files `import()` of the entry loads: the entry and what it imports statically, transitively. */
export function coldStartOutputs(meta: Metafile, entryFile: string): string[] {
  const outputs = meta.outputs;
  const entry = Object.keys(outputs).find((k) => outputs[k]!.entryPoint === entryFile);
  if (!entry) throw new Error(`no output for entry ${entryFile}`);
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const o = todo.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    for (const i of outputs[o]!.imports) if (i.kind === "import-statement" && outputs[i.path]) todo.push(i.path);
  }
  return [...seen];
}

async function bundle(outRoot: string, id: string, handler: string, splitting: boolean): Promise<Omit<BundleInfo, "initMs" | "median">> {
  const built = await buildFunction(root, { functionID: id, handler, runtime: "nodejs24.x", properties: { ...DEPLOYED, splitting } }, outRoot);
  if (built.errors.length > 0) throw new Error(`${id}: ${built.errors.join("; ")}`);
  await assertSdkBundled(built.out);
  const meta = built.metafile;
  if (!meta) throw new Error(`${id}: no metafile`);
  // Paths in the metafile are relative to the working directory.
  const entrySource = relative(process.cwd(), join(root, `${handler.slice(0, handler.lastIndexOf("."))}.ts`));
  const cold = coldStartOutputs(meta, entrySource);
  const js = Object.keys(meta.outputs).filter((k) => k.endsWith(".mjs"));
  const by = new Map<string, number>();
  for (const o of cold) for (const [input, v] of Object.entries(meta.outputs[o]!.inputs)) by.set(pkgOf(input), (by.get(pkgOf(input)) ?? 0) + v.bytesInOutput);
  const read = (o: string) => readFileSync(resolve(o));
  return {
    bytes: cold.reduce((n, o) => n + meta.outputs[o]!.bytes, 0),
    gzipBytes: cold.reduce((n, o) => n + gzipSync(read(o)).length, 0),
    totalBytes: js.reduce((n, o) => n + meta.outputs[o]!.bytes, 0),
    files: js.length,
    breakdown: [...by.entries()].sort((a, b) => b[1] - a[1]),
    ec2AtInit: (by.get("@aws-sdk/client-ec2") ?? 0) > 0,
    ec2Files: js.filter((o) => Object.keys(meta.outputs[o]!.inputs).some((i) => pkgOf(i) === "@aws-sdk/client-ec2")).map((o) => resolve(o)),
    dir: built.out,
    entry: join(built.out, `${built.handler.slice(0, built.handler.lastIndexOf("."))}.mjs`),
  };
}

/** Module initialisation of `file` in a fresh node process (ms). */
function importTime(node: string, file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(node, ["--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH ?? "",
      TARGETS_BUCKET: "bench-bucket",
      AMP_REMOTE_WRITE_URL: "http://127.0.0.1:9/api/v1/write",
      AWS_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      POWERTOOLS_DEV: "false",
    },
    encoding: "utf8",
  });
  return Number(out);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * Builds and measures the functions. The builds live in a folder under .cache (the
 * baseline's entries must resolve the repository's node_modules) that `keep` leaves for the
 * caller to remove with the returned `cleanup`.
 */
export async function runBundleBench(
  runs: number,
  opts: { functions?: readonly FunctionName[]; keep?: boolean } = {},
): Promise<BundleResult & { cleanup: () => void }> {
  const work = join(root, ".cache", `bundle-bench-${process.pid}`);
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const node = findNode24(root) ?? process.execPath;
    const built: { name: FunctionName; ours: Omit<BundleInfo, "initMs" | "median">; baseline: Omit<BundleInfo, "initMs" | "median"> }[] = [];
    for (const name of opts.functions ?? FUNCTIONS) {
      const before = join(work, `before-${name}.ts`);
      writeFileSync(before, `export { handler } from "../../functions/${name}";\n${PREVIOUS_EAGER[name]}`);
      built.push({
        name,
        ours: await bundle(join(work, "out"), name, `functions/${name}.handler`, DEPLOYED.splitting),
        baseline: await bundle(join(work, "out"), `before-${name}`, `${relative(root, before).slice(0, -3)}.handler`, false),
      });
    }
    const functions: FunctionResult[] = built.map((b) => ({
      name: b.name,
      ours: { ...b.ours, initMs: [], median: 0 },
      baseline: { ...b.baseline, initMs: [], median: 0 },
    }));
    for (const f of functions) {
      importTime(node, f.ours.entry); // warm the file-system cache once for each
      importTime(node, f.baseline.entry);
    }
    for (let i = 0; i < runs; i++) {
      for (const f of functions) {
        f.ours.initMs.push(importTime(node, f.ours.entry));
        f.baseline.initMs.push(importTime(node, f.baseline.entry));
      }
    }
    for (const f of functions) {
      f.ours.median = median(f.ours.initMs);
      f.baseline.median = median(f.baseline.initMs);
    }
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    return { runs, node: version, functions, cleanup };
  } finally {
    if (!opts.keep) cleanup();
  }
}

export function report(r: BundleResult): string {
  const kb = (n: number) => `${Math.round(n / 1024).toLocaleString("en-US")} KB`;
  const line = (label: string, x: BundleInfo) =>
    `  ${label.padEnd(9)} ${kb(x.bytes).padStart(8)} (${kb(x.gzipBytes)} gzip) at init, ${kb(x.totalBytes)} in ${x.files} file${x.files === 1 ? "" : "s"}, init median ${x.median.toFixed(0)} ms (min ${Math.min(...x.initMs).toFixed(0)}, max ${Math.max(...x.initMs).toFixed(0)}, n=${x.initMs.length}), EC2 SDK at init: ${x.ec2AtInit ? "yes" : "no"}`;
  const out = [
    `SST 4.17.1's esbuild options (emulator mirror) + infra/lambda.ts nodejs ${JSON.stringify(DEPLOYED)}; every chunk checked by infra/bundle-check.ts; init = \`await import()\` in a fresh ${r.node} process, median of ${r.runs}`,
    "baseline (before) = previous layout: one file, EC2 SDK eager, event schemas on Powertools' parser (all of zod)",
  ];
  for (const f of r.functions) {
    out.push(
      `${f.name}:`,
      line("after", f.ours),
      line("before", f.baseline),
      `  largest at init (after): ${f.ours.breakdown
        .slice(0, 6)
        .map(([n, b]) => `${n} ${kb(b)}`)
        .join(", ")}`,
      `  ratio ${f.name} before/after: size at init ${(f.baseline.bytes / f.ours.bytes).toFixed(2)}x, gzip ${(f.baseline.gzipBytes / f.ours.gzipBytes).toFixed(2)}x, init ${(f.baseline.median / f.ours.median).toFixed(2)}x`,
    );
  }
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
  console.log(report(await runBundleBench(Number(values.runs))));
}
