// Stage configuration: defaults, the file/env sources, and errors with one line
// per offending field, naming it.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CONFIG_ENV,
  checkDeployTarget,
  ConfigError,
  LOG_RETENTION_DAYS,
  loadStageConfig,
  parseStageConfig,
  REMOVAL_DEFAULTS,
  stageRemoval,
} from "../../infra/config";

/** A stage file's required target (checkDeployTarget). */
const TARGET = { account: "111122223333", region: "eu-west-1" };

const at = { app: "scrape-reconciler", stage: "prod", source: "infra/stages/prod.json" };
const parse = (raw: unknown) => parseStageConfig(raw, at);
function errorOf(raw: unknown, opts = at): string {
  try {
    parseStageConfig(raw, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("stage configuration", () => {
  it("defaults: all namespaces and clusters, the design's keys, parameter and schedules", () => {
    const c = parse({});
    expect(c.namespaces).toEqual([]);
    expect(c.clusters).toEqual([]);
    expect(c.document).toEqual({
      key: "targets/ecs-services.json",
      stateKey: "targets/state.json",
      forwardStateKey: "forwarder/state.json",
      noncurrentVersionDays: 30,
    });
    expect(c.manifestParameter).toBe("/scrape-reconciler/prod/targets/manifest");
    expect(c.schedules).toEqual({ reconcile: "rate(5 minutes)", forward: "rate(1 minute)", audit: "rate(5 minutes)" });
    expect(c.reconcile).toEqual({ timeoutSeconds: 60, maxConcurrency: 2, maxReceiveCount: 5, batchingWindowSeconds: 0 });
    expect(c.tags.metricsPort).toBe("METRICS_PORT");
    expect(c.amp).toBeUndefined();
    // The forwarder reads every RDS instance (with Aurora clusters) and cache cluster unless narrowed.
    expect(c.rds).toEqual({ enabled: true, instances: [], auroraClusters: true });
    expect(c.elastiCache).toEqual({ enabled: true, clusters: [] });
    expect(c.alarms.evaluationPeriods).toBe(3);
    // Above the reconciler's 15-minute state heartbeat plus a 5-minute audit period.
    expect(c.alarms.documentMaxAgeSeconds).toBe(1800);
    expect(c.alarms.reconcileMaxAgeSeconds).toBe(1800);
    expect(parse({ alarms: {} }).alarms).toMatchObject({ documentMaxAgeSeconds: 1800, reconcileMaxAgeSeconds: 1800 });
    // No reader in another account unless named.
    expect(c.readers).toEqual([]);
  });

  it("readers: IAM role ARNs of other accounts, with or without a path, in any partition", () => {
    const readers = [
      "arn:aws:iam::999999999999:role/prometheus-central",
      "arn:aws:iam::444455556666:role/monitoring/eu/prometheus-reader",
      "arn:aws-cn:iam::123456789012:role/prom+reader=1,a.b@c_d-e",
    ];
    expect(parse({ readers }).readers).toEqual(readers);
  });

  it.each([
    ["arn:aws:iam::111122223333:root", /: readers\[0\]: an account root is not accepted: name the reader role/],
    ["arn:aws:iam::111122223333:role/*", /: readers\[0\]: expected an IAM role ARN/],
    ["arn:aws:iam::111122223333:role/prometheus-?", /: readers\[0\]: expected an IAM role ARN/],
    ["arn:aws:iam::*:role/prometheus", /: readers\[0\]: expected an IAM role ARN/],
    ["arn:aws:iam::111122223333:user/alice", /: readers\[0\]: expected an IAM role ARN/],
    ["arn:aws:sts::111122223333:assumed-role/prometheus/session", /: readers\[0\]: expected an IAM role ARN/],
    ["arn:aws:iam::11112222333:role/prometheus", /: readers\[0\]: expected an IAM role ARN/],
    ["111122223333", /: readers\[0\]: expected an IAM role ARN/],
    [`arn:aws:iam::111122223333:role/${"r".repeat(65)}`, /: readers\[0\]: expected an IAM role ARN/],
  ])("readers: rejects %s with one line naming the entry", (arn, expected) => {
    const msg = errorOf({ readers: [arn] });
    expect(msg).toMatch(expected);
    expect(msg).not.toContain("\n");
  });

  it("readers: one line per bad entry, a duplicate named once, not a list or too many", () => {
    const role = "arn:aws:iam::999999999999:role/prometheus-central";
    let err: unknown;
    try {
      parse({ readers: [role, "arn:aws:iam::999999999999:root", role, "nope"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split("\n")).toEqual([
      "infra/stages/prod.json: readers[1]: an account root is not accepted: name the reader role, arn:aws:iam::ACCOUNT:role/NAME (a root would let every principal of that account its administrators allow read the document)",
      "infra/stages/prod.json: readers[3]: expected an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:role/PATH/NAME (no wildcard, user or assumed-role ARN)",
      "infra/stages/prod.json: readers[2]: duplicate of readers[0]",
    ]);
    expect(errorOf({ readers: role })).toBe("infra/stages/prod.json: readers: expected a list of IAM role ARNs");
    const many = Array.from({ length: 51 }, (_, i) => `arn:aws:iam::999999999999:role/reader-${i}`);
    expect(errorOf({ readers: many })).toMatch(/^infra\/stages\/prod\.json: readers: at most 50 readers/);
    // The stack reads the same validation from the environment.
    const env = { [CONFIG_ENV]: JSON.stringify({ readers: ["arn:aws:iam::999999999999:root"] }) };
    expect(() => loadStageConfig({ app: at.app, stage: "prod", root: tmpdir(), env })).toThrow(
      new RegExp(`^${CONFIG_ENV}: readers\\[0\\]: an account root is not accepted`),
    );
  });

  it("AMP: region and workspace id come from the URL", () => {
    const c = parse({ amp: { remoteWriteUrl: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-abc-123/api/v1/remote_write" } });
    expect(c.amp).toMatchObject({ region: "eu-west-1", workspaceId: "ws-abc-123" });
  });

  it.each([
    [{ clusters: ["ok", "bad name!"] }, /^infra\/stages\/prod\.json: clusters\[1\]: expected an ECS cluster name or cluster ARN$/],
    [{ schedules: { reconcile: "every 5 minutes" } }, /: schedules\.reconcile: expected rate\(/],
    [{ schedules: { forward: "rate(1 minutes)" } }, /: schedules\.forward: /],
    [{ alarms: { email: "not-an-address" } }, /: alarms\.email: /],
    [{ alarms: { email: "ops@example.com", topicArn: "arn:aws:sns:eu-west-1:111122223333:ops" } }, /: alarms\.topicArn: set email or topicArn, not both/],
    [{ amp: { remoteWriteUrl: "http://example.com/write" } }, /: amp\.remoteWriteUrl: expected https:\/\/aps-workspaces/],
    [
      { amp: { remoteWriteUrl: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write", region: "us-east-1" } },
      /: amp\.region: does not match the URL's region eu-west-1/,
    ],
    [{ reconcile: { maxConcurrency: 1 } }, /: reconcile\.maxConcurrency: /],
    [{ document: { key: "/leading/slash.json" } }, /: document\.key: expected an S3 key/],
    [{ manifestParameter: "no-leading-slash" }, /: manifestParameter: expected an SSM parameter path/],
    [{ rds: { tag: "novalue" } }, /: rds\.tag: expected KEY=VALUE/],
    [
      {
        amp: { remoteWriteUrl: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write" },
        rds: { enabled: false },
        elastiCache: { enabled: false },
      },
      /: rds\.enabled: amp is set but both rds and elastiCache are disabled/,
    ],
    [{ logRetentionDays: 2 }, /: logRetentionDays: /],
    [{ removal: "delete" }, /: removal: expected "retain" or "remove"$/],
    [{ protect: "yes" }, /: protect: expected true or false$/],
    [{ clusterz: [] }, /: \(root\): Unrecognized key: "clusterz"/],
  ])("rejects %j with one line naming the field", (raw, expected) => {
    const msg = errorOf(raw);
    expect(msg).toMatch(expected);
    expect(msg).not.toContain("\n");
  });

  it("reports every bad field (and a bad stage name) in one error, one line each", () => {
    let err: unknown;
    try {
      parseStageConfig(
        { clusters: ["bad name!"], schedules: { forward: "rate(1 minutes)" }, alarms: { evaluationPeriods: 0 }, removal: "delete" },
        { ...at, stage: "Prod_1" },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const { problems, message } = err as ConfigError;
    expect(problems.map((p) => p.variable).sort()).toEqual(["alarms.evaluationPeriods", "clusters[0]", "removal", "schedules.forward", "stage"]);
    expect(problems[0]?.message).toMatch(/^infra\/stages\/prod\.json: stage: "Prod_1" must match/);
    const lines = message.split("\n");
    expect(lines).toHaveLength(5);
    expect(lines).toEqual(problems.map((p) => p.message));
    for (const p of problems) expect(p.message.startsWith(`infra/stages/prod.json: ${p.variable}: `)).toBe(true);
  });

  it("removal and protection: safe by default, per stage, whatever its name", () => {
    expect(parse({})).toMatchObject({ removal: "retain", protect: true });
    expect(parseStageConfig({}, { ...at, stage: "production" })).toMatchObject(REMOVAL_DEFAULTS);
    expect(parse({ removal: "remove", protect: false })).toMatchObject({ removal: "remove", protect: false });
    // Protected against `sst remove` while a resource dropped from the stack is deleted: allowed.
    expect(parse({ removal: "remove" })).toMatchObject({ removal: "remove", protect: true });
  });

  it("stageRemoval (for app()) finds the stage file from a subfolder, honours the environment, and validates", () => {
    const root = mkdtempSync(join(tmpdir(), "sr-removal-"));
    mkdirSync(join(root, "infra/stages"), { recursive: true });
    mkdirSync(join(root, "packages/x"), { recursive: true });
    writeFileSync(join(root, "sst.config.ts"), "");
    writeFileSync(join(root, "infra/stages/dev.json"), JSON.stringify({ ...TARGET, removal: "remove", protect: false }));
    writeFileSync(join(root, "infra/stages/bad.json"), JSON.stringify({ ...TARGET, removal: "nope" }));
    const from = (stage: string | undefined, env: NodeJS.ProcessEnv = {}) => stageRemoval({ app: at.app, stage, cwd: join(root, "packages/x"), env });
    expect(from("dev")).toEqual({ removal: "remove", protect: false });
    // A stage without a file names no account: refused (its settings may come from the environment).
    expect(() => from("prod-eu")).toThrow(/^infra\/stages\/prod-eu\.json: absent: every stage has a stage file naming its "account" and "region"/);
    expect(from("prod-eu", { [CONFIG_ENV]: "{}" })).toEqual(REMOVAL_DEFAULTS);
    expect(from(undefined)).toEqual(REMOVAL_DEFAULTS);
    expect(from("dev", { [CONFIG_ENV]: JSON.stringify({ protect: true }) })).toEqual({ removal: "retain", protect: true });
    expect(() => from("bad")).toThrow(/^infra\/stages\/bad\.json: removal: expected "retain" or "remove"$/);
  });

  it("a stage file names its account and region: one line per missing or bad one, naming the field", () => {
    const file = { ...at, requireTarget: true };
    const lines = (raw: unknown) => {
      try {
        parseStageConfig(raw, file);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message.split("\n");
      }
      return [];
    };
    expect(parseStageConfig(TARGET, file)).toMatchObject(TARGET);
    expect(lines({})).toEqual([
      "infra/stages/prod.json: account: required: the 12-digit AWS account id this stage deploys to (a deploy with other credentials stops)",
      "infra/stages/prod.json: region: required: the AWS region this stage deploys to, such as eu-west-1",
    ]);
    expect(lines({ account: 111122223333, region: "eu-west-1" })).toEqual(["infra/stages/prod.json: account: expected a 12-digit AWS account id, as a string"]);
    expect(lines({ account: "1111", region: "Ireland" })).toEqual([
      "infra/stages/prod.json: account: expected a 12-digit AWS account id, as a string",
      "infra/stages/prod.json: region: expected an AWS region such as eu-west-1",
    ]);
    // The environment's configuration (the emulator's stages) may leave them out.
    expect(parse({}).account).toBeUndefined();
    expect(parse({}).region).toBeUndefined();
  });

  it("checkDeployTarget: the stage's account and region match, or one line naming the field", () => {
    const cfg = parseStageConfig(TARGET, { ...at, requireTarget: true });
    expect(() => checkDeployTarget(cfg, { account: "111122223333", region: "eu-west-1" })).not.toThrow();
    let err: unknown;
    try {
      checkDeployTarget(cfg, { account: "999999999999", region: "eu-west-1", callerArn: "arn:aws:iam::999999999999:user/alice" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      "infra/stages/prod.json: account: stage prod deploys to account 111122223333, but the credentials are of account 999999999999 (arn:aws:iam::999999999999:user/alice): use that account's credentials (AWS_PROFILE)",
    );
    expect(() => checkDeployTarget(cfg, { account: "111122223333", region: "us-east-1" })).toThrow(
      /^infra\/stages\/prod\.json: region: stage prod deploys to eu-west-1, but the AWS provider's region is us-east-1: set AWS_REGION=eu-west-1 \(or the profile's region\)$/,
    );
    // Nothing to compare without them.
    expect(() => checkDeployTarget(parse({}), { account: "999999999999", region: "us-east-1" })).not.toThrow();
  });

  it("tracing (default off) and logRetentionDays (CloudWatch's periods, default 30)", () => {
    expect(parse({})).toMatchObject({ tracing: false, logRetentionDays: 30 });
    expect(parse({ tracing: true, logRetentionDays: 3653 })).toMatchObject({ tracing: true, logRetentionDays: 3653 });
    for (const days of LOG_RETENTION_DAYS) expect(parse({ logRetentionDays: days }).logRetentionDays).toBe(days);
    expect(errorOf({ logRetentionDays: 2 })).toBe(
      `infra/stages/prod.json: logRetentionDays: expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    );
    expect(errorOf({ logRetentionDays: "30" })).toBe("infra/stages/prod.json: logRetentionDays: expected a number of days");
    expect(errorOf({ tracing: "yes" })).toBe("infra/stages/prod.json: tracing: expected true or false");
  });

  it("rejects a stage name that would not fit in a function name", () => {
    expect(errorOf({}, { ...at, stage: "Prod_1" })).toMatch(/stage: "Prod_1" must match/);
  });

  it("reads infra/stages/<stage>.json, and the environment variable wins over it", () => {
    const root = mkdtempSync(join(tmpdir(), "sr-config-"));
    mkdirSync(join(root, "infra/stages"), { recursive: true });
    writeFileSync(join(root, "infra/stages/prod.json"), JSON.stringify({ ...TARGET, clusters: ["from-file"] }));
    expect(loadStageConfig({ app: at.app, stage: "prod", root, env: {} })).toMatchObject({
      ...TARGET,
      clusters: ["from-file"],
      source: "infra/stages/prod.json",
    });
    const env = { [CONFIG_ENV]: JSON.stringify({ clusters: ["from-env"] }) };
    expect(loadStageConfig({ app: at.app, stage: "prod", root, env })).toMatchObject({ clusters: ["from-env"], source: CONFIG_ENV });
    expect(() => loadStageConfig({ app: at.app, stage: "dev", root, env: {} })).toThrow(/^infra\/stages\/dev\.json: absent: /);
    writeFileSync(join(root, "infra/stages/bad.json"), "{ clusters: ");
    expect(() => loadStageConfig({ app: at.app, stage: "bad", root, env: {} })).toThrow(/^infra\/stages\/bad\.json: not valid JSON/);
    expect(() => loadStageConfig({ app: at.app, stage: "prod", root, env: { [CONFIG_ENV]: "[1" } })).toThrow(new RegExp(`^${CONFIG_ENV}: not valid JSON`));
  });

  it("the example stage files in the repository are valid", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = new URL("../../infra/stages/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const stage = f.replace(/\.json$/, "");
      const c = parseStageConfig(JSON.parse(readFileSync(new URL(f, dir), "utf8")), { ...at, stage, source: f, requireTarget: true });
      expect(c.account).toMatch(/^\d{12}$/);
      expect(c.region).toBeDefined();
    }
  });
});
