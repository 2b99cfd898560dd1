// Flags and SIDECAR_* variables into a typed config; every mistake is one line naming it,
// and every mistake is reported at once (in-process and by the bin as a child process).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, parseDuration, parseListen, parseSource, runSidecar } from "../src/index";

const ok = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseConfig(argv, env);
  if (r.help) throw new Error("help");
  return r.config;
};
const fails = (argv: string[], env: Record<string, string> = {}) => {
  try {
    parseConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error("expected a ConfigError");
};
const problemsOf = (argv: string[], env: Record<string, string> = {}) => {
  try {
    parseConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const { problems, message } = err as ConfigError;
    expect(message.split("\n")).toEqual(problems.map((p) => p.message));
    return problems;
  }
  throw new Error("expected a ConfigError");
};
const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "sidecar.mjs");

describe("durations", () => {
  it("parses Go-style durations", () => {
    expect(parseDuration("1s")).toBe(1000);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1500ms")).toBe(1500);
    expect(parseDuration("1h")).toBe(3_600_000);
    for (const bad of ["", "5", "s", "-1s", "1x", "1 s", "1s2"]) expect(() => parseDuration(bad)).toThrow();
  });
});

describe("listen addresses", () => {
  it("accepts :PORT, HOST:PORT and [IPv6]:PORT", () => {
    expect(parseListen(":9099")).toEqual({ port: 9099 });
    expect(parseListen("127.0.0.1:9099")).toEqual({ host: "127.0.0.1", port: 9099 });
    expect(parseListen("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListen("[::1]:9099")).toEqual({ host: "::1", port: 9099 });
    for (const bad of ["9099", ":", ":70000", "a b:1", "127.0.0.1"]) expect(() => parseListen(bad)).toThrow();
  });
});

describe("sources", () => {
  it("parses s3, ssm and file sources", () => {
    expect(parseSource("s3://my-bucket/targets/ecs-services.json")).toEqual({ kind: "s3", bucket: "my-bucket", key: "targets/ecs-services.json" });
    expect(parseSource("ssm:/app/prod/targets/manifest")).toEqual({ kind: "ssm", name: "/app/prod/targets/manifest" });
    expect(parseSource("file:./t.json")).toEqual({ kind: "file", path: "./t.json" });
    for (const bad of ["s3://", "s3://b", "s3://bucket/", "s3://a b/k", "ssm:", "ssm:/a/", "file:", "http://x", "bucket/key"]) {
      expect(() => parseSource(bad)).toThrow();
    }
  });
});

describe("parseConfig", () => {
  it("reads flags in both forms with defaults", () => {
    const c = ok(["--source", "s3://b1/k", "--output=/data/ecs-services.json"]);
    expect(c).toEqual({
      source: { kind: "s3", bucket: "b1", key: "k" },
      output: "/data/ecs-services.json",
      intervalMs: 1000,
      maxBackoffMs: 60_000,
      logLevel: "info",
    });
  });

  it("reads SIDECAR_* variables; flags win", () => {
    const env = { SIDECAR_SOURCE: "ssm:/p", SIDECAR_OUTPUT: "/o.json", SIDECAR_INTERVAL: "30s", SIDECAR_LISTEN: ":9099" };
    const c = ok([], env);
    expect(c.source).toEqual({ kind: "ssm", name: "/p" });
    expect(c.output).toBe("/o.json");
    expect(c.intervalMs).toBe(30_000);
    expect(c.listen).toEqual({ port: 9099 });
    expect(ok(["--interval", "2m"], env).intervalMs).toBe(120_000);
  });

  it("keeps the backoff cap at least the interval", () => {
    expect(ok(["--source", "file:a", "--listen", ":1", "--interval", "2m", "--max-backoff", "10s"]).maxBackoffMs).toBe(120_000);
  });

  it("rejects bad flags and values with one line naming them", () => {
    expect(fails(["--source", "file:a", "--output", "o", "--bogus"])).toBe("unknown flag --bogus");
    expect(fails(["--source", "file:a", "--output", "o", "stray"])).toBe('unexpected argument "stray"');
    expect(fails(["--output", "o"])).toMatch(/--source .*required/);
    expect(fails(["--source", "file:a"])).toMatch(/--output.*--listen/);
    expect(fails(["--source", "file:a", "--output"])).toBe("--output needs a value");
    expect(fails(["--source", "file:a", "--output", "--listen", ":1"])).toBe("--output needs a value");
    expect(fails(["--source", "file:a", "--output", "o", "--interval", "500ms"])).toBe('--interval "500ms": must be at least 1s');
    expect(fails(["--source", "file:a", "--output", "o", "--interval", "soon"])).toMatch(/^--interval "soon": not a duration/);
    expect(fails(["--source", "file:a", "--listen", "9099"])).toMatch(/^--listen "9099"/);
    expect(fails(["--source", "ftp://x", "--output", "o"])).toMatch(/^--source "ftp:\/\/x": unknown source/);
    expect(fails(["--source", "file:a", "--output", "o", "--output", "p"])).toBe("--output given more than once");
    expect(fails([], { SIDECAR_SOURCE: "file:a", SIDECAR_OUTPUT: "o", SIDECAR_INTERVAL: "0s" })).toBe('SIDECAR_INTERVAL "0s": must be at least 1s');
    expect(fails([], { SIDECAR_SOURCE: "file:a", SIDECAR_LISTEN: "x" })).toMatch(/^SIDECAR_LISTEN "x"/);
    expect(fails(["--source", "file:a", "--output", "a"])).toMatch(/same file/);
    expect(fails(["--source", "file:a", "--output", "o", "--log-level", "loud"])).toMatch(/^--log-level "loud"/);
  });

  it("reports every bad flag, variable and missing setting at once", () => {
    const problems = problemsOf(["--bogus", "--interval", "soon", "stray", "--interval", "2s"], { SIDECAR_LOG_LEVEL: "loud", SIDECAR_MAX_BACKOFF: "10ms" });
    expect(problems.map((p) => p.variable)).toEqual([
      "--bogus",
      "stray",
      "--interval",
      "--source",
      "--output",
      "--interval",
      "SIDECAR_MAX_BACKOFF",
      "SIDECAR_LOG_LEVEL",
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      "unknown flag --bogus",
      'unexpected argument "stray"',
      "--interval given more than once",
      "--source (or SIDECAR_SOURCE) is required",
      "give --output (SIDECAR_OUTPUT) or --listen (SIDECAR_LISTEN), or both",
      '--interval "soon": not a duration (want e.g. 1s, 30s, 2m)',
      'SIDECAR_MAX_BACKOFF "10ms": must be at least 1s',
      'SIDECAR_LOG_LEVEL "loud": not a log level (want debug, info, warn or error)',
    ]);
  });

  it("does not also call a setting missing when it was given but bad", () => {
    expect(problemsOf(["--source", "ftp://x", "--listen", "9099"]).map((p) => p.variable)).toEqual(["--source", "--listen"]);
    expect(problemsOf(["--output"], { SIDECAR_SOURCE: "s3://b" }).map((p) => p.message)).toEqual([
      "--output needs a value",
      'SIDECAR_SOURCE "s3://b": missing object key (want s3://BUCKET/KEY)',
    ]);
    // A flag without its value is one problem, even when the variable would give one.
    expect(problemsOf(["--source", "file:a", "--listen"], { SIDECAR_LISTEN: ":1" }).map((p) => p.message)).toEqual(["--listen needs a value"]);
  });

  it("--help wins", () => {
    expect(parseConfig(["--bogus", "--help"], {})).toEqual({ help: true });
  });
});

describe("runSidecar exit codes", () => {
  it("exits 2 with one line on stderr for a bad flag, 0 for --help", async () => {
    const err: string[] = [];
    const out: string[] = [];
    const io = { stderr: (t: string) => void err.push(t), stdout: (t: string) => void out.push(t) };
    expect(await runSidecar(["--source", "file:a", "--output", "o", "--interval", "0"], {}, io)).toBe(2);
    expect(err).toEqual(['scrape-reconciler-sidecar: --interval "0": not a duration (want e.g. 1s, 30s, 2m)\n']);
    expect(await runSidecar(["--help"], {}, io)).toBe(0);
    expect(out.join("")).toMatch(/^Usage: scrape-reconciler-sidecar /);
  });
});

describe("the bin with several mistakes", () => {
  it("prints one line per problem, each with the program name, and exits 2", () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", SIDECAR_LOG_LEVEL: "loud" };
    const r = spawnSync(process.execPath, [BIN, "--source", "ftp://x", "--listen", "9099", "--interval", "0"], { env, encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      'scrape-reconciler-sidecar: --source "ftp://x": unknown source (want s3://BUCKET/KEY, ssm:/PARAMETER or file:PATH)',
      'scrape-reconciler-sidecar: --listen "9099": not a listen address (want :PORT or HOST:PORT)',
      'scrape-reconciler-sidecar: --interval "0": not a duration (want e.g. 1s, 30s, 2m)',
      'scrape-reconciler-sidecar: SIDECAR_LOG_LEVEL "loud": not a log level (want debug, info, warn or error)',
    ]);
    expect(r.status).toBe(2);
  });
});
