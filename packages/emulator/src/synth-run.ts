// Runs the real sst.config.ts offline, as `sst deploy` would run it, and records what it
// declares: every resource with its real inputs (Pulumi's unit-test mocks stand in for
// the providers) and every function bundle, built by the same esbuild options SST's
// binary uses (sst-build.ts), answered over SST's own RPC protocol: the components call
// the binary at $SST_SERVER, so a small JSON-RPC server here plays that part and nothing
// of SST is patched. Pulumi's runtime and SST's globals are process-wide: run this once
// per process (synth-main.ts is that process; synth.ts starts it).
import { createServer, type Server } from "node:http";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildFunction, type BuildInput, type BuildOutput } from "./sst-build";
import { mockCall, mockState, type MockAt } from "./synth-mocks";

export interface SynthResource {
  type: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: Pulumi's untyped resource inputs, read by field across the stack model and the infra tests
  inputs: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: Pulumi's untyped resource state, read by field across the stack model and the infra tests
  state: Record<string, any>;
}

export interface SynthBuild extends BuildOutput {
  functionID: string;
  runtime: string;
  /** The handler as declared in infra/ (`functions/reconcile.handler`). */
  source: string;
  properties: BuildInput["properties"];
}

export interface Synthesis {
  app: string;
  stage: string;
  account: string;
  region: string;
  /** What `app()` returned (removal, protect, home). */
  appConfig: Record<string, unknown>;
  resources: SynthResource[];
  builds: SynthBuild[];
  outputs: Record<string, unknown>;
}

export class SynthError extends Error {
  override name = "SynthError";
}

export function platformDir(root: string): string {
  return join(root, ".sst", "platform");
}

export function platformAvailable(root: string): boolean {
  const p = platformDir(root);
  return existsSync(join(p, "config.d.ts")) && existsSync(join(p, "node_modules", "@pulumi", "aws", "package.json"));
}

/** How a function is built: SST's esbuild options by default (a test may stand in a stub). */
export type Builder = (root: string, input: BuildInput, outRoot: string) => Promise<BuildOutput>;

/** The binary's side of SST's RPC: bootstrap data and function builds. */
function startRpc(root: string, outDir: string, builds: SynthBuild[], at: MockAt, builder: Builder): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const reply = (result: unknown, error: string | null = null) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: null, result, error }));
      };
      try {
        const { method, params } = JSON.parse(body) as { method: string; params: [BuildInput] };
        const args = params[0];
        if (method === "Provider.Aws.Bootstrap") {
          return reply({
            asset: `sst-asset-${at.account}`,
            assetEcrRegistryId: at.account,
            assetEcrUrl: "emulated",
            state: `sst-state-${at.account}`,
            appsyncHttp: "",
            appsyncRealtime: "",
          });
        }
        if (method === "Runtime.Build") {
          const out = await builder(root, args, join(outDir, "functions"));
          builds.push({ ...out, functionID: args.functionID, runtime: args.runtime, source: args.handler, properties: args.properties });
          return reply(out);
        }
        return reply(null, `rpc: can't find method ${method}`);
      } catch (err) {
        reply(null, (err as Error).message);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** The part of Pulumi's runtime module `settle` uses. */
interface PulumiOutputs {
  Output: { isInstance(v: unknown): boolean };
}

async function settle(pulumi: PulumiOutputs, v: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(v)) return v;
  return new Promise((resolve) => (v as { apply(f: (x: unknown) => void): void }).apply((x) => resolve(x)));
}

export async function runSynth(opts: { root: string; stage: string; outDir: string; at: MockAt; builder?: Builder }): Promise<Synthesis> {
  const { root, stage, outDir, at } = opts;
  if (!platformAvailable(root)) throw new SynthError(`.sst/platform is missing: run \`npx sst install\` (scripts/sst-check.sh does it)`);
  const platform = platformDir(root);
  const resources: SynthResource[] = [];
  const builds: SynthBuild[] = [];
  const rpc = await startRpc(root, outDir, builds, at, opts.builder ?? buildFunction);
  process.env.SST_SERVER = `http://127.0.0.1:${(rpc.address() as { port: number }).port}`;
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const imp = (p: string) => import(pathToFileURL(p).href);
    const pulumi = await imp(join(platform, "node_modules/@pulumi/pulumi/index.js"));
    pulumi.runtime.setMocks(
      {
        newResource(args: { type: string; name: string; inputs: Record<string, unknown> }) {
          const state = mockState(args.type, args.name, args.inputs, at);
          resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
          return { id: `${args.name}-id`, state };
        },
        call(args: { token: string; inputs: Record<string, unknown> }) {
          return mockCall(args.token, args.inputs, at) ?? args.inputs;
        },
      },
      "scrape-reconciler",
      stage,
      false,
    );
    const g = globalThis as unknown as Record<string, unknown>;
    g.$config = (c: unknown) => c;
    const { default: config } = await imp(join(root, "sst.config.ts"));
    const appConfig = await config.app({ stage });
    g.$app = { ...appConfig, stage, providers: { aws: {} }, home: "aws" };
    g.$dev = false;
    g.$cli = { command: "deploy", dev: false, state: { version: {} }, paths: { home: homedir(), root, work: join(root, ".sst"), platform } };
    Object.assign(g, await imp(join(platform, "src/shim/run.js")));
    g.aws = await imp(join(platform, "node_modules/@pulumi/aws/index.js"));
    g.sst = await imp(join(platform, "src/components/index.ts"));
    const { run } = await imp(join(platform, "src/auto/run.ts"));
    let outputs: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(async () => {
      const raw = (await run(config.run)) as Record<string, unknown>;
      outputs = Object.fromEntries(await Promise.all(Object.entries(raw).map(async ([k, v]) => [k, await settle(pulumi, v)] as const)));
      return raw;
    });
    // Resources created in SST's async callbacks (function code, then the function) register late.
    for (let last = -1, i = 0; i < 200 && (last !== resources.length || i < 4); i++) {
      last = resources.length;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (failures.length > 0) throw new SynthError(`the stack failed: ${failures.map((f) => (f as Error)?.message ?? String(f)).join("; ")}`);
    const failedBuild = builds.find((b) => b.errors.length > 0);
    if (failedBuild) throw new SynthError(`build of ${failedBuild.source} failed: ${failedBuild.errors.join("; ")}`);
    return { app: String(appConfig.name), stage, account: at.account, region: at.region, appConfig, resources, builds, outputs };
  } finally {
    process.off("unhandledRejection", onRejection);
    rpc.close();
  }
}
