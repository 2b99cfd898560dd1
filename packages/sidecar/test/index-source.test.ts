// The index source (s3://BUCKET/KEY.index.json) against the simulator's S3 with the real SDK
// client, the sharded publication written as the reconciler lays it out (core's shards.ts):
// --output and /targets get the single document's exact bytes; a one-service change moves
// the index and that shard only; an unchanged index is a 304; a shard with a wrong sha256, a
// missing shard, a joined document that is not the index's and a bad index each leave the
// previous file and count their reason; a source with a role and a region reads it too.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sumMetric } from "../../../test/support/prometheus";
import { isIndexSource, parseConfig, silentLogger, startSidecar, type SidecarConfig, type SidecarHandle } from "../src/index";
import { BUCKET, INDEX_KEY, KEY, fleet, putSharded, serviceId, shardedLayout } from "./publishers";

let sim: Simulator;
let s3: S3Client;
let dir: string;
let out: string;
let handles: SidecarHandle[] = [];

beforeEach(async () => {
  sim = await startSimulator({ scenario: { buckets: [BUCKET] } });
  s3 = new S3Client(simClientConfig(sim));
  dir = mkdtempSync(join(tmpdir(), "sidecar-index-"));
  out = join(dir, "ecs-services.json");
});
afterEach(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  handles = [];
  s3.destroy();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sidecar(config: Partial<SidecarConfig> = {}) {
  const h = await startSidecar(
    { source: { kind: "s3", bucket: BUCKET, key: INDEX_KEY }, output: out, intervalMs: 1000, maxBackoffMs: 60_000, logLevel: "error", ...config },
    { s3Config: { ...simClientConfig(sim), maxAttempts: 1 }, loop: false, log: silentLogger, defaultMetrics: false },
  );
  handles.push(h);
  return h;
}
/** The statuses of the GetObject calls since the last reset. */
const gets = () => sim.calls.log.filter((c) => c.key === "s3:GetObject").map((c) => c.status);
const metric = async (h: SidecarHandle, name: string, labels?: Record<string, string>) =>
  sumMetric(await h.metrics.registry.metrics(), `scrape_reconciler_sidecar_${name}`, labels);
const fileId = (p: string) => {
  const st = statSync(p);
  return [st.ino, st.mtimeMs, st.size];
};

const SERVICES = 20;
const PER_SERVICE = 25;

describe("index source", () => {
  it("is recognised by the key: s3://BUCKET/KEY.index.json", () => {
    expect(isIndexSource({ kind: "s3", bucket: "b", key: INDEX_KEY })).toBe(true);
    expect(isIndexSource({ kind: "s3", bucket: "b", key: KEY })).toBe(false);
    expect(isIndexSource({ kind: "s3", bucket: "b", key: ".index.json" })).toBe(false);
    expect(isIndexSource({ kind: "file", path: "x.index.json" })).toBe(false);
  });

  it("writes and serves the single document's bytes, with the index's generation and targets", async () => {
    const doc = fleet(SERVICES, PER_SERVICE);
    const layout = shardedLayout(doc, 7);
    await putSharded(s3, layout);
    sim.calls.reset();
    const h = await sidecar({ listen: { host: "127.0.0.1", port: 0 } });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 7, targets: SERVICES * PER_SERVICE, written: true });
    expect(readFileSync(out, "utf8")).toBe(layout.documentText);
    const served = await fetch(`${h.url}/targets`);
    expect(served.headers.get("x-document-generation")).toBe("7");
    expect(await served.text()).toBe(layout.documentText);
    expect(gets()).toEqual(Array(1 + SERVICES).fill(200));
    expect(await metric(h, "document_generation")).toBe(7);
    expect(await metric(h, "targets")).toBe(layout.index.targets);
    expect(await metric(h, "shard_fetches_total")).toBe(SERVICES);
    expect(await metric(h, "shard_bytes_total")).toBe(layout.index.shards.reduce((n, e) => n + e.bytes, 0));
  });

  it("on a one-service change fetches the index and that shard only: fewer bytes than the document", async () => {
    await putSharded(s3, shardedLayout(fleet(SERVICES, PER_SERVICE), 1));
    const h = await sidecar();
    await h.syncer.syncOnce();
    const fetchedBefore = await metric(h, "shard_fetches_total");
    const bytesBefore = await metric(h, "shard_bytes_total");

    const next = shardedLayout(
      fleet(SERVICES, PER_SERVICE, (n) => (n === 3 ? 2 : 1)),
      2,
    );
    await putSharded(s3, next);
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(readFileSync(out, "utf8")).toBe(next.documentText);
    expect(gets()).toEqual([200, 200]);
    const changed = next.index.shards.find((e) => e.id === serviceId(3))!;
    expect(await metric(h, "shard_fetches_total")).toBe(fetchedBefore + 1);
    const moved = (await metric(h, "shard_bytes_total")) - bytesBefore;
    expect(moved).toBe(changed.bytes);
    const document = Buffer.byteLength(next.documentText);
    expect(moved + Buffer.byteLength(next.indexText)).toBeLessThan(document / 5);
  });

  it("an unchanged index is a 304 and writes nothing; the same document re-indexed fetches no shard", async () => {
    const layout = shardedLayout(fleet(SERVICES, PER_SERVICE), 3);
    await putSharded(s3, layout);
    const h = await sidecar();
    await h.syncer.syncOnce();
    const before = fileId(out);
    const writes = await metric(h, "file_writes_total");
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toEqual({ result: "unchanged", note: "not_modified", fetchMs: expect.any(Number) });
    expect(gets()).toEqual([304]);
    expect(fileId(out)).toEqual(before);
    expect(await metric(h, "file_writes_total")).toBe(writes);

    // The index rewritten with the same generation and document (its retired list moved on):
    // a new ETag, no shard fetched, and the next poll is a 304 again.
    const rewritten = shardedLayout(fleet(SERVICES, PER_SERVICE), 3, {
      retired: [{ key: "targets/ecs-services.shards/srv-x/old.json", at: "2026-01-01T00:00:00.000Z" }],
    });
    await putSharded(s3, rewritten, { shards: () => false });
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged", note: "same_generation" });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged", note: "not_modified" });
    expect(gets()).toEqual([200, 304]);
    expect(fileId(out)).toEqual(before);
  });

  it("a shard with a wrong sha256 leaves the previous file and counts sha256_mismatch; fixed, only that shard is fetched", async () => {
    const first = shardedLayout(fleet(SERVICES, PER_SERVICE), 1);
    await putSharded(s3, first);
    const h = await sidecar({ listen: { host: "127.0.0.1", port: 0 } });
    await h.syncer.syncOnce();
    const before = fileId(out);

    const next = shardedLayout(
      fleet(SERVICES, PER_SERVICE, (n) => (n === 4 || n === 9 ? 2 : 1)),
      2,
    );
    const bad = next.index.shards.find((e) => e.id === serviceId(9))!;
    await putSharded(s3, next, { shards: (s) => s.id !== serviceId(9) });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: bad.key, Body: first.shards.find((s) => s.id === serviceId(9))!.text }));
    const fetched = await metric(h, "shard_fetches_total");
    const failed = await h.syncer.syncOnce();
    expect(failed).toMatchObject({ result: "error", reason: "sha256_mismatch" });
    expect(failed.result === "error" && failed.message).toMatch(new RegExp(`^shard ${serviceId(9)} s3://${BUCKET}/${bad.key} has sha256 `));
    expect(await metric(h, "shard_fetches_total")).toBe(fetched + 2);
    expect(readFileSync(out, "utf8")).toBe(first.documentText);
    expect(fileId(out)).toEqual(before);
    expect((await fetch(`${h.url}/targets`)).headers.get("x-document-generation")).toBe("1");
    expect(await metric(h, "sync_errors_total", { reason: "sha256_mismatch" })).toBe(1);
    expect(await metric(h, "document_generation")).toBe(1);

    // The right bytes arrive: the verified shard of the failed attempt is not fetched again.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: bad.key, Body: next.shards.find((s) => s.id === serviceId(9))!.text }));
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(gets()).toEqual([200, 200]);
    expect(await metric(h, "shard_fetches_total")).toBe(fetched + 3);
    expect(readFileSync(out, "utf8")).toBe(next.documentText);
  });

  it("a missing shard is not_found and leaves the previous file; the next poll reads the index again", async () => {
    const first = shardedLayout(fleet(SERVICES, PER_SERVICE), 1);
    await putSharded(s3, first);
    const h = await sidecar();
    await h.syncer.syncOnce();
    const before = fileId(out);
    const next = shardedLayout(
      fleet(SERVICES, PER_SERVICE, (n) => (n === 0 ? 5 : 1)),
      2,
    );
    await putSharded(s3, next, { shards: (s) => s.id !== serviceId(0) });
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "not_found" });
    expect(gets()).toEqual([200, 404]);
    expect(fileId(out)).toEqual(before);
    expect(await metric(h, "sync_errors_total", { reason: "not_found" })).toBe(1);

    await putSharded(s3, next);
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(gets()).toEqual([200, 200]); // the index again (not a 304), then the shard
    expect(readFileSync(out, "utf8")).toBe(next.documentText);
  });

  it("shards that do not join into the index's document are a sha256_mismatch", async () => {
    const first = shardedLayout(fleet(4, 3), 1);
    await putSharded(s3, first);
    const h = await sidecar();
    await h.syncer.syncOnce();
    const next = shardedLayout(
      fleet(4, 3, () => 2),
      2,
    );
    await putSharded(s3, next, { indexText: next.indexText.replace(next.index.sha256, first.index.sha256) });
    const r = await h.syncer.syncOnce();
    expect(r).toMatchObject({ result: "error", reason: "sha256_mismatch" });
    expect(r.result === "error" && r.message).toMatch(/the 4 shards join into a document with sha256 /);
    expect(readFileSync(out, "utf8")).toBe(first.documentText);
  });

  it("a bad index is bad_index and changes nothing", async () => {
    const first = shardedLayout(fleet(4, 3), 1);
    await putSharded(s3, first);
    const h = await sidecar();
    await h.syncer.syncOnce();
    const before = fileId(out);
    const fetched = await metric(h, "shard_fetches_total");
    const bad = [
      "{not json",
      first.documentText, // a file_sd document where the index should be
      first.indexText.replace('"schemaVersion":1', '"schemaVersion":2'),
      first.indexText.replace(`"id":"${serviceId(1)}"`, `"id":"${serviceId(0)}"`),
    ];
    const messages: string[] = [];
    for (const text of bad) {
      await putSharded(s3, first, { shards: () => false, indexText: text });
      const r = await h.syncer.syncOnce();
      expect(r).toMatchObject({ result: "error", reason: "bad_index" });
      if (r.result === "error") messages.push(r.message);
    }
    expect(messages.map((m) => m.replace(/^s3:\/\/[^:]+: /, ""))).toEqual([
      expect.stringMatching(/^index is not valid JSON: /),
      "index is not a JSON object",
      "index has an unknown schemaVersion 2; this version reads 1",
      `shard ${serviceId(0)} is listed twice`,
    ]);
    expect(await metric(h, "sync_errors_total", { reason: "bad_index" })).toBe(bad.length);
    expect(await metric(h, "shard_fetches_total")).toBe(fetched);
    expect(fileId(out)).toEqual(before);
    expect(h.syncer.applied?.generation).toBe(1);
  });

  it("reads through a source's role and region, as an s3 source does", async () => {
    const role = "arn:aws:iam::333333333333:role/prometheus-reader";
    const layout = shardedLayout(fleet(3, 2), 4);
    await putSharded(s3, layout);
    sim.calls.reset();
    const parsed = parseConfig(["--source", `s3://${BUCKET}/${INDEX_KEY}?role=${role}&region=eu-west-1`, "--output", out], {});
    if (parsed.help) throw new Error("help");
    const config = simClientConfig(sim);
    const h = await startSidecar(parsed.config, {
      loop: false,
      log: silentLogger,
      defaultMetrics: false,
      s3Config: { ...config, maxAttempts: 1 },
      stsConfig: { ...config, maxAttempts: 1 },
    });
    handles.push(h);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 4 });
    expect(readFileSync(out, "utf8")).toBe(layout.documentText);
    const session = [...sim.state.sts.sessions.values()][0]!;
    expect(session).toMatchObject({ roleArn: role });
    const reads = sim.calls.log.filter((c) => c.key === "s3:GetObject");
    expect(reads).toHaveLength(1 + 3);
    expect(new Set(reads.map((c) => c.accessKeyId))).toEqual(new Set([session.accessKeyId]));
  });
});
