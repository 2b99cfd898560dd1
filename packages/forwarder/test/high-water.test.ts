// High-water marks: filtering, merging, pruning, the stored document, and conditional
// persistence (conflict -> re-read, merge by max, retry; failure -> kept in memory),
// in memory and against the simulator's S3 with the real SDK.
import { S3Client } from "@aws-sdk/client-s3";
import { ConflictError } from "@scrape-reconciler/core";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HighWaterMarks,
  MarkDocumentError,
  mergeMarks,
  newerThanMark,
  parseMarkDocument,
  pruneMarks,
  s3MarkStorage,
  serializeMarks,
  type MarkStorage,
} from "../src/high-water";

/** A MarkStorage in memory with ETag semantics; `failNext` makes the next write throw. */
function memoryStorage() {
  let stored: { body: string; etag: string } | undefined;
  let version = 0;
  const s = {
    failNext: undefined as Error | undefined,
    writes: 0,
    get body() {
      return stored?.body;
    },
    /** Another writer replaces the object. */
    replace(body: string) {
      stored = { body, etag: `"v${++version}"` };
    },
    storage: {
      read: async () => stored && { ...stored },
      write: async (body: string, ifMatch: string | undefined) => {
        s.writes++;
        if (s.failNext) {
          const e = s.failNext;
          s.failNext = undefined;
          throw e;
        }
        if ((stored?.etag ?? undefined) !== ifMatch) throw new ConflictError(`changed (have ${stored?.etag}, if-match ${ifMatch})`);
        stored = { body, etag: `"v${++version}"` };
        return stored.etag;
      },
    } satisfies MarkStorage,
  };
  return s;
}

describe("mark arithmetic", () => {
  it("sends only samples newer than the mark", () => {
    const samples = [1, 2, 3, 4].map((t) => ({ timestamp: t * 1000, value: t }));
    expect(newerThanMark(samples, undefined)).toEqual(samples);
    expect(newerThanMark(samples, 2000).map((s) => s.timestamp)).toEqual([3000, 4000]);
    expect(newerThanMark(samples, 4000)).toEqual([]);
  });

  it("merges by max per series and prunes marks older than the retention", () => {
    expect(mergeMarks({ a: 5, b: 9 }, { a: 7, b: 3, c: 1 })).toEqual({ a: 7, b: 9, c: 1 });
    expect(pruneMarks({ a: 5, b: 9, c: 10 }, 9)).toEqual({ b: 9, c: 10 });
  });

  it("stores a versioned, sorted document and refuses a damaged one rather than starting over", () => {
    const body = serializeMarks({ z: 2, a: 1 }, Date.parse("2026-11-25T00:00:00Z"));
    expect(body).toBe('{"version":1,"updatedAt":"2026-11-25T00:00:00.000Z","marks":{"a":1,"z":2}}');
    expect(parseMarkDocument(body)).toEqual({ a: 1, z: 2 });
    expect(() => parseMarkDocument("{")).toThrow(MarkDocumentError);
    expect(() => parseMarkDocument('{"version":2,"marks":{}}')).toThrow(/version/);
    expect(() => parseMarkDocument('{"version":1,"marks":{"a":1.5}}')).toThrow(/integer/);
  });
});

describe("HighWaterMarks", () => {
  const T = Date.parse("2026-11-25T00:00:00Z");
  const now = () => T;

  it("advances only forward and writes only when something moved", async () => {
    const mem = memoryStorage();
    const hw = new HighWaterMarks(mem.storage, { now });
    await hw.load();
    expect(await hw.persist()).toEqual({ written: false, attempts: 0, conflicts: 0 });
    hw.advance("a", T + 100);
    hw.advance("a", T + 50);
    expect(hw.get("a")).toBe(T + 100);
    expect(await hw.persist()).toEqual({ written: true, attempts: 1, conflicts: 0 });
    expect(parseMarkDocument(mem.body!)).toEqual({ a: T + 100 });
    hw.advance("a", T + 100);
    expect(hw.pending).toBe(false);
  });

  it("on a lost race re-reads, merges by max and writes again", async () => {
    const mem = memoryStorage();
    const hw = new HighWaterMarks(mem.storage, { now });
    await hw.load();
    hw.advance("a", T + 100);
    hw.advance("b", T + 10);
    mem.replace(serializeMarks({ a: T + 200, c: T + 7 }, now()));
    const r = await hw.persist();
    expect(r).toEqual({ written: true, attempts: 2, conflicts: 1 });
    expect(parseMarkDocument(mem.body!)).toEqual({ a: T + 200, b: T + 10, c: T + 7 });
    expect(hw.get("a")).toBe(T + 200);
  });

  it("gives up after maxAttempts conflicts", async () => {
    const mem = memoryStorage();
    const storage: MarkStorage = {
      read: mem.storage.read,
      write: async () => {
        mem.replace(serializeMarks({ x: 1 }, now()));
        throw new ConflictError("always changed");
      },
    };
    const hw = new HighWaterMarks(storage, { now, maxAttempts: 3 });
    hw.advance("a", T + 1);
    await expect(hw.persist()).rejects.toThrow(ConflictError);
    expect(hw.stats.conflicts).toBe(2);
  });

  it("keeps marks it could not save in memory; the next load does not move them back", async () => {
    const mem = memoryStorage();
    mem.replace(serializeMarks({ a: T + 100 }, now()));
    const hw = new HighWaterMarks(mem.storage, { now });
    await hw.load();
    hw.advance("a", T + 300);
    mem.failNext = new Error("AccessDenied");
    await expect(hw.persist()).rejects.toThrow("AccessDenied");
    expect(hw.pending).toBe(true);
    await hw.load(); // next run: storage still says 100
    expect(hw.get("a")).toBe(T + 300);
    expect((await hw.persist()).written).toBe(true);
    expect(parseMarkDocument(mem.body!)).toEqual({ a: T + 300 });
  });

  it("forgets marks older than the retention when it writes", async () => {
    const mem = memoryStorage();
    const hw = new HighWaterMarks(mem.storage, { now, retainMs: 1000 });
    hw.advance("old", now() - 5000);
    hw.advance("new", now());
    await hw.persist();
    expect(parseMarkDocument(mem.body!)).toEqual({ new: now() });
  });
});

describe("HighWaterMarks on S3 (simulator, conditional writes)", () => {
  let sim: Simulator;
  let s3: S3Client;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: { buckets: ["marks"] } });
    s3 = new S3Client(simClientConfig(sim));
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("two writers racing on one object both keep their marks (412 -> merge -> If-Match retry)", async () => {
    const T = Date.now();
    const a = new HighWaterMarks(s3MarkStorage(s3, "marks", "forwarder/high-water.json"));
    const b = new HighWaterMarks(s3MarkStorage(s3, "marks", "forwarder/high-water.json"));
    await a.load();
    await b.load();
    a.advance("s1", T + 1000);
    a.advance("s2", T + 5000);
    b.advance("s2", T + 3000);
    b.advance("s3", T + 7000);
    expect(await a.persist()).toMatchObject({ written: true, conflicts: 0 }); // If-None-Match: *
    expect(await b.persist()).toMatchObject({ written: true, conflicts: 1 }); // 412, re-read, If-Match
    const c = new HighWaterMarks(s3MarkStorage(s3, "marks", "forwarder/high-water.json"));
    await c.load();
    expect(c.snapshot()).toEqual({ s1: T + 1000, s2: T + 5000, s3: T + 7000 });
    const puts = sim.calls.log.filter((r) => r.key === "s3:PutObject").map((r) => r.status);
    expect(puts).toEqual([200, 412, 200]);
  });
});
