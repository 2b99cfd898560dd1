import { describe, expect, it } from "vitest";
import { ConfigError, ENV, ENV_DEFAULTS } from "@scrape-reconciler/core";
import { parseReconcileConfig } from "../src";

describe("parseReconcileConfig", () => {
  it("applies the documented defaults", () => {
    const c = parseReconcileConfig({ TARGETS_BUCKET: "my-bucket" });
    expect(c).toMatchObject({
      bucket: "my-bucket",
      key: "targets/ecs-services.json",
      manifestParameter: "/scrape-reconciler/targets/manifest",
      namespaces: undefined,
      clusters: undefined,
      stateKey: "targets/state.json",
    });
    expect(c.tagNames.port).toBe("METRICS_PORT");
  });
  it("reads the opt-in tag names from the documented TAG_* variables, and no other name", () => {
    const c = parseReconcileConfig({
      TARGETS_BUCKET: "b-1",
      TAG_METRICS_PORT: "scrape.port",
      TAG_METRICS_PATH: "scrape.path",
      TAG_ECS_METRICS_PORT: "infra.port",
      TAG_ECS_METRICS_PATH: "infra.path",
      TAG_METRICS_SCHEME: "scrape.scheme",
    });
    expect(c.tagNames).toEqual({ port: "scrape.port", path: "scrape.path", infraPort: "infra.port", infraPath: "infra.path", scheme: "scrape.scheme" });
    // The name the stack used to set by mistake is not read.
    const drifted = parseReconcileConfig({ TARGETS_BUCKET: "b-1", ECS_TAG_METRICS_PORT: "infra.port", ECS_TAG_METRICS_PATH: "infra.path" });
    expect(drifted.tagNames).toMatchObject({ infraPort: "ECS_METRICS_PORT", infraPath: "ECS_METRICS_PATH" });
  });
  it("applies the defaults env-names documents", () => {
    const c = parseReconcileConfig({ [ENV.TARGETS_BUCKET]: "b-1" });
    expect(ENV_DEFAULTS[ENV.TARGETS_BUCKET]).toBe("required");
    expect(c.key).toBe(ENV_DEFAULTS.TARGETS_KEY);
    expect(c.manifestParameter).toBe(ENV_DEFAULTS.MANIFEST_PARAMETER);
    expect(c.stateKey).toBe(ENV_DEFAULTS.STATE_KEY);
    expect(String(c.concurrency)).toBe(ENV_DEFAULTS.DISCOVERY_CONCURRENCY);
    expect(c.tagNames).toEqual({
      port: ENV_DEFAULTS.TAG_METRICS_PORT,
      path: ENV_DEFAULTS.TAG_METRICS_PATH,
      infraPort: ENV_DEFAULTS.TAG_ECS_METRICS_PORT,
      infraPath: ENV_DEFAULTS.TAG_ECS_METRICS_PATH,
      scheme: ENV_DEFAULTS.TAG_METRICS_SCHEME,
    });
  });
  it("reads when the single document is written: full-reconcile by default, every-change on request, anything else refused by name", () => {
    expect(parseReconcileConfig({ TARGETS_BUCKET: "b-1" }).singleDocument).toBe("full-reconcile");
    expect(parseReconcileConfig({ TARGETS_BUCKET: "b-1", PUBLISH_SINGLE_DOCUMENT: " every-change " }).singleDocument).toBe("every-change");
    const err = (() => {
      try {
        parseReconcileConfig({ TARGETS_BUCKET: "b-1", PUBLISH_SINGLE_DOCUMENT: "always" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain('PUBLISH_SINGLE_DOCUMENT="always" is not one of every-change, full-reconcile');
  });
  it("parses the comma-separated filters", () => {
    const c = parseReconcileConfig({ TARGETS_BUCKET: "b-1", NAMESPACES: "a.local, ns-123 ", CLUSTERS: "prod,arn:aws:ecs:eu-west-1:1:cluster/x" });
    expect(c.namespaces).toEqual(["a.local", "ns-123"]);
    expect(c.clusters).toEqual(["prod", "arn:aws:ecs:eu-west-1:1:cluster/x"]);
  });
  it.each([
    [{}, "TARGETS_BUCKET", /required/],
    [{ TARGETS_BUCKET: "Bad_Bucket" }, "TARGETS_BUCKET", /not a valid S3 bucket/],
    [{ TARGETS_BUCKET: "ok-bucket", TARGETS_KEY: "/abs" }, "TARGETS_KEY", /not a valid S3 key/],
    [{ TARGETS_BUCKET: "ok-bucket", MANIFEST_PARAMETER: "a/b" }, "MANIFEST_PARAMETER", /SSM parameter/],
    [{ TARGETS_BUCKET: "ok-bucket", NAMESPACES: " , " }, "NAMESPACES", /names nothing/],
    [{ TARGETS_BUCKET: "ok-bucket", DISCOVERY_CONCURRENCY: "0" }, "DISCOVERY_CONCURRENCY", /1 to 64/],
    [{ TARGETS_BUCKET: "ok-bucket", STATE_KEY: "targets/ecs-services.json" }, "STATE_KEY", /differ/],
  ])("rejects %j naming %s", (env, variable, message) => {
    try {
      parseReconcileConfig(env as Record<string, string>);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as ConfigError).message).toMatch(message);
      expect((err as ConfigError).message).toContain(variable);
    }
  });
  it("reports every bad or missing variable in one error, one line each", () => {
    const env = {
      TARGETS_KEY: "/abs",
      MANIFEST_PARAMETER: "a/b",
      NAMESPACES: " , ",
      DISCOVERY_CONCURRENCY: "many",
      TAG_METRICS_PORT: "bad tag!",
    };
    let err: unknown;
    try {
      parseReconcileConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const { problems, message } = err as ConfigError;
    expect(problems.map((p) => p.variable).sort()).toEqual([
      "DISCOVERY_CONCURRENCY",
      "MANIFEST_PARAMETER",
      "NAMESPACES",
      "TAG_METRICS_PORT",
      "TARGETS_BUCKET",
      "TARGETS_KEY",
    ]);
    expect(problems[0]).toEqual({ variable: "TARGETS_BUCKET", message: "TARGETS_BUCKET is required: the S3 bucket of the targets document" });
    const lines = message.split("\n");
    expect(lines).toHaveLength(problems.length);
    for (const p of problems) expect(lines).toContain(p.message);
    for (const p of problems) expect(p.message).toContain(p.variable);
  });
  it("compares STATE_KEY with TARGETS_KEY only when both are valid keys", () => {
    const problems = (env: Record<string, string>) => {
      try {
        parseReconcileConfig(env);
      } catch (e) {
        return (e as ConfigError).problems;
      }
      return [];
    };
    const bothBad = problems({ TARGETS_BUCKET: "ok-bucket", TARGETS_KEY: "same/", STATE_KEY: "same/" });
    expect(bothBad.map((p) => p.variable)).toEqual(["TARGETS_KEY", "STATE_KEY"]);
    expect(bothBad.map((p) => p.message).join("\n")).not.toMatch(/differ/);
    const equal = problems({ TARGETS_BUCKET: "ok-bucket", TARGETS_KEY: "k.json", STATE_KEY: "k.json", CLUSTERS: "," });
    expect(equal.map((p) => p.variable)).toEqual(["STATE_KEY", "CLUSTERS"]);
    expect(equal[0]?.message).toMatch(/must differ/);
  });
});
