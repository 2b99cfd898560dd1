// The ssm: source following the shard index its manifest names (the manifest's `index`), on the
// simulator with the real SDK clients. The shards and the index are written by the store's
// publishShards, the manifest by its manifestOf/putManifest with the `index` field added here
// as core's Manifest type has it. The single document's bytes; a change moves the index and
// the changed shard only (no single document); an unchanged manifest reads nothing from S3;
// without `index`, or with an index older than the single document, the single document as
// before; an index older than the manifest names is `stale_index` and the Syncer keeps its
// document; a malformed `index` is bad_manifest; --shard-dir is filled while the index is
// followed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
  SERVICE_ID_LABEL,
  countTargets,
  indexKeyOf,
  serializeDocument,
  sha256Hex,
  type Manifest,
  type ManifestIndex,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifestOf, publishShards, putManifest, type PublishTarget } from "@scrape-reconciler/store";
import { sumMetric } from "../../../test/support/prometheus";
import { silentLogger, startSidecar, type SidecarConfig, type SidecarHandle } from "../src/index";
import { BUCKET, KEY, PARAMETER, fleet, serviceId } from "./publishers";

const INDEX_KEY = indexKeyOf(KEY);
const SERVICES = 12;
const PER_SERVICE = 5;

let sim: Simulator;
let t: PublishTarget;
let dir: string;
let out: string;
let handles: SidecarHandle[] = [];

beforeEach(async () => {
  sim = await startSimulator({ scenario: { buckets: [BUCKET] } });
  const config = simClientConfig(sim);
  t = { s3: new S3Client(config), ssm: new SSMClient(config), bucket: BUCKET, key: KEY, manifestParameter: PARAMETER };
  dir = mkdtempSync(join(tmpdir(), "sidecar-ssm-index-"));
  out = join(dir, "ecs-services.json");
});
afterEach(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  handles = [];
  t.s3.destroy();
  t.ssm.destroy();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sidecar(config: Partial<SidecarConfig> = {}) {
  const client = { ...simClientConfig(sim), maxAttempts: 1 };
  const h = await startSidecar(
    { source: { kind: "ssm", name: PARAMETER }, output: out, intervalMs: 1000, maxBackoffMs: 60_000, logLevel: "error", ...config },
    { s3Config: client, ssmConfig: client, loop: false, log: silentLogger, defaultMetrics: false },
  );
  handles.push(h);
  return h;
}
const metric = async (h: SidecarHandle, name: string, labels?: Record<string, string>) =>
  sumMetric(await h.metrics.registry.metrics(), `scrape_reconciler_sidecar_${name}`, labels);
/** The keys of the S3 GetObject calls since the last reset, with their status. */
const gets = () =>
  sim.calls.log.filter((c) => c.key === "s3:GetObject").map((c) => `${c.status} ${decodeURIComponent(c.path ?? "").slice(`/${BUCKET}/`.length)}`);

interface Published {
  generation: number;
  document: TargetDocument;
  text: string;
  sha256: string;
  etag: string;
}

/** The single document, as the full reconcile writes it (with its generation metadata). */
async function putSingle(document: TargetDocument, generation: number): Promise<Published> {
  const text = serializeDocument(document);
  const put = await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: text, Metadata: { generation: String(generation) } }));
  return { generation, document, text, sha256: sha256Hex(text), etag: put.ETag ?? "" };
}

/** The shards and the index of a document (store's publishShards), as the manifest's `index` names them. */
async function putIndex(document: TargetDocument, generation: number): Promise<ManifestIndex> {
  const sha256 = sha256Hex(serializeDocument(document));
  const r = await publishShards(t, { document, sha256, generation, stateGeneration: generation, now: new Date() });
  expect(r.written).toBe(true);
  const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: INDEX_KEY }));
  return { key: INDEX_KEY, generation, sha256, etag: head.ETag ?? "" };
}

/** The manifest of `single` (store's manifestOf), with `index` when given. */
function manifestFor(single: Published, index?: ManifestIndex): Manifest {
  const doc = {
    generation: single.generation,
    sha256: single.sha256,
    etag: single.etag,
    targets: countTargets(single.document),
    groups: single.document.length,
    generatedAt: "2026-01-01T00:00:00.000Z",
  };
  return { ...manifestOf(t, doc, undefined), ...(index ? { index } : {}) };
}
const putManifestOf = (single: Published, index?: ManifestIndex) => putManifest(t, manifestFor(single, index));

/** The fleet, the services `changed` at task definition revision `rev` and the others at 1. */
const doc = (rev = 1, ...changed: number[]) => fleet(SERVICES, PER_SERVICE, (n) => (changed.includes(n) ? rev : 1));

describe("ssm source following the manifest's index", () => {
  it("writes the single document's bytes, then fetches only the index and the changed shard", async () => {
    const single = await putSingle(doc(), 1);
    await putManifestOf(single, await putIndex(doc(), 1));
    const h = await sidecar();
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 1, targets: SERVICES * PER_SERVICE });
    expect(readFileSync(out, "utf8")).toBe(single.text);
    expect(gets()).toHaveLength(1 + SERVICES);
    expect(gets()[0]).toBe(`200 ${INDEX_KEY}`);
    expect(gets().filter((g) => g.endsWith(KEY))).toEqual([]);
    expect(await metric(h, "shard_fetches_total")).toBe(SERVICES);

    // Two event batches, one service each: only the shards and the index are written.
    for (const { generation, service, next } of [
      { generation: 2, service: 3, next: doc(2, 3) },
      { generation: 3, service: 8, next: doc(2, 3, 8) },
    ]) {
      await putManifestOf(single, await putIndex(next, generation));
      sim.calls.reset();
      expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation });
      expect(readFileSync(out, "utf8")).toBe(serializeDocument(next));
      expect(gets()).toEqual([`200 ${INDEX_KEY}`, expect.stringMatching(new RegExp(`^200 targets/ecs-services\\.shards/${serviceId(service)}/`))]);
      expect(await metric(h, "shard_fetches_total")).toBe(SERVICES + generation - 1);
      expect(await metric(h, "document_generation")).toBe(generation);
    }

    // The same manifest again: one GetParameter, no S3 request at all.
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged", note: "same_generation" });
    expect(gets()).toEqual([]);
    expect(sim.calls.get("ssm:GetParameter")).toBe(1);
  });

  it("accepts an index newer than the manifest names (written after the manifest was read)", async () => {
    const single = await putSingle(doc(), 1);
    const first = await putIndex(doc(), 1);
    await putIndex(doc(2, 5), 2);
    await putManifestOf(single, first);
    const h = await sidecar();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(readFileSync(out, "utf8")).toBe(serializeDocument(doc(2, 5)));
  });

  it("reads the single document when the manifest has no index, or an index older than its document", async () => {
    const single = await putSingle(doc(), 1);
    await putManifestOf(single);
    const h = await sidecar();
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 1 });
    expect(gets()).toEqual([`200 ${KEY}`]);
    expect(readFileSync(out, "utf8")).toBe(single.text);

    // The index of generation 1, then a single document of generation 2 whose index write
    // never happened (a crash between the two): the single document is read.
    const index1 = await putIndex(doc(), 1);
    const single2 = await putSingle(doc(2, 1), 2);
    await putManifestOf(single2, index1);
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(gets()).toEqual([`200 ${KEY}`]);
    expect(readFileSync(out, "utf8")).toBe(single2.text);

    // The index catches up with the same document: nothing to read. The next change follows the index.
    await putManifestOf(single2, await putIndex(doc(2, 1), 2));
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged", note: "same_generation" });
    expect(gets()).toEqual([]);
    await putManifestOf(single2, await putIndex(doc(2, 1, 4), 3));
    sim.calls.reset();
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 3 });
    expect(gets()[0]).toBe(`200 ${INDEX_KEY}`);
    expect(gets().filter((g) => g.endsWith(KEY))).toEqual([]);
    expect(readFileSync(out, "utf8")).toBe(serializeDocument(doc(2, 1, 4)));
  });

  it("an index older than the manifest names is stale_index: no shard fetched, the last document kept", async () => {
    const single = await putSingle(doc(), 1);
    const index1 = await putIndex(doc(), 1);
    await putManifestOf(single, index1);
    const h = await sidecar({ listen: { host: "127.0.0.1", port: 0 } });
    await h.syncer.syncOnce();
    const fetched = await metric(h, "shard_fetches_total");

    // The manifest names generation 2, S3 still holds the index of generation 1.
    const next = doc(2, 6);
    await putManifestOf(single, { ...index1, generation: 2, sha256: sha256Hex(serializeDocument(next)) });
    sim.calls.reset();
    const r = await h.syncer.syncOnce();
    expect(r).toMatchObject({ result: "error", reason: "stale_index" });
    expect(r.result === "error" && r.message).toBe(`s3://${BUCKET}/${INDEX_KEY} has generation 1, older than the 2 the manifest names`);
    expect(gets()).toEqual([`200 ${INDEX_KEY}`]);
    expect(await metric(h, "shard_fetches_total")).toBe(fetched);
    expect(await metric(h, "sync_errors_total", { reason: "stale_index" })).toBe(1);
    expect(readFileSync(out, "utf8")).toBe(single.text);
    expect(await (await fetch(`${h.url}/targets`)).text()).toBe(single.text);
    expect(h.syncer.applied?.generation).toBe(1);

    // The index arrives: applied, one shard fetched.
    await putManifestOf(single, await putIndex(next, 2));
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(await metric(h, "shard_fetches_total")).toBe(fetched + 1);
    expect(readFileSync(out, "utf8")).toBe(serializeDocument(next));

    // An index of the generation the manifest names but another document: sha256_mismatch.
    await putManifestOf(single, { ...(await putIndex(doc(3, 6), 3)), sha256: "0".repeat(64) });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "sha256_mismatch" });
    expect(readFileSync(out, "utf8")).toBe(serializeDocument(next));
  });

  it("a malformed index field is bad_manifest, naming the field, and reads nothing from S3", async () => {
    const single = await putSingle(doc(), 1);
    await putManifestOf(single);
    const h = await sidecar();
    await h.syncer.syncOnce();
    const base = manifestFor(single);
    sim.calls.reset();
    const messages: string[] = [];
    for (const index of [
      "x",
      null,
      { generation: 2, sha256: single.sha256 },
      { key: INDEX_KEY, generation: "2", sha256: single.sha256 },
      { key: INDEX_KEY, generation: 2 },
    ]) {
      await t.ssm.send(new PutParameterCommand({ Name: PARAMETER, Value: JSON.stringify({ ...base, index }), Type: "String", Overwrite: true }));
      const r = await h.syncer.syncOnce();
      expect(r).toMatchObject({ result: "error", reason: "bad_manifest" });
      if (r.result === "error") messages.push(r.message);
    }
    expect(messages).toEqual([
      "manifest field index is not a JSON object",
      "manifest field index is not a JSON object",
      "manifest field index.key is not a non-empty string",
      "manifest field index.generation is not a non-negative integer",
      "manifest field index.sha256 is not 64 hex digits",
    ]);
    expect(gets()).toEqual([]);
    expect(readFileSync(out, "utf8")).toBe(single.text);
  });

  it("--shard-dir holds the shards while the index is followed, and is left as it is while the single document is read", async () => {
    const shardDir = join(dir, "shards");
    mkdirSync(shardDir);
    const single = await putSingle(doc(), 1);
    await putManifestOf(single, await putIndex(doc(), 1));
    const h = await sidecar({ shardDir });
    await h.syncer.syncOnce();
    const ids = Array.from({ length: SERVICES }, (_, n) => `${serviceId(n)}.json`);
    expect(readdirSync(shardDir).sort()).toEqual(ids);
    const shard0 = readFileSync(join(shardDir, `${serviceId(0)}.json`), "utf8");
    expect(shard0).toBe(serializeDocument(doc().filter((g) => g.labels[SERVICE_ID_LABEL] === serviceId(0))));

    // A newer single document without an index: --output moves, the shard files do not.
    const single2 = await putSingle(doc(2, 0), 2);
    await putManifestOf(single2);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 2 });
    expect(readFileSync(out, "utf8")).toBe(single2.text);
    expect(readFileSync(join(shardDir, `${serviceId(0)}.json`), "utf8")).toBe(shard0);

    await putManifestOf(single2, await putIndex(doc(2, 0), 2));
    await putManifestOf(single2, await putIndex(doc(2, 0, 1), 3));
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", generation: 3 });
    expect(readFileSync(join(shardDir, `${serviceId(0)}.json`), "utf8")).not.toBe(shard0);
    expect(readdirSync(shardDir).sort()).toEqual(ids);
  });
});
