// The esbuild bundle: builds, stays small, starts, answers --help, exits 2 on a bad flag,
// serves a file source and exits 0 on SIGTERM.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port";
import { waitFor } from "../../../test/support/prometheus";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAX_BUNDLE_BYTES = 1_300_000;
let dir: string;
let bundle: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-bundle-"));
  bundle = join(dir, "sidecar.mjs");
  const r = spawnSync(process.execPath, [join(pkg, "build.mjs")], { env: { ...process.env, SIDECAR_BUNDLE_OUT: bundle }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bundle", () => {
  it("is one ESM file under the size budget with the SDK inside", () => {
    const size = statSync(bundle).size;
    console.log(`sidecar bundle: ${(size / 1024).toFixed(0)} KiB`);
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    const text = readFileSync(bundle, "utf8");
    expect(text).not.toMatch(/from\s*"@aws-sdk\//); // bundled, not imported
    expect(text).not.toMatch(/from\s*"prom-client"/);
  });

  it("answers --help with exit 0 and a bad flag with one line and exit 2", () => {
    const help = spawnSync(process.execPath, [bundle, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: scrape-reconciler-sidecar/);
    const bad = spawnSync(process.execPath, [bundle, "--source", "s3://b/k", "--output", "o", "--interval", "100ms"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('scrape-reconciler-sidecar: --interval "100ms": must be at least 1s\n');
    const env = spawnSync(process.execPath, [bundle], { encoding: "utf8", env: { ...process.env, SIDECAR_SOURCE: "file:a", SIDECAR_LISTEN: "nowhere" } });
    expect(env.status).toBe(2);
    expect(env.stderr.trim().split("\n")).toHaveLength(1);
    expect(env.stderr).toMatch(/SIDECAR_LISTEN "nowhere"/);
  });

  it("runs: publishes a file source, serves /targets, exits 0 on SIGTERM", async () => {
    const src = join(dir, "src.json");
    const out = join(dir, "out.json");
    writeFileSync(src, '[{"targets":["127.0.0.1:9100"],"labels":{"job":"x"}}]');
    const port = await freePort();
    const started = Date.now();
    const child = spawn(process.execPath, [bundle, "--source", `file:${src}`, "--output", out, "--listen", `127.0.0.1:${port}`, "--interval", "1s"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let logs = "";
    child.stderr.on("data", (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const body = await waitFor(
        async () => {
          const r = await fetch(`http://127.0.0.1:${port}/targets`);
          return r.status === 200 ? r.text() : undefined;
        },
        10_000,
        20,
      );
      console.log(`bundle: first /targets after ${Date.now() - started} ms`);
      expect(body).toBe(readFileSync(src, "utf8"));
      expect(readFileSync(out, "utf8")).toBe(body);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const lines = logs
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain("sidecar stopped");
  });
});
