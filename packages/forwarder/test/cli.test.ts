// `scrape-reconciler forward` on the simulator: --dry-run sends and moves nothing,
// --once --json runs one cycle against a remote-write receiver, bad flags are usage
// errors, and the loop keeps going past a failed cycle until it is stopped.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Simulator } from "@scrape-reconciler/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardCommand, forwardLoop, UsageError } from "@scrape-reconciler/cli";
import type { Forwarder } from "../src/forwarder";
import { emptyForwardSummary, type ForwardSummary } from "../src/forward";
import { forwarderEnv, startFleet } from "./helpers";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe("forward command", () => {
  let sim: Simulator;
  let receiver: Server;
  let posts = 0;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startFleet({
      get now() {
        return Date.now();
      },
    }); // the CLI runs on real time
    receiver = createServer((req, res) => {
      posts++;
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const port = (receiver.address() as AddressInfo).port;
    env = forwarderEnv(sim, { REMOTE_WRITE_URL: `http://127.0.0.1:${port}/api/v1/write`, FORWARD_LOOKBACK: "10m", FORWARD_TAG_LABELS: "team" });
  });
  afterAll(async () => {
    await sim?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it("--dry-run prints what would be sent and writes nothing", async () => {
    sim.calls.reset();
    const c = capture();
    expect(await forwardCommand(["--dry-run"], env, c.io)).toBe(0);
    const lines = c.out.join("\n").split("\n");
    expect(lines.filter((l) => l.startsWith("aws_"))).toHaveLength(55);
    expect(lines.find((l) => l.startsWith('aws_rds_cpuutilization_average{account_id="123456789012",dimension_DBInstanceIdentifier="orders"'))).toMatch(
      / \d sample\(s\) \S+Z\.\.\S+Z last=[\d.]+$/,
    );
    expect(lines.at(-1)).toMatch(
      /^would forward \d+ samples of 55 series .* 2 RDS instances, 1 Aurora clusters, 1 ElastiCache nodes; 55\/55 series queried, 55 metrics requested in 1 GetMetricData call/,
    );
    expect(posts).toBe(0);
    expect(sim.calls.get("s3:PutObject")).toBe(0);
    expect(sim.calls.get("cloudwatch:GetMetricData")).toBe(1);
  });

  it("--once --json runs one cycle and prints its summary", async () => {
    const c = capture();
    expect(await forwardCommand(["--once", "--json"], env, c.io)).toBe(0);
    const s = JSON.parse(c.out.join("")) as ForwardSummary;
    expect(s).toMatchObject({ ok: true, dryRun: false, series: 55, metricsRequested: 55, errors: [] });
    expect(s.samplesSent).toBeGreaterThan(55 * 4);
    expect(posts).toBe(1);
    expect(sim.calls.get("s3:PutObject")).toBe(1);
    expect(await forwardCommand(["--bogus"], env, c.io).catch((e: unknown) => e)).toBeInstanceOf(UsageError);
  });

  it("the loop goes on after a failed cycle and stops when signalled, returning the last cycle's code", async () => {
    const results: Array<ForwardSummary | Error> = [new Error("S3 unreachable"), { ok: false } as ForwardSummary, { ok: true } as ForwardSummary];
    const stop = new AbortController();
    let runs = 0;
    const fake = {
      run: async () => {
        const r = results[runs++]!;
        if (runs === results.length) stop.abort();
        if (r instanceof Error) throw r;
        return { ...emptyForwardSummary(false, ""), ...r, errors: r.ok ? [] : ["x"] };
      },
    } as unknown as Forwarder;
    const c = capture();
    const sleeps: number[] = [];
    const code = await forwardLoop(fake, c.io, { intervalMs: 60_000, json: true, signal: stop.signal, sleep: async (ms) => void sleeps.push(ms) });
    expect(runs).toBe(3);
    expect(code).toBe(0);
    expect(c.err).toEqual(["forward cycle failed: S3 unreachable"]);
    expect(c.out.map((l) => (JSON.parse(l) as ForwardSummary).ok)).toEqual([false, true]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps.every((ms) => ms > 59_000 && ms <= 60_000)).toBe(true);
  });
});
