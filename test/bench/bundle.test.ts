// Smoke run of benchmark 5 (bench/bundle.ts): the functions' bundles build as deployed (split
// into chunks, the AWS SDK bundled in every chunk: the deploy's own postbuild check passes),
// the previous layout is the larger one, each entry initialises in a fresh process, and
// the EC2 SDK is in no chunk loaded at cold start. Then the built reconcile function, with
// every chunk holding EC2 code deleted, runs its first invocation on an SQS batch that
// needs no EC2 lookup against the simulator: it succeeds, so it loaded no EC2 code.
import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { EventBridgeEmitter, generateScenario } from "@scrape-reconciler/sim";
import { report, runBundleBench } from "../../bench/bundle";
import { findNode24 } from "../../packages/emulator/src/node24";
import { routed, sqsBatch } from "../support/events";
import { startSimEnv } from "../support/sim-env";

describe("bench/bundle (smoke)", () => {
  it("builds the functions and the previous layout, imports each, and loads no EC2 code for a batch without EC2 lookups", async () => {
    const r = await runBundleBench(1, { keep: true });
    try {
      expect(r.functions.map((f) => f.name)).toEqual(["reconcile", "audit", "forward"]);
      for (const f of r.functions) {
        expect(f.ours.bytes).toBeGreaterThan(100_000);
        expect(f.ours.gzipBytes).toBeLessThan(f.ours.bytes);
        expect(f.baseline.bytes).toBeGreaterThan(f.ours.bytes);
        expect(f.ours.initMs).toHaveLength(1);
        expect(f.baseline.initMs).toHaveLength(1);
        expect(f.ours.initMs[0]).toBeGreaterThan(0);
        expect(f.ours.ec2AtInit).toBe(false);
      }
      const reconcile = r.functions[0]!;
      expect(reconcile.ours.bytes).toBeLessThan(1024 * 1024);
      expect(reconcile.baseline.ec2AtInit).toBe(true);
      expect(reconcile.ours.breakdown.map(([name]) => name)).toContain("@aws-sdk/client-ecs");
      expect(reconcile.ours.ec2Files.length).toBeGreaterThan(0);
      expect(report(r)).toMatch(/^ {2}ratio reconcile before\/after: size at init [\d.]+x, gzip [\d.]+x, init [\d.]+x$/m);

      // The first invocation, on a batch of Fargate task events, with no EC2 code on disk.
      for (const file of reconcile.ours.ec2Files) rmSync(file);
      expect(reconcile.ours.ec2Files.some((f) => existsSync(f))).toBe(false);
      const env = await startSimEnv({ scenario: generateScenario({ services: 2, tasksPerService: 2 }) });
      try {
        const emitter = new EventBridgeEmitter(env.sim.state);
        const svc = env.sim.scenario.services[0]!;
        env.sim.state.startTask(svc.cluster, svc.name);
        const batch = sqsBatch(routed(emitter.drain()));
        emitter.close();
        expect(batch.Records.length).toBeGreaterThan(0);
        const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(reconcile.ours.entry).href)});
const context = { functionName: "reconcile", awsRequestId: "r-1", getRemainingTimeInMillis: () => 60000 };
const out = await handler(JSON.parse(process.env.BATCH), context);
process.stdout.write("\\nRESULT " + JSON.stringify(out));`;
        // Asynchronously: the simulator answers from this process.
        const { stdout } = await promisify(execFile)(findNode24(process.cwd()) ?? process.execPath, ["--input-type=module", "-e", script], {
          env: { PATH: process.env.PATH ?? "", ...env.env, BATCH: JSON.stringify(batch), POWERTOOLS_METRICS_DISABLED: "true" },
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(JSON.parse(stdout.split("\nRESULT ").at(-1)!)).toEqual({ batchItemFailures: [] });
        expect(env.sim.calls.get("ec2:DescribeInstances")).toBe(0);
      } finally {
        await env.sim.close();
      }
    } finally {
      r.cleanup();
    }
  }, 180_000);
});
