// Synthesises the stack in a child process (synth-main.ts) and reads its record: what a
// deploy of `stage` would create, with every function bundle built. The stage's settings
// come from infra/stages/<stage>.json, or from `config` (passed as SCRAPE_RECONCILER_CONFIG,
// the variable infra/config.ts reads), so a demo or a test can deploy its own stage.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SynthError, type Synthesis } from "./synth-run";

export interface SynthOptions {
  root: string;
  stage: string;
  account: string;
  region: string;
  /** The stage configuration (infra/stages/<stage>.json's content); default: that file. */
  config?: unknown;
  /** Where bundles and stack.json go (default: a new temporary folder, the caller's to remove). */
  outDir?: string;
}

export async function synthesize(o: SynthOptions): Promise<Synthesis & { outDir: string }> {
  const outDir = o.outDir ?? mkdtempSync(join(tmpdir(), "sr-synth-"));
  const main = fileURLToPath(new URL("./synth-main.ts", import.meta.url));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SST_SKIP_DEPENDENCY_CHECK: "1",
    SST_TELEMETRY_DISABLED: "1",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  delete env.SCRAPE_RECONCILER_CONFIG;
  if (o.config !== undefined) env.SCRAPE_RECONCILER_CONFIG = JSON.stringify(o.config);
  // vitest's own loader variables must not reach the child.
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  const stderr: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, o.root, o.stage, outDir, o.account, o.region], {
      cwd: o.root,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr.on("data", (c) => stderr.push(String(c)));
    child.on("error", reject);
    child.on("exit", (c) => resolve(c));
  });
  if (code !== 0) {
    if (!o.outDir) rmSync(outDir, { recursive: true, force: true });
    const lines = stderr.join("").trim().split("\n");
    throw new SynthError(lines.find((l) => l.startsWith("synth: "))?.slice(7) ?? `synth exited ${code}: ${lines.slice(-3).join(" / ")}`);
  }
  return { ...(JSON.parse(readFileSync(join(outDir, "stack.json"), "utf8")) as Synthesis), outDir };
}
