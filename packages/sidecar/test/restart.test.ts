// A sidecar restarted while S3 is unreachable leaves the output file exactly as it was
// (bytes and mtime), is healthy because a valid file exists, serves 503 on /targets (so
// Prometheus' http_sd keeps its targets), and counts the error. The sidecar runs as a
// child process through its bin (from source) and exits 0 on SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port";
import { sumMetric, waitFor } from "../../../test/support/prometheus";
import { describeSource } from "../src/index";
import { makeDocument, serialize } from "./e2e-support";
import { openPublisher, type Publisher } from "./publishers";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "sidecar.mjs");
let dir: string;
let publisher: Publisher;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-restart-"));
  publisher = await openPublisher(dir);
});
afterAll(async () => {
  for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, "SIGKILL");
  await publisher?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  let logs = "";
  child.stderr!.on("data", (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    logs: () => logs,
    stop: async () => {
      if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGTERM");
      return exited;
    },
  };
}

describe("sidecar restart with S3 unreachable", () => {
  it("keeps the output file's bytes and mtime, stays healthy, serves 503 on /targets, counts the error", async () => {
    const sd = join(dir, "sd");
    mkdirSync(sd);
    const output = join(sd, "ecs-services.json");
    const body = serialize(makeDocument(["10.1.0.1:9100", "10.1.0.2:9100"]));
    await publisher.publish(body);

    // first run: a healthy source
    const port1 = await freePort();
    const first = run(["--source", describeSource(publisher.spec), "--output", output, "--listen", `127.0.0.1:${port1}`, "--interval", "1s"], publisher.env);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port1}/targets`)).status === 200, 20_000, 50);
    expect(readFileSync(output, "utf8")).toBe(body);
    expect(await first.stop()).toBe(0);
    const before = statSync(output);
    // S3 goes away: the simulator is closed and nothing listens at its address any more
    await publisher.close();
    const dead = await freePort();
    const s3 = publisher.kind === "s3";
    const port2 = await freePort();
    const second = run(
      [
        "--source",
        s3 ? describeSource(publisher.spec) : "s3://targets-bucket/targets/ecs-services.json",
        ...["--output", output, "--listen", `127.0.0.1:${port2}`, "--interval", "1s"],
      ],
      s3 ? publisher.env : { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${dead}` },
    );
    const base = `http://127.0.0.1:${port2}`;
    await waitFor(
      async () => {
        const m = await (await fetch(`${base}/metrics`)).text();
        return sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "unreachable" }) >= 2 && m;
      },
      20_000,
      100,
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/targets`)).status).toBe(503);
    await new Promise((r) => setTimeout(r, 1500));
    const after = statSync(output);
    expect(readFileSync(output, "utf8")).toBe(body);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(await second.stop()).toBe(0);
    const events = second
      .logs()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; reason?: string });
    expect(events.some((e) => e.msg === "sync failed; current document kept" && e.reason === "unreachable")).toBe(true);
    expect(events.at(-1)?.msg).toBe("sidecar stopped");
  });
});
