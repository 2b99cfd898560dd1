// Several sources on the command line: --source repeated or SIDECAR_SOURCE one per line,
// each with optional ?name=&role=&region=&external-id=; names given or derived and unique;
// --output-dir; every mistake one line naming the flag or variable and the source.
import { describe, expect, it } from "vitest";
import { ConfigError, defaultSourceName, parseConfig, parseSourceEntry, runSidecar, sourcesOf } from "../src/index";

const ROLE = "arn:aws:iam::111122223333:role/prometheus-reader";
const ok = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseConfig(argv, env);
  if (r.help) throw new Error("help");
  return r.config;
};
const problems = (argv: string[], env: Record<string, string> = {}) => {
  try {
    parseConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const list = (err as ConfigError).problems;
    for (const p of list) expect(p.message).not.toContain("\n");
    return list.map((p) => p.message);
  }
  throw new Error("expected a ConfigError");
};

describe("one source's text", () => {
  it("is the location, then options after the last ?", () => {
    expect(parseSourceEntry(`s3://bkt/targets/ecs-services.json?role=${ROLE}&region=eu-west-1&name=prod&external-id=ext-1`)).toEqual({
      hasOptions: true,
      problems: [],
      entry: { spec: { kind: "s3", bucket: "bkt", key: "targets/ecs-services.json" }, name: "prod", role: ROLE, region: "eu-west-1", externalId: "ext-1" },
    });
    expect(parseSourceEntry("ssm:/a/b/manifest")).toEqual({ hasOptions: false, problems: [], entry: { spec: { kind: "ssm", name: "/a/b/manifest" } } });
    // a location with "?" ends with "?" (empty options)
    expect(parseSourceEntry("s3://bkt/odd?key.json?").entry).toEqual({ spec: { kind: "s3", bucket: "bkt", key: "odd?key.json" } });
    expect(parseSourceEntry("file:/tmp/x.json?name=local").entry).toEqual({ spec: { kind: "file", path: "/tmp/x.json" }, name: "local" });
  });

  it("reports each problem on its own line", () => {
    expect(parseSourceEntry("s3://bkt/k?role=reader&region=Europe&name=-x&colour=red&name=a").problems).toEqual([
      'role "reader": not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)',
      'region "Europe": not an AWS region (want e.g. eu-west-1)',
      'name "-x": want 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'unknown option "colour" (want name, role, region, external-id; a location that contains "?" ends with "?", e.g. s3://BUCKET/a?b.json?)',
    ]);
    expect(parseSourceEntry("s3://bkt/k?name=a&name=b").problems).toEqual(["option name given more than once"]);
    expect(parseSourceEntry("s3://bkt/k?role=").problems).toEqual(["option role needs a value (role=...)"]);
    expect(parseSourceEntry("s3://bkt/k?v=1").problems[0]).toMatch(/^unknown option "v"/);
    expect(parseSourceEntry(`file:/x.json?role=${ROLE}`).problems).toEqual(["role, region and external-id apply to s3:// and ssm: sources, not file:"]);
    expect(parseSourceEntry("s3://bkt/k?external-id=abc").problems).toEqual(["external-id needs a role"]);
    expect(parseSourceEntry("ftp://x?name=a").problems).toEqual(["unknown source (want s3://BUCKET/KEY, ssm:/PARAMETER or file:PATH)"]);
  });

  it("derives a name: the role's account, else the bucket, the parameter or the file", () => {
    expect(defaultSourceName({ spec: { kind: "s3", bucket: "bkt", key: "k" }, role: ROLE })).toBe("111122223333");
    expect(defaultSourceName({ spec: { kind: "s3", bucket: "my.bucket", key: "k" } })).toBe("my.bucket");
    expect(defaultSourceName({ spec: { kind: "ssm", name: "/scrape-reconciler/prod/targets/manifest" } })).toBe("scrape-reconciler-prod-targets-manifest");
    expect(defaultSourceName({ spec: { kind: "file", path: "/tmp/ecs services.json" } })).toBe("ecs-services");
  });
});

describe("parseConfig with several sources", () => {
  it("keeps one plain source exactly as before (no `sources`)", () => {
    const c = ok(["--source", "s3://b1/k", "--output", "/o.json"]);
    expect(c.sources).toBeUndefined();
    expect(sourcesOf(c)).toEqual([{ name: "b1", spec: { kind: "s3", bucket: "b1", key: "k" } }]);
    expect(ok(["--source", "s3://b1/k?name=prod", "--output", "/o.json"]).sources).toEqual([{ name: "prod", spec: { kind: "s3", bucket: "b1", key: "k" } }]);
  });

  it("takes --source repeatedly, in order, with --output-dir", () => {
    const c = ok([
      "--source",
      "s3://targets-a/k?name=a",
      "--source",
      `ssm:/b/manifest?role=${ROLE}&region=eu-west-1`,
      "--source=s3://targets-c/k",
      "--output-dir",
      "/sd",
      "--output",
      "/all/targets.json",
    ]);
    expect(c.source).toEqual({ kind: "s3", bucket: "targets-a", key: "k" });
    expect(c.sources).toEqual([
      { name: "a", spec: { kind: "s3", bucket: "targets-a", key: "k" } },
      { name: "111122223333", spec: { kind: "ssm", name: "/b/manifest" }, role: ROLE, region: "eu-west-1" },
      { name: "targets-c", spec: { kind: "s3", bucket: "targets-c", key: "k" } },
    ]);
    expect(c.outputDir).toBe("/sd");
    expect(c.output).toBe("/all/targets.json");
  });

  it("reads SIDECAR_SOURCE one source per line (blank lines ignored); flags win", () => {
    const env = { SIDECAR_SOURCE: `\n  s3://a/k?name=a \n\ns3://b/k?name=b\r\n`, SIDECAR_OUTPUT_DIR: "/sd" };
    expect(sourcesOf(ok([], env)).map((s) => s.name)).toEqual(["a", "b"]);
    expect(ok([], env).outputDir).toBe("/sd");
    expect(sourcesOf(ok(["--source", "s3://c/k"], env)).map((s) => s.name)).toEqual(["c"]);
  });

  it("reports every bad source, naming the flag or variable and the source", () => {
    expect(problems(["--source", "s3://a/k?region=nowhere", "--source", "s3://a/k", "--source", "s3://b/k?name=A", "--listen", ":1"])).toEqual([
      '--source "s3://a/k?region=nowhere": region "nowhere": not an AWS region (want e.g. eu-west-1)',
      '--source "s3://b/k?name=A": name "A" is also the name of "s3://a/k" (give each source its own ?name=)',
    ]);
    expect(problems([], { SIDECAR_SOURCE: "s3://a/k\nftp://x", SIDECAR_LISTEN: ":1" })).toEqual([
      'SIDECAR_SOURCE "ftp://x": unknown source (want s3://BUCKET/KEY, ssm:/PARAMETER or file:PATH)',
    ]);
    expect(problems(["--source", "s3://a/k", "--source", "s3://b/k"])).toEqual([
      "give --output-dir (SIDECAR_OUTPUT_DIR), --output (SIDECAR_OUTPUT) or --listen (SIDECAR_LISTEN)",
    ]);
    expect(problems(["--source", "s3://a/k", "--source", "", "--listen", ":1"])).toEqual(["--source is empty"]);
  });

  it("refuses a combined file inside --output-dir and an output over a file source", () => {
    expect(problems(["--source", "s3://a/k", "--source", "s3://b/k", "--output-dir", "/sd", "--output", "/sd/all.json"])).toEqual([
      '--output "/sd/all.json" is in --output-dir "/sd": a /sd/*.json glob would read every target twice',
    ]);
    expect(problems(["--source", "file:/sd/a.json", "--source", "s3://b/k", "--output-dir", "/sd"])).toEqual([
      '--output-dir "/sd" would overwrite the source file:/sd/a.json',
    ]);
  });

  it("the entry point prints one line per problem and exits 2", async () => {
    const err: string[] = [];
    const code = await runSidecar(["--source", "s3://a/k?role=x&colour=red", "--output-dir", "/sd"], {}, { stderr: (t) => void err.push(t), prog: "p" });
    expect(code).toBe(2);
    expect(err).toEqual([
      'p: --source "s3://a/k?role=x&colour=red": role "x": not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)\n',
      'p: --source "s3://a/k?role=x&colour=red": unknown option "colour" (want name, role, region, external-id; a location that contains "?" ends with "?", e.g. s3://BUCKET/a?b.json?)\n',
    ]);
  });
});

describe("a source's external id is a secret", () => {
  it("is never echoed in a config error", () => {
    const secret = "s3cr3t-shared-id";
    const run = (source: string) => {
      try {
        parseConfig(["--source", source, "--output-dir", "/tmp/sd"], {});
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    };
    const bad = run(`s3://b/k?role=arn:aws:iam::111122223333:role/r&external-id=${secret}!`);
    expect(bad).toMatch(/external-id "\*\*\*"/);
    expect(bad).not.toContain(secret);
    const other = run(`s3://b/k?role=not-a-role&external-id=${secret}`);
    expect(other).toMatch(/role "not-a-role"/);
    expect(other).not.toContain(secret);
  });
});
