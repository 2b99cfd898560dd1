// Runs the real sst.config.ts offline under Pulumi's unit-test mocks, in this
// process, and records every resource it declares with its real inputs: the
// emulator's synth (packages/emulator/src/synth-run.ts provides what the sst
// binary provides: globals, SST's shim, the RPC answers), with a stub handler
// standing in for each function's build (the emulator's own tests build them).
// Needs SST's generated platform (.sst/platform, from `sst install`).
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MOCK_ACCOUNT, MOCK_REGION, runSynth, type Builder, type SynthBuild, type SynthResource } from "@scrape-reconciler/emulator";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PLATFORM = join(ROOT, ".sst", "platform");
export const ACCOUNT = MOCK_ACCOUNT;
export const REGION = MOCK_REGION;

export function platformAvailable(): boolean {
  return existsSync(join(PLATFORM, "config.d.ts")) && existsSync(join(PLATFORM, "node_modules", "@pulumi", "aws", "package.json"));
}

/** A declared resource: its type, name, inputs and the state the mocks added. */
export type MockResource = SynthResource;

export interface BuildCall {
  functionID: string;
  handler: string;
  runtime: string;
  properties: SynthBuild["properties"];
}

export interface StackRun {
  resources: MockResource[];
  builds: BuildCall[];
  outputs: Record<string, unknown>;
  byType(type: string): MockResource[];
  one(type: string, name: RegExp | string): MockResource;
}

/** The prebuilt handler that stands in for SST's esbuild output. */
export const BUNDLED_HANDLER = "export const handler = async () => ({});\n";

/** Runs sst.config.ts for `stage` with Pulumi mocks (the emulator's synth, in this
 * process); a stub handler stands in for each function's build. Resolves once every
 * declared resource is recorded. */
export async function runStack(stage: string, opts: { handlerSource?: string } = {}): Promise<StackRun> {
  const buildRoot = mkdtempSync(join(tmpdir(), "sr-sst-build-"));
  const stub: Builder = async (_root, input, outRoot) => {
    const out = join(outRoot, input.functionID);
    mkdirSync(out, { recursive: true });
    const file = String(input.handler)
      .split("/")
      .pop()!
      .replace(/\.[^.]+$/, "");
    writeFileSync(join(out, `${file}.mjs`), opts.handlerSource ?? BUNDLED_HANDLER);
    return { handler: `${file}.handler`, out, errors: [], sourcemaps: [] };
  };
  const s = await runSynth({ root: ROOT, stage, outDir: buildRoot, at: { account: ACCOUNT, region: REGION }, builder: stub });
  const resources: MockResource[] = s.resources;
  return {
    resources,
    builds: s.builds.map((b) => ({ functionID: b.functionID, handler: b.source, runtime: b.runtime, properties: b.properties })),
    outputs: s.outputs,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && (typeof name === "string" ? r.name === name : name.test(r.name)));
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.map((r) => r.name).join(", ") || "none"}`);
      return found[0]!;
    },
  };
}
