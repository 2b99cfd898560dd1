// The sharded layout (shards.ts) on the golden document (the bytes the sample scenario
// publishes): split by Cloud Map service and joined back it is the same bytes; each shard is
// a document of its own whose sha256 is in its key; the index is deterministic text that
// parses back to itself; retired shard keys expire after RETIRE_MS; bad indexes are refused
// with one line naming the problem.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  indexKeyOf,
  indexOf,
  IndexValidationError,
  joinShardBytes,
  joinShards,
  parseDocument,
  parseIndex,
  RETIRE_MS,
  retire,
  SERVICE_ID_LABEL,
  serializeDocument,
  serializeIndex,
  sha256Hex,
  shardKeyOf,
  shardKeys,
  splitDocument,
  UNSHARDED_ID,
} from "../src";

const golden = readFileSync(fileURLToPath(new URL("../../../test/fixtures/golden/ecs-services.json", import.meta.url)), "utf8");
const KEY = "targets/ecs-services.json";

describe("sharded layout", () => {
  const doc = parseDocument(golden);
  const shards = splitDocument(doc);

  it("splits the golden document by service and joins it back to the same bytes", () => {
    const services = new Set(doc.map((g) => g.labels[SERVICE_ID_LABEL]));
    expect(shards.length).toBe(services.size);
    expect(shards.length).toBeGreaterThan(2);
    expect(shards.map((s) => s.id)).toEqual([...shards.map((s) => s.id)].sort());
    for (const s of shards) {
      expect(s.document.every((g) => g.labels[SERVICE_ID_LABEL] === s.id)).toBe(true);
      expect(s.text).toBe(serializeDocument(parseDocument(s.text)));
      expect(s.sha256).toBe(sha256Hex(s.text));
    }
    expect(serializeDocument(joinShards(shards.map((s) => parseDocument(s.text))))).toBe(golden);
    // In any order of the shards.
    expect(serializeDocument(joinShards(shards.map((s) => s.document).reverse()))).toBe(golden);
  });

  it("joins the shards' own bytes into the single document's, and declines runs that overlap", () => {
    const parsed = shards.map((s) => ({ bytes: Buffer.from(s.text), document: parseDocument(s.text) }));
    const joined = joinShardBytes([...parsed].reverse())!;
    expect(joined.body.toString("utf8")).toBe(golden);
    expect(joined.document).toEqual(doc);
    expect(joinShardBytes([])!.body.toString()).toBe("[]\n");
    // Two runs that interleave in the document's order (A holds its 1st and 3rd groups, B
    // its 2nd): not joined by bytes.
    const run = (groups: typeof doc) => {
      const text = serializeDocument(groups);
      return { bytes: Buffer.from(text), document: parseDocument(text) };
    };
    expect(joinShardBytes([run([doc[0]!, doc[2]!]), run([doc[1]!])])).toBeUndefined();
    expect(joinShardBytes([run([doc[0]!, doc[1]!]), run([doc[2]!])])!.body.toString()).toBe(serializeDocument([doc[0]!, doc[1]!, doc[2]!]));
    const a = parseDocument(shards[0]!.text);
    // Bytes that are not serializeDocument's: declined.
    expect(joinShardBytes([{ bytes: Buffer.from(JSON.stringify(a)), document: a }])).toBeUndefined();
  });

  it("puts a group without a service id in the shard '_'", () => {
    const odd = [...doc, { targets: ["10.9.9.9:80"], labels: { job: "static" } }];
    const split = splitDocument(odd);
    expect(split[0]!.id).toBe(UNSHARDED_ID);
    expect(split[0]!.document).toEqual([{ targets: ["10.9.9.9:80"], labels: { job: "static" } }]);
  });

  it("writes a deterministic index whose entries name each shard's content-addressed key", () => {
    const index = indexOf(KEY, shards, sha256Hex(golden), { generation: 7, generatedAt: "2026-12-05T10:00:00.000Z", stateGeneration: 3 });
    expect(indexKeyOf(KEY)).toBe("targets/ecs-services.index.json");
    expect(index.shards[0]!.key).toBe(shardKeyOf(KEY, shards[0]!.id, 7, shards[0]!.sha256));
    expect(index.shards[0]!.key).toMatch(/^targets\/ecs-services\.shards\/srv-[^/]+\/7-[0-9a-f]{64}\.json$/);
    expect(index.targets).toBe(doc.reduce((n, g) => n + g.targets.length, 0));
    const text = serializeIndex(index);
    expect(parseIndex(text)).toEqual(index);
    expect(serializeIndex(parseIndex(text))).toBe(text);
  });

  it("keeps an unchanged shard's key and gives a changed or returning one a key of the new generation", () => {
    const first = indexOf(KEY, shards, "0".repeat(64), { generation: 1, generatedAt: "", stateGeneration: 1 });
    const keys = shardKeys(KEY, shards, 2, first);
    expect(keys).toEqual(first.shards.map((e) => e.key));
    const changed = shards.map((s, i) => (i === 0 ? { ...s, sha256: "f".repeat(64) } : s));
    const next = shardKeys(KEY, changed, 2, first);
    expect(next[0]).toBe(shardKeyOf(KEY, shards[0]!.id, 2, "f".repeat(64)));
    expect(next.slice(1)).toEqual(keys.slice(1));
    // A shard that left and comes back with the same bytes is not given its old key again.
    const without = { ...first, shards: first.shards.slice(1) };
    expect(shardKeys(KEY, shards, 3, without)[0]).toBe(shardKeyOf(KEY, shards[0]!.id, 3, shards[0]!.sha256));
  });

  it("retires shards that leave the index and lets them expire after RETIRE_MS", () => {
    const t0 = new Date("2026-12-05T10:00:00Z");
    const first = indexOf(KEY, shards, "0".repeat(64), { generation: 1, generatedAt: t0.toISOString(), stateGeneration: 1 });
    const kept = new Set(first.shards.slice(1).map((s) => s.key));
    const gone = first.shards[0]!.key;
    const r1 = retire(first, kept, t0);
    expect(r1).toEqual({ retired: [{ key: gone, at: t0.toISOString() }], expired: [] });
    const second = { ...first, shards: first.shards.slice(1), retired: r1.retired };
    expect(retire(second, kept, new Date(t0.getTime() + RETIRE_MS - 1)).expired).toEqual([]);
    const late = retire(second, kept, new Date(t0.getTime() + RETIRE_MS));
    expect(late).toEqual({ retired: [], expired: [gone] });
    // Listed again before it expired: no longer retired.
    expect(retire(second, new Set([...kept, gone]), t0).retired).toEqual([]);
  });

  it("refuses a bad index with one line naming the problem", () => {
    const bad = (text: string) => {
      try {
        parseIndex(text);
      } catch (err) {
        expect(err).toBeInstanceOf(IndexValidationError);
        expect((err as IndexValidationError).reason).toBe("bad_index");
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    const ok = { schemaVersion: 1, generation: 1, sha256: "a".repeat(64), shards: [] };
    expect(bad("[]")).toBe("index is not a JSON object");
    expect(bad("{")).toMatch(/^index is not valid JSON: /);
    expect(bad(JSON.stringify({ ...ok, schemaVersion: 2 }))).toBe("index has an unknown schemaVersion 2; this version reads 1");
    expect(bad(JSON.stringify({ ...ok, sha256: "x" }))).toBe("index has no valid sha256");
    const entry = { id: "srv-1", key: "k", sha256: "b".repeat(64) };
    expect(bad(JSON.stringify({ ...ok, shards: [entry, entry] }))).toBe("shard srv-1 is listed twice");
    expect(bad(JSON.stringify({ ...ok, shards: [{ ...entry, id: "../x" }] }))).toBe('shard 0 has an invalid id "../x"');
  });
});
