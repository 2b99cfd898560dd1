// A warm process' object cache (object-cache.ts) on the simulator's S3: after this process
// wrote the state or the document, its next read is a conditional GET answered 304 (no
// body) that gives the very value written, frozen; an object another writer replaced is
// read in full; a deleted one is gone; and a process without the cache reads in full.
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DEFAULT_TAG_NAMES, emptyState, type ReconcilerState } from "@scrape-reconciler/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { ObjectCache, publishDocument, readPublished, readState, updateStateAndPublish, type StateTarget } from "../src";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({ scenario: { buckets: [] } });
});
afterAll(async () => env?.sim.close());

const STATE_KEY = "cache/state.json";
const target = (cache?: ObjectCache): StateTarget => ({
  s3: env.clients.s3,
  ssm: env.clients.ssm,
  bucket: BUCKET,
  key: "cache/ecs-services.json",
  manifestParameter: "/cache-test/manifest",
  stateKey: STATE_KEY,
  ...(cache ? { cache } : {}),
});
const gets = () => env.sim.calls.log.filter((c) => c.key === "s3:GetObject").map((c) => c.status);
const now = () => new Date("2026-12-05T10:00:00Z");

/** A state change that records one more task definition (a fact, so the state is written). */
const addFact = (n: number) => (state: ReconcilerState) => {
  state.taskDefinitions[`arn:aws:ecs:us-east-1:123456789012:task-definition/app:${n}`] = "awsvpc";
  return { state, result: undefined };
};

describe("ObjectCache", () => {
  it("reads the state this process wrote with a 304 and gives the written state, frozen", async () => {
    const cache = new ObjectCache();
    const out = await updateStateAndPublish(target(cache), addFact(1), { now, tagNames: DEFAULT_TAG_NAMES });
    expect(out.stateWritten).toBe(true);
    env.sim.calls.reset();
    const read = await readState(target(cache), now());
    expect(gets()).toEqual([304]);
    expect(read.state).toBe(out.after);
    expect(Object.isFrozen(read.state.taskDefinitions)).toBe(true);
    expect(() => {
      (read.state.taskDefinitions as Record<string, string>).x = "y";
    }).toThrow(TypeError);
    // A process without the cache reads the body (a head with no parts: the state has no
    // services or tasks) and gets an equal, unfrozen copy.
    env.sim.calls.reset();
    const cold = await readState(target(), now());
    expect(gets()).toEqual([200]);
    expect(cold.state).toEqual(read.state);
    expect(Object.isFrozen(cold.state)).toBe(false);
  });

  it("reads an object another writer replaced in full, and forgets a deleted one", async () => {
    const cache = new ObjectCache();
    await updateStateAndPublish(target(cache), addFact(2), { now, tagNames: DEFAULT_TAG_NAMES });
    const other = { ...emptyState(now()), generation: 99 };
    await env.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: STATE_KEY, Body: JSON.stringify(other) }));
    env.sim.calls.reset();
    expect((await readState(target(cache), now())).state.generation).toBe(99);
    expect(gets()).toEqual([200]);
    // Unchanged since: a 304 again.
    expect((await readState(target(cache), now())).state.generation).toBe(99);
    expect(gets()).toEqual([200, 304]);
    await env.clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: STATE_KEY }));
    const gone = await readState(target(cache), now());
    expect(gone.etag).toBeUndefined();
    expect(gone.state.generation).toBe(0);
    expect(cache.get(BUCKET, STATE_KEY)).toBeUndefined();
  });

  it("reads the document this process published with a 304: same sha256, same frozen document", async () => {
    const cache = new ObjectCache();
    const doc = [{ targets: ["10.0.0.1:8080"], labels: { job: "a" } }];
    const built = { document: doc, services: 1, sources: {}, failedServices: [], skippedEndpoints: 0, stateGeneration: 1 };
    const out = await publishDocument(target(cache), () => built, { now });
    expect(out.written).toBe(true);
    env.sim.calls.reset();
    const read = await readPublished(target(cache));
    expect(gets()).toEqual([304]);
    expect(read?.sha256).toBe(out.sha256);
    expect(read?.generation).toBe(out.generation);
    expect(read?.document).toEqual(doc);
    expect(Object.isFrozen(read?.document[0]?.labels)).toBe(true);
    // Publishing the same document again writes nothing and reads no body (the document's
    // GET and the shard index's, read for its generation and again to publish it, are 304s).
    env.sim.calls.reset();
    const again = await publishDocument(target(cache), () => built, { now });
    expect(again.written).toBe(false);
    expect(again.shards?.written).toBe(false);
    expect(gets()).toEqual([304, 304, 304]);
  });

  it("sees the generation another writer gave the same bytes (a 304 does not vouch for metadata)", async () => {
    const mine = new ObjectCache();
    const theirs = new ObjectCache();
    const t = target(mine);
    const doc = (ip: string) => ({
      document: [{ targets: [`${ip}:8080`], labels: { job: "a" } }],
      services: 1,
      sources: {},
      failedServices: [],
      skippedEndpoints: 0,
    });
    const first = await publishDocument(t, () => doc("10.0.0.1"), { now });
    // Another process writes other bytes, then the first bytes again, at higher generations.
    await publishDocument(target(theirs), () => doc("10.0.0.2"), { now });
    const third = await publishDocument(target(theirs), () => doc("10.0.0.1"), { now });
    expect(third.generation).toBe(first.generation + 2);
    env.sim.calls.reset();
    const read = await readPublished(target(mine));
    expect(gets()).toEqual([304]);
    expect(read?.generation).toBe(third.generation);
    // And this process' next document goes above it.
    const next = await publishDocument(target(mine), () => doc("10.0.0.3"), { now });
    expect(next.generation).toBe(third.generation + 1);
  });
});
