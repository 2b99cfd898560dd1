// One line per failure on stderr (one per problem for configuration) and the exit code,
// in-process and from the real bin as a child process.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@scrape-reconciler/core";
import { main } from "../src";
import { describeFailure } from "../src/aws-errors";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "scrape-reconciler.mjs");
/** The bin as a child process, with only PATH (and the SDK notice off) and `env` in its environment. */
function bin(args: string[], env: Record<string, string>) {
  const base = { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...base, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, lines: r.stderr.trimEnd().split("\n") };
}

describe("CLI errors", () => {
  it("exits 2 with one line naming a missing variable", async () => {
    const c = capture();
    expect(await main(["reconcile"], {}, c.io)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/^scrape-reconciler reconcile: configuration: TARGETS_BUCKET is required/);
  });
  it("exits 2 with one line per configuration problem, each naming its variable", async () => {
    const c = capture();
    expect(await main(["reconcile"], { TARGETS_KEY: "/abs", DISCOVERY_CONCURRENCY: "0", CLUSTERS: " , " }, c.io)).toBe(2);
    expect(c.err).toHaveLength(4);
    for (const [i, variable] of ["TARGETS_BUCKET", "DISCOVERY_CONCURRENCY", "TARGETS_KEY", "CLUSTERS"].entries()) {
      expect(c.err[i]).toMatch(new RegExp(`^scrape-reconciler reconcile: configuration: ${variable}\\b`));
    }
    const f = capture();
    expect(await main(["forward", "--once"], { REMOTE_WRITE_AUTH: "basic", FORWARD_INTERVAL: "10ms" }, f.io)).toBe(2);
    for (const line of f.err) expect(line).toMatch(/^scrape-reconciler forward: configuration: [A-Z_]+\b[^\n]*$/);
    expect(f.err.join("\n")).toMatch(/AMP_REMOTE_WRITE_URL[\s\S]*REMOTE_WRITE_AUTH[\s\S]*FORWARD_STATE_BUCKET[\s\S]*FORWARD_INTERVAL/);
    expect(f.err).toHaveLength(4);
  });
  it("the bin prints one line per problem on stderr and exits 2 (reconcile, and the sidecar through it)", () => {
    const r = bin(["reconcile", "--dry-run"], { TARGETS_BUCKET: "Bad_Bucket", MANIFEST_PARAMETER: "a/b", TAG_METRICS_SCHEME: "bad tag!" });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.lines).toEqual([
      'scrape-reconciler reconcile: configuration: TARGETS_BUCKET="Bad_Bucket" is not a valid S3 bucket name',
      'scrape-reconciler reconcile: configuration: MANIFEST_PARAMETER="a/b" is not a valid SSM parameter name (a path like /app/stage/targets/manifest)',
      'scrape-reconciler reconcile: configuration: TAG_METRICS_SCHEME="bad tag!" is not a valid tag key',
    ]);
    const s = bin(["sidecar", "--interval", "0"], { SIDECAR_LISTEN: "x" });
    expect(s.code).toBe(2);
    expect(s.lines).toEqual([
      "scrape-reconciler sidecar: --source (or SIDECAR_SOURCE) is required",
      'scrape-reconciler sidecar: SIDECAR_LISTEN "x": not a listen address (want :PORT or HOST:PORT)',
      'scrape-reconciler sidecar: --interval "0": not a duration (want e.g. 1s, 30s, 2m)',
    ]);
  });
  it("exits 2 with one line for an unknown flag and an unknown command", async () => {
    const c = capture();
    expect(await main(["reconcile", "--bogus"], { TARGETS_BUCKET: "b-1" }, c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--bogus/);
    expect(await main(["frobnicate"], {}, c.io)).toBe(2);
    expect(c.err[1]).toMatch(/unknown command "frobnicate"/);
  });
  it("gives one clear line for credential, permission and network failures", () => {
    const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name, ...extra });
    expect(describeFailure(named("CredentialsProviderError", "Could not load credentials from any providers")).line).toMatch(/^AWS credentials not found/);
    expect(describeFailure(named("UnrecognizedClientException", "The security token included in the request is invalid.")).line).toMatch(
      /^AWS rejected the credentials/,
    );
    expect(describeFailure(named("AccessDeniedException", "User: x is not authorized to perform: servicediscovery:ListNamespaces")).line).toMatch(
      /^AWS denied the call: .*ListNamespaces/,
    );
    expect(describeFailure(named("Error", "Region is missing")).line).toMatch(/AWS_REGION/);
    expect(describeFailure(named("Error", "connect ECONNREFUSED 127.0.0.1:1", { code: "ECONNREFUSED" })).line).toMatch(/cannot reach/);
    for (const f of [named("X", "a\nb\nc")]) expect(describeFailure(f).line.includes("\n")).toBe(false);
    const config = describeFailure(
      new ConfigError([
        { variable: "A", message: "A is required" },
        { variable: "B", message: "B is bad" },
      ]),
    );
    expect(config).toEqual({ line: "configuration: A is required; B is bad", lines: ["configuration: A is required", "configuration: B is bad"], code: 2 });
  });
});
