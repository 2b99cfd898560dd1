// Configuration: defaults, AMP detection (SigV4 and its region), every error naming its
// variable, and the metric-set override inline or from a file.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, ENV_DEFAULTS } from "@scrape-reconciler/core";
import { describe, expect, it } from "vitest";
import { parseDuration, parseForwardConfig } from "../src/config";
import { DEFAULT_METRIC_SET } from "../src/metric-sets";

const AMP = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd-1234-5678-9abc-def012345678/api/v1/remote_write";
const base = { AMP_REMOTE_WRITE_URL: AMP, TARGETS_BUCKET: "targets-bucket" };

function configError(env: Record<string, string>): ConfigError {
  try {
    parseForwardConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseForwardConfig", () => {
  it("defaults: SigV4 in the AMP URL's region, marks beside the targets document, both sources", () => {
    const c = parseForwardConfig(base);
    expect(c.remoteWrite).toEqual({ url: AMP, auth: { type: "sigv4", region: "eu-west-1" } });
    expect(c.state).toEqual({ bucket: "targets-bucket", key: "forwarder/high-water.json" });
    expect(c.lookbackMs).toBe(30 * 60_000);
    expect(c.delayMs).toBe(60_000);
    expect(c.intervalMs).toBe(60_000);
    expect(c.rds).toEqual({ enabled: true, clusters: true });
    expect(c.elastiCache).toEqual({ enabled: true });
    expect(c.metricSet).toBe(DEFAULT_METRIC_SET);
    expect(c.tagLabels).toEqual([]);
    expect(c.job).toBe("cloudwatch");
  });

  it("applies the defaults env-names documents", () => {
    const c = parseForwardConfig(base);
    expect(c.state.key).toBe(ENV_DEFAULTS.FORWARD_STATE_KEY);
    expect(ENV_DEFAULTS.FORWARD_STATE_BUCKET).toBe("TARGETS_BUCKET");
    expect(c.state.bucket).toBe(base.TARGETS_BUCKET);
    expect(c.lookbackMs).toBe(parseDuration("FORWARD_LOOKBACK", ENV_DEFAULTS.FORWARD_LOOKBACK));
    expect(c.delayMs).toBe(parseDuration("FORWARD_DELAY", ENV_DEFAULTS.FORWARD_DELAY));
    expect(c.intervalMs).toBe(parseDuration("FORWARD_INTERVAL", ENV_DEFAULTS.FORWARD_INTERVAL));
    expect(c.job).toBe(ENV_DEFAULTS.FORWARD_JOB);
    expect(String(c.maxSeriesPerWrite)).toBe(ENV_DEFAULTS.FORWARD_MAX_SERIES_PER_WRITE);
    expect(String(c.rds.clusters)).toBe(ENV_DEFAULTS.FORWARD_AURORA_CLUSTERS);
    expect([c.rds.enabled && "rds", c.elastiCache.enabled && "elasticache"].filter(Boolean).join(",")).toBe(ENV_DEFAULTS.FORWARD_SOURCES);
  });

  it("the tag filters the stack sets (RDS_TAG_FILTER, ELASTICACHE_TAG_FILTER) win over their alternative names", () => {
    const c = parseForwardConfig({ ...base, RDS_TAG_FILTER: "env=prod", RDS_TAG: "env=dev", ELASTICACHE_TAG_FILTER: "team", ELASTICACHE_TAG: "other" });
    expect(c.rds.tagFilter).toEqual([{ key: "env", value: "prod" }]);
    expect(c.elastiCache.tagFilter).toEqual([{ key: "team" }]);
  });

  it("reads every setting, including the alternative names RDS_TAG / ELASTICACHE_TAG and an assumed role", () => {
    const c = parseForwardConfig({
      REMOTE_WRITE_URL: "http://prometheus:9090/api/v1/write",
      FORWARD_STATE_BUCKET: "state-bucket",
      TARGETS_BUCKET: "ignored-bucket",
      FORWARD_STATE_KEY: "fw/marks.json",
      FORWARD_LOOKBACK: "1h",
      FORWARD_DELAY: "90s",
      FORWARD_INTERVAL: "30",
      FORWARD_SOURCES: "rds",
      RDS_INSTANCES: "orders, billing,orders",
      RDS_TAG: "env=prod",
      ELASTICACHE_TAG_FILTER: "team=web,critical",
      FORWARD_AURORA_CLUSTERS: "false",
      FORWARD_TAG_LABELS: "team,cost-center",
      FORWARD_JOB: "aws",
    });
    expect(c.remoteWrite.auth).toEqual({ type: "none" });
    expect(c.state).toEqual({ bucket: "state-bucket", key: "fw/marks.json" });
    expect([c.lookbackMs, c.delayMs, c.intervalMs]).toEqual([3_600_000, 90_000, 30_000]);
    expect(c.rds).toEqual({ enabled: true, instances: ["orders", "billing"], tagFilter: [{ key: "env", value: "prod" }], clusters: false });
    expect(c.elastiCache).toEqual({ enabled: false, tagFilter: [{ key: "team", value: "web" }, { key: "critical" }] });
    expect(c.tagLabels).toEqual(["team", "cost-center"]);
    expect(c.job).toBe("aws");
    const role = parseForwardConfig({ ...base, AMP_ROLE_ARN: "arn:aws:iam::111122223333:role/amp-writer" });
    expect(role.remoteWrite.auth).toEqual({ type: "sigv4", region: "eu-west-1", roleArn: "arn:aws:iam::111122223333:role/amp-writer" });
    expect(parseForwardConfig({ ...base, REMOTE_WRITE_URL: "http://x/api/v1/write", AMP_REMOTE_WRITE_URL: "" }).remoteWrite.auth).toEqual({ type: "none" });
    expect(
      parseForwardConfig({
        REMOTE_WRITE_URL: "https://mimir.example/api/v1/push",
        REMOTE_WRITE_AUTH: "sigv4",
        AWS_REGION: "us-east-2",
        TARGETS_BUCKET: "b-b-b",
      }).remoteWrite.auth,
    ).toEqual({
      type: "sigv4",
      region: "us-east-2",
    });
  });

  it.each([
    [{ TARGETS_BUCKET: "bucket" }, "AMP_REMOTE_WRITE_URL"],
    [{ ...base, AMP_REMOTE_WRITE_URL: "not a url" }, "AMP_REMOTE_WRITE_URL"],
    [{ ...base, AMP_REMOTE_WRITE_URL: "ftp://x/y" }, "AMP_REMOTE_WRITE_URL"],
    [{ ...base, REMOTE_WRITE_AUTH: "basic" }, "REMOTE_WRITE_AUTH"],
    [{ ...base, AMP_REGION: "us-east-1" }, "AMP_REGION"],
    [{ REMOTE_WRITE_URL: "https://x.example/w", REMOTE_WRITE_AUTH: "sigv4", TARGETS_BUCKET: "bucket" }, "AMP_REGION"],
    [{ ...base, AMP_ROLE_ARN: "role/amp" }, "AMP_ROLE_ARN"],
    [{ AMP_REMOTE_WRITE_URL: AMP }, "FORWARD_STATE_BUCKET"],
    [{ ...base, FORWARD_STATE_BUCKET: "Bad_Bucket" }, "FORWARD_STATE_BUCKET"],
    [{ ...base, FORWARD_STATE_KEY: "/abs" }, "FORWARD_STATE_KEY"],
    [{ ...base, FORWARD_LOOKBACK: "soon" }, "FORWARD_LOOKBACK"],
    [{ ...base, FORWARD_LOOKBACK: "2m" }, "FORWARD_LOOKBACK"],
    [{ ...base, FORWARD_LOOKBACK: "2d" }, "FORWARD_LOOKBACK"],
    [{ ...base, FORWARD_DELAY: "2h" }, "FORWARD_DELAY"],
    [{ ...base, FORWARD_INTERVAL: "10ms" }, "FORWARD_INTERVAL"],
    [{ ...base, FORWARD_SOURCES: "rds,dynamodb" }, "FORWARD_SOURCES"],
    [{ ...base, RDS_INSTANCES: " , " }, "RDS_INSTANCES"],
    [{ ...base, RDS_TAG_FILTER: "=prod" }, "RDS_TAG_FILTER"],
    [{ ...base, FORWARD_AURORA_CLUSTERS: "maybe" }, "FORWARD_AURORA_CLUSTERS"],
    [{ ...base, FORWARD_TAG_LABELS: "team+x" }, "FORWARD_TAG_LABELS"],
    [{ ...base, FORWARD_MAX_SERIES_PER_WRITE: "0" }, "FORWARD_MAX_SERIES_PER_WRITE"],
    [{ ...base, FORWARD_METRIC_SET: "{not json" }, "FORWARD_METRIC_SET"],
    [{ ...base, FORWARD_METRIC_SET: '{"period":90}' }, "FORWARD_METRIC_SET"],
    [{ ...base, FORWARD_METRIC_SET: '{"rdsInstance":[{"name":"CPUUtilization","statistics":["p99"]}]}' }, "FORWARD_METRIC_SET"],
    [{ ...base, FORWARD_METRIC_SET: '{"rdsInstance":[{"name":"A","statistics":["Sum"]},{"name":"A","statistics":["Average"]}]}' }, "FORWARD_METRIC_SET"],
    [{ ...base, FORWARD_METRIC_SET: "/nonexistent/metric-set.json" }, "FORWARD_METRIC_SET"],
  ])("%# -> ConfigError naming %s", (env, variable) => {
    const err = configError(env as Record<string, string>);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable.startsWith("AMP_REMOTE") ? "AMP_REMOTE_WRITE_URL" : variable);
  });

  it("reports every bad or missing variable in one error, one line each", () => {
    const err = configError({
      REMOTE_WRITE_AUTH: "basic",
      FORWARD_STATE_KEY: "/abs",
      FORWARD_INTERVAL: "10ms",
      FORWARD_SOURCES: "rds,dynamodb",
      FORWARD_AURORA_CLUSTERS: "maybe",
      FORWARD_MAX_SERIES_PER_WRITE: "0",
      RDS_TAG_FILTER: "=prod",
      FORWARD_METRIC_SET: "{not json",
    });
    const variables = err.problems.map((p) => p.variable);
    expect(variables.sort()).toEqual(
      [
        "AMP_REMOTE_WRITE_URL",
        "REMOTE_WRITE_AUTH",
        "FORWARD_STATE_BUCKET",
        "FORWARD_STATE_KEY",
        "FORWARD_METRIC_SET",
        "FORWARD_INTERVAL",
        "FORWARD_SOURCES",
        "FORWARD_MAX_SERIES_PER_WRITE",
        "RDS_TAG_FILTER",
        "FORWARD_AURORA_CLUSTERS",
      ].sort(),
    );
    const lines = err.message.split("\n");
    expect(lines).toEqual(err.problems.map((p) => p.message));
    for (const p of err.problems) expect(p.message).toContain(p.variable);
  });

  it("reports SigV4 region and role problems together, and no lookback problem caused by a bad delay", () => {
    const sigv4 = configError({ REMOTE_WRITE_URL: "https://x.example/w", REMOTE_WRITE_AUTH: "sigv4", AMP_ROLE_ARN: "role/amp", TARGETS_BUCKET: "bucket" });
    expect(sigv4.problems.map((p) => p.variable)).toEqual(["AMP_REGION", "AMP_ROLE_ARN"]);
    const delay = configError({ ...base, FORWARD_DELAY: "2h", FORWARD_LOOKBACK: "1m", FORWARD_JOB: "x" });
    expect(delay.problems.map((p) => p.variable)).toEqual(["FORWARD_DELAY"]);
    const both = configError({ ...base, FORWARD_DELAY: "soon", FORWARD_LOOKBACK: "48h" });
    expect(both.problems.map((p) => p.variable)).toEqual(["FORWARD_DELAY", "FORWARD_LOOKBACK"]);
    expect(both.problems[1]?.message).toMatch(/at most 24h/);
  });

  it("takes a metric-set override inline or from a file, other kinds keeping the defaults", () => {
    const inline = parseForwardConfig({ ...base, FORWARD_METRIC_SET: '{"period":300,"elastiCacheNode":[{"name":"CurrItems","statistics":["Maximum"]}]}' });
    expect(inline.metricSet.period).toBe(300);
    expect(inline.metricSet.elastiCacheNode).toEqual([{ name: "CurrItems", statistics: ["Maximum"] }]);
    expect(inline.metricSet.rdsInstance).toBe(DEFAULT_METRIC_SET.rdsInstance);
    const dir = mkdtempSync(join(tmpdir(), "fwd-config-"));
    const file = join(dir, "set.json");
    writeFileSync(file, JSON.stringify({ rdsCluster: [] }));
    expect(parseForwardConfig({ ...base, FORWARD_METRIC_SET: file }).metricSet.rdsCluster).toEqual([]);
  });

  it("refuses credentials in the URL with one line, the password masked", () => {
    const password = "s3cr3t-pa55";
    const basic = configError({ REMOTE_WRITE_URL: `http://user:${password}@host:9090/api/v1/write?token=t0k3n-xyz`, TARGETS_BUCKET: "bucket" });
    expect(basic.problems).toHaveLength(1);
    expect(basic.variable).toBe("REMOTE_WRITE_URL");
    expect(basic.message).toMatch(/^REMOTE_WRITE_URL=http:\/\/user:\*\*\*@host:9090\/api\/v1\/write\?… has credentials in the URL, which are refused/);
    expect(basic.message.split("\n")).toHaveLength(1);
    expect(basic.message).not.toContain(password);
    expect(basic.message).not.toContain("t0k3n-xyz");
    // A user name alone (a token), through the AMP variable too; other problems are still listed.
    const token = configError({ AMP_REMOTE_WRITE_URL: "https://glc_abcdef123456@prom.example/api/prom/push", FORWARD_SOURCES: "x" });
    expect(token.variables).toEqual(["AMP_REMOTE_WRITE_URL", "FORWARD_STATE_BUCKET", "FORWARD_SOURCES"]);
    expect(token.problems[0]!.message).toContain("https://***@prom.example/api/prom/push");
    expect(token.message).not.toContain("glc_abcdef123456");
    // An unparseable URL is quoted masked as well.
    const bad = configError({ REMOTE_WRITE_URL: "http://user:hunter2hunter2@exa mple/w", TARGETS_BUCKET: "bucket" });
    expect(bad.message).toBe('REMOTE_WRITE_URL="http://user:***@exa mple/w" is not a URL');
    // Without credentials, a query string is kept as it is.
    expect(parseForwardConfig({ REMOTE_WRITE_URL: "http://host/api/v1/write?tenant=a", TARGETS_BUCKET: "bucket" }).remoteWrite.url).toBe(
      "http://host/api/v1/write?tenant=a",
    );
  });

  it("parses durations", () => {
    expect(parseDuration("X", "250ms")).toBe(250);
    expect(parseDuration("X", "1.5m")).toBe(90_000);
    expect(parseDuration("X", "45")).toBe(45_000);
    expect(() => parseDuration("X", "-1s")).toThrow(ConfigError);
  });
});
