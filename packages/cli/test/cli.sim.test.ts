// The real `scrape-reconciler` bin as a child process against the local simulator.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateScenario } from "@scrape-reconciler/sim";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";

const run = promisify(execFile);
let env: SimEnv;

beforeAll(async () => {
  env = await startSimEnv({ scenario: generateScenario({ services: 12, tasksPerService: 2, untaggedEvery: 4 }) });
});
afterAll(async () => env?.sim.close());

async function cli(args: string[], extra: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, ["bin/scrape-reconciler.mjs", ...args], { env: { PATH: process.env.PATH, ...env.env, ...extra } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("scrape-reconciler CLI", () => {
  it("reconcile --dry-run prints a readable diff and publishes nothing", async () => {
    const r = await cli(["reconcile", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\+ http:\/\/10\.0\.\d+\.\d+:8080\/metrics {2}namespace=\S+ service=svc-\d+ taskid=[0-9a-f]{32}$/m);
    expect(r.stdout).toContain("18 added, 0 removed, 0 changed (0 -> 18 targets)");
    expect(r.stdout).toMatch(/^would publish: generation 1 \(was 0\), 18 targets/m);
    expect(env.sim.calls.get("s3:PutObject")).toBe(0);
  });

  it("reconcile publishes, show prints the document and manifest, reconcile --json reports unchanged", async () => {
    expect((await cli(["reconcile"])).code).toBe(0);
    const show = await cli(["show"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/# s3:\/\/targets-test\/targets\/ecs-services.json generation 1, 18 targets/);
    expect(show.stdout).toMatch(/# manifest \/scrape-reconciler\/targets\/manifest: \{"schemaVersion":1,"generation":1/);
    const json = await cli(["reconcile", "--json"]);
    const summary = JSON.parse(json.stdout);
    expect(summary).toMatchObject({ written: false, generation: 1, targets: 18, added: 0, removed: 0 });
  });

  it("fails with one line and exit 2 on bad configuration, exit 1 on a denied call", async () => {
    const bad = await cli(["reconcile"], { TARGETS_BUCKET: "" });
    expect(bad.code).toBe(2);
    expect(
      bad.stderr
        .trim()
        .split("\n")
        .filter((l) => !/NodeVersion|node >=22|^$|upgrade|a\.co|trace-warnings|versions published|will require|To continue|security updates/.test(l)),
    ).toEqual(["scrape-reconciler reconcile: configuration: TARGETS_BUCKET is required: the S3 bucket of the targets document"]);
    env.sim.setFaults({ deny: { "servicediscovery:ListNamespaces": "AccessDeniedException" } });
    const denied = await cli(["reconcile"]);
    env.sim.setFaults(null);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^scrape-reconciler reconcile: AWS denied the call \(servicediscovery:ListNamespaces\): .* \(check the IAM policy\)$/m);
    expect(denied.stderr).not.toMatch(/\n\s+at /);
  });
});
