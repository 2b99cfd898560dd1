// The sharded copy of the published document on the simulator's S3 (shard-publish.ts):
// the index and shards join back to the single document byte for byte; a one-service
// change writes one shard and the index; a crash before the index leaves the previous
// index and its shards whole; the generation never goes back; an upgrade from the single
// object gets its index without a new document; retired shards are deleted after RETIRE_MS.
import { gunzipSync } from "node:zlib";
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  indexKeyOf,
  joinShards,
  parseDocument,
  parseIndex,
  RETIRE_MS,
  SERVICE_ID_LABEL,
  serializeDocument,
  sha256Hex,
  type TargetDocument,
  type TargetGroup,
} from "@scrape-reconciler/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { publishDocument, publishShards, readIndex, type PublishTarget } from "../src";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({ scenario: { buckets: [] } });
});
afterAll(async () => env?.sim.close());

let n = 0;
/** A fresh document key per test (its own index and shards). */
function target(s3: S3Client = env.clients.s3): PublishTarget {
  n += 1;
  return { s3, ssm: env.clients.ssm, bucket: BUCKET, key: `shards-${n}/ecs-services.json`, manifestParameter: `/shards-test/${n}` };
}

const group = (service: string, i: number): TargetGroup => ({
  targets: [`10.1.${service.length}.${i}:8080`],
  labels: { [SERVICE_ID_LABEL]: service, __meta_cloudmap_service_name: service, job: service },
});
const doc = (perService: Record<string, number>): TargetDocument =>
  Object.entries(perService).flatMap(([s, count]) => Array.from({ length: count }, (_, i) => group(s, i + 1)));
const built = (document: TargetDocument) => ({ document, services: 3, sources: {}, failedServices: [], skippedEndpoints: 0, stateGeneration: 1 });

/** An object's text (inflated when it is stored gzip, as the index and shards are). */
async function body(key: string): Promise<string | undefined> {
  try {
    const r = await env.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const raw = await r.Body!.transformToByteArray();
    return (r.ContentEncoding === "gzip" ? gunzipSync(raw) : Buffer.from(raw)).toString("utf8");
  } catch {
    return undefined;
  }
}

async function encodingOf(key: string): Promise<string | undefined> {
  return (await env.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).ContentEncoding;
}

/** What a reader of the index assembles: every listed shard, checked against its sha256. */
async function assembled(t: PublishTarget): Promise<{ text: string; generation: number }> {
  const index = parseIndex((await body(indexKeyOf(t.key)))!);
  const docs = [];
  for (const s of index.shards) {
    const text = await body(s.key);
    expect(text, `shard ${s.id}`).toBeDefined();
    expect(sha256Hex(text!)).toBe(s.sha256);
    docs.push(parseDocument(text!));
  }
  const text = serializeDocument(joinShards(docs));
  expect(sha256Hex(text)).toBe(index.sha256);
  return { text, generation: index.generation };
}

const putPaths = () => env.sim.calls.log.filter((c) => c.key === "s3:PutObject" && c.status === 200).map((c) => c.path ?? "");
const now = () => new Date("2026-12-05T10:00:00Z");

describe("publishShards", () => {
  it("publishes an index and one shard per service that join back to the single document", async () => {
    const t = target();
    const out = await publishDocument(t, () => built(doc({ "srv-a": 3, "srv-b": 2, "srv-c": 1 })), { now });
    expect(out.shards).toMatchObject({ written: true, shardsWritten: 3, shards: 3 });
    const single = (await body(t.key))!;
    expect(await assembled(t)).toEqual({ text: single, generation: out.generation });
    // The index and the shards are stored gzip; the single document as it always was.
    const index = (await readIndex(t)).index!;
    expect(await encodingOf(indexKeyOf(t.key))).toBe("gzip");
    expect(await encodingOf(index.shards[0]!.key)).toBe("gzip");
    expect(await encodingOf(t.key)).toBeUndefined();
  });

  it("writes one shard and the index when one service changes", async () => {
    const t = target();
    await publishDocument(t, () => built(doc({ "srv-a": 50, "srv-b": 50, "srv-c": 50 })), { now });
    env.sim.calls.reset();
    const out = await publishDocument(t, () => built(doc({ "srv-a": 50, "srv-b": 51, "srv-c": 50 })), { now });
    const sharded = putPaths().filter((p) => p.includes(".shards/") || p.endsWith(".index.json"));
    expect(sharded).toHaveLength(2);
    expect(sharded[0]).toMatch(new RegExp(`\\.shards/srv-b/${out.generation}-[0-9a-f]{64}\\.json$`));
    expect(sharded[1]).toMatch(/\.index\.json$/);
    expect(out.shards!.bytesWritten).toBeLessThan(Buffer.byteLength(out.text) / 2);
    expect((await assembled(t)).text).toBe(await body(t.key));
  });

  it("leaves the previous index and its shards whole when the index write fails after the shards", async () => {
    const t = target();
    const first = await publishDocument(t, () => built(doc({ "srv-a": 2, "srv-b": 2 })), { now });
    const before = await assembled(t);
    // A writer that dies at the index: its shard is written, its index is not.
    const dying = {
      send: (cmd: { input: { Key?: string } }) => {
        if (cmd.input.Key === indexKeyOf(t.key)) return Promise.reject(new Error("crashed before the index"));
        return env.clients.s3.send(cmd as never);
      },
    } as unknown as S3Client;
    const changed = doc({ "srv-a": 2, "srv-b": 3 });
    const err = await publishShards(
      { ...t, s3: dying },
      { document: changed, sha256: sha256Hex(serializeDocument(changed)), generation: first.generation + 1, stateGeneration: 2, now: now() },
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/crashed before the index/);
    expect(await assembled(t)).toEqual(before);
    // The next publish completes it.
    await publishDocument(t, () => built(changed), { now });
    expect((await assembled(t)).text).toBe(serializeDocument(changed));
  });

  it("never takes the index back to an older generation", async () => {
    const t = target();
    const out = await publishDocument(t, () => built(doc({ "srv-a": 1 })), { now });
    const older = doc({ "srv-a": 2 });
    const r = await publishShards(t, {
      document: older,
      sha256: sha256Hex(serializeDocument(older)),
      generation: out.generation - 1,
      stateGeneration: 0,
      now: now(),
    });
    expect(r.written).toBe(false);
    expect((await readIndex(t)).index?.generation).toBe(out.generation);
  });

  it("gives a deployment of the single object its index on the next run, without a new document", async () => {
    const t = target();
    const d = doc({ "srv-a": 2, "srv-b": 1 });
    const out = await publishDocument(t, () => built(d), { now });
    // As the version before shards left it: the single document only.
    const index = (await readIndex(t)).index!;
    for (const key of [indexKeyOf(t.key), ...index.shards.map((s) => s.key)]) await env.clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    env.sim.calls.reset();
    const again = await publishDocument(t, () => built(d), { now });
    expect(again.written).toBe(false);
    expect(again.generation).toBe(out.generation);
    expect(putPaths().some((p) => p.endsWith(t.key))).toBe(false);
    expect(await assembled(t)).toEqual({ text: (await body(t.key))!, generation: out.generation });
  });

  it("two writers at once never leave an index naming a deleted shard", async () => {
    // srv-b left the index long ago (retired RETIRE_MS before); one writer drops it for good
    // while another brings it back with the very same bytes.
    for (let round = 0; round < 5; round++) {
      const t = target();
      const t0 = new Date("2026-12-05T10:00:00Z");
      const withB = doc({ "srv-a": 1, "srv-b": 1 });
      const withoutB = doc({ "srv-a": 1 });
      await publishDocument(t, () => built(withB), { now: () => t0 });
      await publishDocument(t, () => built(withoutB), { now: () => t0 });
      const later = new Date(t0.getTime() + RETIRE_MS + 1000);
      const publish = (d: TargetDocument, generation: number) =>
        publishShards(t, { document: d, sha256: sha256Hex(serializeDocument(d)), generation, stateGeneration: generation, now: later });
      const withA2 = doc({ "srv-a": 2 });
      await Promise.all([publish(withA2, 3), publish(doc({ "srv-a": 2, "srv-b": 1 }), 4)]);
      const index = (await readIndex(t)).index!;
      expect(index.generation).toBe(4);
      for (const e of index.shards) expect(await body(e.key), `${e.key} (round ${round})`).toBeDefined();
      expect((await assembled(t)).generation).toBe(4);
    }
  });

  it("deletes a shard that left the index once it has been retired for RETIRE_MS", async () => {
    const t = target();
    const t0 = new Date("2026-12-05T10:00:00Z");
    await publishDocument(t, () => built(doc({ "srv-a": 1, "srv-b": 1 })), { now: () => t0 });
    const oldKey = (await readIndex(t)).index!.shards.find((s) => s.id === "srv-b")!.key;
    await publishDocument(t, () => built(doc({ "srv-a": 1, "srv-b": 2 })), { now: () => t0 });
    expect((await readIndex(t)).index!.retired.map((r) => r.key)).toEqual([oldKey]);
    expect(await body(oldKey)).toBeDefined();
    const later = new Date(t0.getTime() + RETIRE_MS);
    const out = await publishDocument(t, () => built(doc({ "srv-a": 2, "srv-b": 2 })), { now: () => later });
    expect(out.shards?.deleted).toBe(1);
    expect(await body(oldKey)).toBeUndefined();
    expect((await readIndex(t)).index!.retired.map((r) => r.key)).not.toContain(oldKey);
  });
});
