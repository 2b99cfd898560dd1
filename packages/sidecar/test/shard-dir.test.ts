// --shard-dir with an index source on the simulator's S3: one file per shard with the shard's
// exact bytes, only a changed shard rewritten, the files of shards that left the index removed
// (and no other file), a failed index changing no file, a failed write finished by the next
// sync without fetching again, a removed file restored, a restart healthy on the files it
// finds; and the flag's configuration (one index source or one ssm: source, a folder of its
// own). An ssm: source's shard files: ssm-index.test.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sumMetric } from "../../../test/support/prometheus";
import { ConfigError, USAGE, parseConfig, silentLogger, startSidecar, type AtomicFs, type SidecarConfig, type SidecarHandle } from "../src/index";
import { BUCKET, INDEX_KEY, fleet, putSharded, serviceId, shardedLayout, type ShardedLayout } from "./publishers";

let sim: Simulator;
let s3: S3Client;
let dir: string;
let shardDir: string;
let handles: SidecarHandle[] = [];

beforeEach(async () => {
  sim = await startSimulator({ scenario: { buckets: [BUCKET] } });
  s3 = new S3Client(simClientConfig(sim));
  dir = mkdtempSync(join(tmpdir(), "sidecar-shards-"));
  shardDir = join(dir, "shards");
  mkdirSync(shardDir);
});
afterEach(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  handles = [];
  s3.destroy();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sidecar(config: Partial<SidecarConfig> = {}, fs?: AtomicFs) {
  const h = await startSidecar(
    { source: { kind: "s3", bucket: BUCKET, key: INDEX_KEY }, shardDir, intervalMs: 1000, maxBackoffMs: 60_000, logLevel: "error", ...config },
    { s3Config: { ...simClientConfig(sim), maxAttempts: 1 }, loop: false, log: silentLogger, defaultMetrics: false, ...(fs ? { fs } : {}) },
  );
  handles.push(h);
  return h;
}
const metric = async (h: SidecarHandle, name: string, labels?: Record<string, string>) =>
  sumMetric(await h.metrics.registry.metrics(), `scrape_reconciler_sidecar_${name}`, labels);
const files = () => readdirSync(shardDir).sort();
const shardFiles = (layout: ShardedLayout) => layout.shards.map((s) => `${s.id}.json`);
const ids = () => Object.fromEntries(files().map((f) => [f, [statSync(join(shardDir, f)).ino, statSync(join(shardDir, f)).mtimeMs]]));
const expectFiles = (layout: ShardedLayout) => {
  for (const s of layout.shards) expect(readFileSync(join(shardDir, `${s.id}.json`), "utf8")).toBe(s.text);
};

describe("--shard-dir", () => {
  it("writes one file per shard, rewrites only a changed one, removes those that left the index and no other file", async () => {
    // Not shard files (never removed), and a shard file of an index long gone (removed).
    writeFileSync(join(shardDir, "notes.txt"), "mine");
    writeFileSync(join(shardDir, "my.targets.json"), "[]");
    writeFileSync(join(shardDir, "srv-9999gone.json"), "[]");
    const out = join(dir, "ecs-services.json");
    const first = shardedLayout(fleet(6, 4), 1);
    await putSharded(s3, first);
    const h = await sidecar({ output: out });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 1 });
    expect(readFileSync(out, "utf8")).toBe(first.documentText);
    expect(files()).toEqual([...shardFiles(first), "my.targets.json", "notes.txt"].sort());
    expectFiles(first);
    expect(await metric(h, "file_writes_total")).toBe(1 + 6);
    const before = ids();

    // Service 2 changes, service 5 leaves.
    const next = shardedLayout(
      fleet(5, 4, (n) => (n === 2 ? 2 : 1)),
      2,
    );
    await putSharded(s3, next);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(files()).toEqual([...shardFiles(next), "my.targets.json", "notes.txt"].sort());
    expectFiles(next);
    const after = ids();
    for (const f of shardFiles(next)) {
      if (f === `${serviceId(2)}.json`) expect(after[f]).not.toEqual(before[f]);
      else expect(after[f]).toEqual(before[f]);
    }
    expect(await metric(h, "file_writes_total")).toBe(1 + 6 + 1 + 1);

    // A 304: nothing written; a shard file removed by something else is restored.
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged", note: "not_modified" });
    expect(ids()).toEqual(after);
    unlinkSync(join(shardDir, `${serviceId(0)}.json`));
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged" });
    expectFiles(next);
  });

  it("a failed index changes no shard file", async () => {
    const first = shardedLayout(fleet(4, 3), 1);
    await putSharded(s3, first);
    const h = await sidecar();
    await h.syncer.syncOnce();
    const before = ids();
    const next = shardedLayout(
      fleet(3, 3, () => 2),
      2,
    );
    await putSharded(s3, next, { shards: (s) => s.id !== serviceId(1) });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "not_found" });
    expect(ids()).toEqual(before);
    expectFiles(first);
  });

  it("a failed write is a write_error; the next sync finishes it without fetching a shard again", async () => {
    let failing: string | undefined = `${serviceId(2)}.json`;
    const fs: AtomicFs = { ...fsp, rename: (a, b) => (failing && String(b).endsWith(failing) ? Promise.reject(new Error("EIO injected")) : fsp.rename(a, b)) };
    const layout = shardedLayout(fleet(4, 3), 1);
    await putSharded(s3, layout);
    const h = await sidecar({}, fs);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "write_error" });
    expect(files()).not.toContain(`${serviceId(2)}.json`);
    expect(h.syncer.applied).toBeUndefined();
    const fetched = await metric(h, "shard_fetches_total");
    failing = undefined;
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 1 });
    expect(await metric(h, "shard_fetches_total")).toBe(fetched);
    expect(files()).toEqual(shardFiles(layout));
    expectFiles(layout);
  });

  it("at a restart is healthy on the shard files it finds, and rewrites none of the same bytes", async () => {
    const listen = { host: "127.0.0.1", port: 0 };
    const layout = shardedLayout(fleet(4, 3), 1);
    await putSharded(s3, layout);
    const fresh = await sidecar({ listen });
    expect((await fetch(`${fresh.url}/healthz`)).status).toBe(503);
    await fresh.syncer.syncOnce();
    await fresh.stop();
    const before = ids();
    const again = await sidecar({ listen });
    expect((await fetch(`${again.url}/healthz`)).status).toBe(200);
    expect(await again.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 1 });
    expect(ids()).toEqual(before);
    expect(await metric(again, "file_writes_total")).toBe(0);
  });
});

describe("--shard-dir configuration", () => {
  const INDEX = "s3://b/targets/ecs-services.index.json";
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
      return (err as ConfigError).problems.map((p) => p.message);
    }
    throw new Error("expected a ConfigError");
  };

  it("takes a folder with one index source or one ssm: source, from the flag or SIDECAR_SHARD_DIR, alone or beside the other outputs", () => {
    expect(ok(["--source", INDEX, "--shard-dir", "/sd"])).toMatchObject({ shardDir: "/sd", source: { kind: "s3", key: "targets/ecs-services.index.json" } });
    expect(ok([], { SIDECAR_SOURCE: `${INDEX}?name=prod`, SIDECAR_SHARD_DIR: "/sd" }).shardDir).toBe("/sd");
    expect(ok(["--source", INDEX, "--shard-dir", "/sd/shards", "--output", "/sd/all.json", "--listen", ":9099"])).toMatchObject({
      shardDir: "/sd/shards",
      output: "/sd/all.json",
    });
    expect(ok(["--source", INDEX, "--output", "/o.json"]).shardDir).toBeUndefined();
    // An ssm: source fills it while its manifest names an index (ssm-index.test.ts).
    expect(ok(["--source", "ssm:/p", "--shard-dir", "/sd"])).toMatchObject({ shardDir: "/sd", source: { kind: "ssm", name: "/p" } });
    expect(ok([], { SIDECAR_SOURCE: "ssm:/p?name=prod", SIDECAR_SHARD_DIR: "/sd" }).shardDir).toBe("/sd");
  });

  it("refuses another source, several sources, and a folder shared with --output or --output-dir", () => {
    expect(problems(["--source", "s3://b/targets/ecs-services.json", "--shard-dir", "/sd"])).toEqual([
      '--shard-dir "/sd" needs an index source, s3://BUCKET/KEY.index.json, or an ssm: source (not s3://b/targets/ecs-services.json)',
    ]);
    expect(problems([], { SIDECAR_SOURCE: "file:/x.json", SIDECAR_SHARD_DIR: "/sd" })).toEqual([
      'SIDECAR_SHARD_DIR "/sd" needs an index source, s3://BUCKET/KEY.index.json, or an ssm: source (not file:/x.json)',
    ]);
    expect(problems(["--source", `${INDEX}?name=a`, "--source", `${INDEX}?name=b`, "--shard-dir", "/sd", "--output-dir", "/o"])).toEqual([
      '--shard-dir "/sd" works with one source, not 2',
    ]);
    expect(problems(["--source", INDEX, "--shard-dir", "/sd", "--output", "/sd/ecs-services.json"])).toEqual([
      '--output "/sd/ecs-services.json" is in --shard-dir "/sd": the folder is the sidecar\'s (a /sd/*.json glob would read every target twice)',
    ]);
    expect(problems(["--source", INDEX, "--shard-dir", "/sd/", "--output-dir", "/sd"])).toEqual([
      '--output-dir "/sd" is the --shard-dir: give each its own folder',
    ]);
    expect(problems(["--source", INDEX, "--shard-dir", ""])).toEqual(["--shard-dir is empty"]);
  });

  it("is in the usage text", () => {
    expect(USAGE).toMatch(/^ {2}--shard-dir DIR {8}one file_sd file per shard, DIR\/ID\.json.*\(SIDECAR_SHARD_DIR\)$/m);
    expect(USAGE).toContain("a KEY ending in .index.json");
    // The variable in the column of the others'.
    const column = (v: string) =>
      USAGE.split("\n")
        .find((l) => l.includes(`(${v})`))!
        .indexOf(`(${v})`);
    expect(column("SIDECAR_SHARD_DIR")).toBe(column("SIDECAR_OUTPUT_DIR"));
  });
});
