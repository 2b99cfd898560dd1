// Runs the real sst.config.ts offline under Pulumi's unit-test mocks and
// records every resource it declares with its real inputs. It provides what
// the sst binary normally provides: the $app/$dev/$cli globals, SST's shim
// ($interpolate, $jsonStringify, ...), the `aws` and `sst` globals, and answers
// to the RPC calls SST makes to the binary (bootstrap bucket, function build).
// Needs SST's generated platform (.sst/platform, from `sst install`).
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";
import { MOCK_ACCOUNT, MOCK_REGION, mockCall, mockState } from "../../packages/emulator/src/synth-mocks";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PLATFORM = join(ROOT, ".sst", "platform");
export const ACCOUNT = MOCK_ACCOUNT;
export const REGION = MOCK_REGION;

export function platformAvailable(): boolean {
  return existsSync(join(PLATFORM, "config.d.ts")) && existsSync(join(PLATFORM, "node_modules", "@pulumi", "aws", "package.json"));
}

export interface MockResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
}

export interface BuildCall {
  functionID: string;
  handler: string;
  runtime: string;
  properties: Record<string, any>;
}

export interface StackRun {
  resources: MockResource[];
  builds: BuildCall[];
  outputs: Record<string, unknown>;
  byType(type: string): MockResource[];
  one(type: string, name: RegExp | string): MockResource;
}

type Output = { apply<U>(f: (v: any) => U): unknown };

/** The prebuilt handler that stands in for SST's esbuild output. */
export const BUNDLED_HANDLER = "export const handler = async () => ({});\n";

/** Runs sst.config.ts for `stage` with Pulumi mocks; resolves once every declared resource is recorded. */
export async function runStack(stage: string, opts: { handlerSource?: string } = {}): Promise<StackRun> {
  const resources: MockResource[] = [];
  const builds: BuildCall[] = [];
  const buildRoot = mkdtempSync(join(tmpdir(), "sr-sst-build-"));

  vi.doMock(join(PLATFORM, "src/components/rpc/rpc.ts"), () => ({
    rpc: {
      MethodNotFoundError: class extends Error {},
      async call(method: string, args: any) {
        if (method === "Provider.Aws.Bootstrap") {
          return { asset: "sst-asset-mock", assetEcrRegistryId: ACCOUNT, assetEcrUrl: "mock", state: "sst-state-mock", appsyncHttp: "", appsyncRealtime: "" };
        }
        if (method === "Runtime.Build") {
          // A prebuilt handler folder stands in for SST's esbuild run.
          const out = join(buildRoot, args.functionID);
          mkdirSync(out, { recursive: true });
          const file = String(args.handler).split("/").pop()!.replace(/\.[^.]+$/, "");
          writeFileSync(join(out, `${file}.mjs`), opts.handlerSource ?? BUNDLED_HANDLER);
          builds.push({ functionID: args.functionID, handler: args.handler, runtime: args.runtime, properties: args.properties });
          return { handler: `${file}.handler`, out, errors: [], sourcemaps: [] };
        }
        throw new Error(`unexpected RPC ${method}`);
      },
    },
  }));

  const pulumi = await import(join(PLATFORM, "node_modules/@pulumi/pulumi/index.js"));
  pulumi.runtime.setMocks(
    {
      newResource(args: { type: string; name: string; inputs: Record<string, any> }) {
        const state = mockState(args.type, args.name, args.inputs);
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        return { id: `${args.name}-id`, state };
      },
      call(args: { token: string; inputs: Record<string, any> }) {
        return mockCall(args.token, args.inputs) ?? args.inputs;
      },
    },
    "scrape-reconciler",
    stage,
    false,
  );

  const g = globalThis as any;
  const { default: config } = await (async () => {
    g.$config = (c: unknown) => c;
    return import(join(ROOT, "sst.config.ts"));
  })();
  g.$app = { ...(await config.app({ stage })), stage, providers: { aws: {} }, home: "aws" };
  g.$dev = false;
  g.$cli = {
    command: "deploy",
    dev: false,
    state: { version: {} },
    paths: { home: homedir(), root: ROOT, work: join(ROOT, ".sst"), platform: PLATFORM },
  };
  Object.assign(g, await import(join(PLATFORM, "src/shim/run.js")));
  g.aws = await import(join(PLATFORM, "node_modules/@pulumi/aws/index.js"));
  g.sst = await import(join(PLATFORM, "src/components/index.ts"));
  const { run } = await import(join(PLATFORM, "src/auto/run.ts"));

  let outputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    const raw = (await run(config.run)) as Record<string, unknown>;
    outputs = Object.fromEntries(
      await Promise.all(Object.entries(raw).map(async ([k, v]) => [k, await settle(pulumi, v)] as const)),
    );
    return raw;
  });
  // Resources created inside SST's async callbacks (function code, then the
  // function) register late: wait until the count stops changing.
  for (let last = -1, i = 0; i < 100 && last !== resources.length; i++) {
    last = resources.length;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    resources,
    builds,
    outputs,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && (typeof name === "string" ? r.name === name : name.test(r.name)));
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.map((r) => r.name).join(", ") || "none"}`);
      return found[0]!;
    },
  };
}

async function settle(pulumi: any, v: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(v)) return v;
  return new Promise((resolve) => (v as Output).apply((x) => resolve(x)));
}
