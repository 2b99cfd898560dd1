// The state object as a head and parts (state-parts.ts, through state-store.ts) on the
// simulator's S3: a write puts a gzip head (schemaVersion 2) and the parts it lists, and a
// cold read assembles an equal state; a one-task change writes the head and one part; a
// whole state of schemaVersion 1 (as an earlier version wrote it) is read and replaced by a
// head and parts; a part whose bytes are not the head's sha256, or a missing part, is a
// ReconcilerStateError naming the part; parts no longer listed are deleted only RETIRE_MS
// after they left; a warm process reads its own write with one 304 and no part GET, and
// reads only the part another writer changed; a crash between the parts and the head
// leaves the previous state whole.
import { gunzipSync } from "node:zlib";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  ConflictError,
  emptyState,
  partCountFor,
  partOf,
  ReconcilerStateError,
  RETIRE_MS,
  sha256Hex,
  statePartPrefixOf,
  workingCopy,
  type ReconcilerState,
  type StateHead,
} from "@scrape-reconciler/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { ObjectCache, readState, updateState, writeStateParts, type StateTarget } from "../src";
import { task } from "../../core/test/fixtures";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({ scenario: { buckets: [] } });
});
afterAll(async () => env?.sim.close());

let n = 0;
/** A fresh state key (and document key) per test. */
function target(): StateTarget {
  n += 1;
  return {
    s3: env.clients.s3,
    ssm: env.clients.ssm,
    bucket: BUCKET,
    key: `parts-${n}/ecs-services.json`,
    manifestParameter: `/parts-test/${n}`,
    stateKey: `parts-${n}/state.json`,
  };
}

const T0 = new Date("2026-12-05T10:00:00Z");
const at = (ms: number) => () => new Date(T0.getTime() + ms);
const now = at(0);

const taskIdOf = (i: number, j: number) => `${(i * 7919 + j * 104729).toString(16).padStart(8, "0")}c0ffee${j}`;

function facts(id: string, ip: string) {
  return task(id, { taskIp: ip });
}

/** A change that fills the state with `services` services of `perService` tasks each. */
const populate = (services: number, perService: number) => (s: ReconcilerState) => {
  s.namespaces["ns-1"] = { id: "ns-1", name: "internal.local", type: "DNS_PRIVATE" };
  s.complete = true;
  s.lastFullReconcileAt = now().toISOString();
  for (let i = 0; i < services; i++) {
    const id = `srv-p${i}`;
    const instances: Record<string, Record<string, string>> = {};
    for (let j = 0; j < perService; j++) {
      const taskId = taskIdOf(i, j);
      instances[taskId] = { AWS_INSTANCE_IPV4: `10.0.${i}.${j}`, ECS_CLUSTER_NAME: "prod" };
      s.tasks[taskId] = { version: 1, observedAt: now().toISOString(), facts: facts(taskId, `10.0.${i}.${j}`) };
    }
    s.services[id] = {
      id,
      arn: `arn:aws:servicediscovery:eu-west-1:123456789012:service/${id}`,
      name: `p${i}`,
      namespaceId: "ns-1",
      tags: { METRICS_PORT: "8080" },
      instances,
    };
  }
  return { state: s, result: undefined };
};

/** A change that replaces one task (copy-on-write: a new entry, the others shared). */
const bumpTask = (id: string, ip: string) => (s: ReconcilerState) => {
  const t = s.tasks[id]!;
  s.tasks[id] = { ...t, version: t.version + 1, facts: { ...t.facts, taskIp: ip } };
  return { state: s, result: undefined };
};

/** An object's raw response: its text (inflated when gzip) and its Content-Encoding; undefined when missing. */
async function getObject(key: string): Promise<{ text: string; encoding: string | undefined } | undefined> {
  try {
    const r = await env.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const raw = await r.Body!.transformToByteArray();
    return { text: (r.ContentEncoding === "gzip" ? gunzipSync(raw) : Buffer.from(raw)).toString("utf8"), encoding: r.ContentEncoding };
  } catch (err) {
    if ((err as Error).name === "NoSuchKey" || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

async function headOfStored(t: StateTarget): Promise<StateHead> {
  const obj = await getObject(t.stateKey);
  expect(obj?.encoding).toBe("gzip");
  return JSON.parse(obj!.text) as StateHead;
}

const s3Calls = (op: string) => env.sim.calls.log.filter((c) => c.key === op);
const pathOf = (key: string) => `/${BUCKET}/${key}`;
const putsUnder = (prefix: string) => s3Calls("s3:PutObject").filter((c) => c.status === 200 && (c.path ?? "").startsWith(pathOf(prefix)));

describe("the state as a head and parts", () => {
  it("writes a gzip head of schemaVersion 2 and the parts it lists; a cold read gives the state back", async () => {
    const t = target();
    env.sim.calls.reset();
    const out = await updateState(t, populate(60, 4), { now });
    expect(out.stateWritten).toBe(true);
    const head = await headOfStored(t);
    expect(head.schemaVersion).toBe(2);
    expect(head).not.toHaveProperty("services");
    expect(head).not.toHaveProperty("tasks");
    expect(head.generation).toBe(out.after.generation);
    expect(head.parts).toBe(partCountFor(60 + 240, undefined));
    expect(head.parts).toBeGreaterThan(1);
    expect(head.entries.map((e) => e.part)).toEqual([...head.entries.map((e) => e.part)].sort((a, b) => a - b));
    expect(head.entries.reduce((k, e) => k + e.services, 0)).toBe(60);
    expect(head.entries.reduce((k, e) => k + e.tasks, 0)).toBe(240);
    for (const e of head.entries) {
      expect(e.key.startsWith(statePartPrefixOf(t.stateKey))).toBe(true);
      const part = await getObject(e.key);
      expect(part?.encoding).toBe("gzip");
      expect(sha256Hex(part!.text)).toBe(e.sha256);
      const parsed = JSON.parse(part!.text) as { services: Record<string, unknown>; tasks: Record<string, unknown> };
      for (const id of [...Object.keys(parsed.services), ...Object.keys(parsed.tasks)]) expect(partOf(id, head.parts)).toBe(e.part);
    }
    // Each part once, then the head.
    expect(putsUnder(statePartPrefixOf(t.stateKey))).toHaveLength(head.entries.length);
    expect(s3Calls("s3:PutObject").filter((c) => c.path === pathOf(t.stateKey))).toHaveLength(1);
    const read = await readState(t, now());
    expect(read.state).toEqual(out.after);
    expect(read.head).toEqual(head);
    expect(read.etag).toBeTruthy();
  });

  it("writes the head and the one part of a one-task change", async () => {
    const t = target();
    await updateState(t, populate(60, 4), { now });
    const before = await headOfStored(t);
    const id = taskIdOf(17, 2);
    env.sim.calls.reset();
    const out = await updateState(t, bumpTask(id, "10.9.9.9"), { now });
    const parts = putsUnder(statePartPrefixOf(t.stateKey));
    expect(parts.length).toBeLessThanOrEqual(2);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.path).toMatch(new RegExp(`\\.parts/${partOf(id, before.parts)}/${out.after.generation}-[0-9a-f]{64}\\.json$`));
    expect(s3Calls("s3:PutObject").filter((c) => c.path === pathOf(t.stateKey) && c.status === 200)).toHaveLength(1);
    expect(s3Calls("s3:PutObject")).toHaveLength(2);
    // The head lists the new part and keeps every other part's key; the old key is retired.
    const after = await headOfStored(t);
    const changed = partOf(id, before.parts);
    expect(after.entries.filter((e) => e.part !== changed)).toEqual(before.entries.filter((e) => e.part !== changed));
    const old = before.entries.find((e) => e.part === changed)!.key;
    expect(after.retired).toEqual([{ key: old, at: now().toISOString() }]);
    const read = await readState(t, now());
    expect(read.state).toEqual(out.after);
    expect(read.state.tasks[id]!.facts.taskIp).toBe("10.9.9.9");
  });

  it("spreads every entry again when the fleet outgrows the part count, retiring every old part", async () => {
    const t = target();
    await updateState(t, populate(10, 2), { now });
    const small = await headOfStored(t);
    expect(small.parts).toBe(1);
    env.sim.calls.reset();
    const out = await updateState(t, populate(100, 4), { now });
    const big = await headOfStored(t);
    expect(big.parts).toBe(partCountFor(500, 1));
    expect(big.parts).toBeGreaterThan(2);
    expect(putsUnder(statePartPrefixOf(t.stateKey))).toHaveLength(big.entries.length);
    expect(big.entries.length).toBe(big.parts);
    expect(big.retired.map((r) => r.key)).toEqual(small.entries.map((e) => e.key));
    expect((await readState(t, now())).state).toEqual(out.after);
  });

  it("reads a whole state of schemaVersion 1 as it is, and replaces it with a head and parts on the next write", async () => {
    const t = target();
    const whole = populate(20, 3)({ ...emptyState(now()), generation: 41 }).state;
    await env.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: t.stateKey, Body: JSON.stringify(whole), ContentType: "application/json" }));
    const read = await readState(t, now());
    expect(read.state).toEqual(whole);
    expect(read.head).toBeUndefined();
    const id = taskIdOf(3, 1);
    const out = await updateState(t, bumpTask(id, "10.8.8.8"), { now });
    expect(out.before).toEqual(whole);
    expect(out.after.generation).toBe(42);
    const head = await headOfStored(t);
    expect(head.schemaVersion).toBe(2);
    expect(head.entries.length).toBeGreaterThan(0);
    for (const e of head.entries) expect(await getObject(e.key)).toBeDefined();
    expect(head.retired).toEqual([]);
    const again = await readState(t, now());
    expect(again.state).toEqual(out.after);
    expect(Object.keys(again.state.tasks)).toHaveLength(60);
    expect(again.state.tasks[id]!.facts.taskIp).toBe("10.8.8.8");
  });

  it("refuses a part whose bytes do not have the sha256 the head lists, naming the part", async () => {
    const t = target();
    await updateState(t, populate(30, 4), { now });
    const head = await headOfStored(t);
    const victim = head.entries[0]!;
    await env.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: victim.key, Body: JSON.stringify({ services: {}, tasks: {} }) }));
    const err = await readState(t, now()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcilerStateError);
    expect((err as ReconcilerStateError).object).toBe(`s3://${BUCKET}/${victim.key}`);
    expect((err as Error).message).toMatch(/sha256/);
  });

  it("refuses a head that lists a missing part, naming the part", async () => {
    const t = target();
    await updateState(t, populate(30, 4), { now });
    const head = await headOfStored(t);
    const victim = head.entries.at(-1)!;
    await env.clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: victim.key }));
    const err = await readState(t, now()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcilerStateError);
    expect((err as ReconcilerStateError).object).toBe(`s3://${BUCKET}/${victim.key}`);
    expect((err as Error).message).toMatch(/missing/);
    // Nothing is written over a state that cannot be read.
    env.sim.calls.reset();
    await expect(updateState(t, bumpTask(taskIdOf(1, 1), "10.7.7.7"), { now })).rejects.toBeInstanceOf(ReconcilerStateError);
    expect(s3Calls("s3:PutObject")).toHaveLength(0);
  });

  it("deletes a part that left the head only RETIRE_MS after it left", async () => {
    const t = target();
    await updateState(t, populate(60, 4), { now: at(0) });
    const first = await headOfStored(t);
    const id = taskIdOf(5, 0);
    const part = partOf(id, first.parts);
    const gone = first.entries.find((e) => e.part === part)!.key;
    await updateState(t, bumpTask(id, "10.6.6.1"), { now: at(0) });
    expect((await headOfStored(t)).retired.map((r) => r.key)).toEqual([gone]);
    expect(await getObject(gone)).toBeDefined();
    // Another change 9 minutes later: retired for less than RETIRE_MS, kept.
    expect(RETIRE_MS).toBe(10 * 60 * 1000);
    env.sim.calls.reset();
    await updateState(t, bumpTask(taskIdOf(6, 1), "10.6.6.2"), { now: at(9 * 60 * 1000) });
    expect(s3Calls("s3:DeleteObject")).toHaveLength(0);
    expect(await getObject(gone)).toBeDefined();
    expect((await headOfStored(t)).retired.map((r) => r.key)).toContain(gone);
    // 11 minutes after it left: deleted, and no longer listed as retired.
    env.sim.calls.reset();
    await updateState(t, bumpTask(taskIdOf(7, 2), "10.6.6.3"), { now: at(11 * 60 * 1000) });
    expect(s3Calls("s3:DeleteObject").map((c) => c.path)).toEqual([pathOf(gone)]);
    expect(await getObject(gone)).toBeUndefined();
    const last = await headOfStored(t);
    expect(last.retired.map((r) => r.key)).not.toContain(gone);
    // Every part the head lists is still there, and the state reads whole.
    for (const e of last.entries) expect(await getObject(e.key), e.key).toBeDefined();
    expect(Object.keys((await readState(t, now())).state.tasks)).toHaveLength(240);
  });
});

describe("the state in a warm process (ObjectCache)", () => {
  it("reads its own write with one GET answered 304 and no part GET", async () => {
    const base = target();
    const t = { ...base, cache: new ObjectCache() };
    const out = await updateState(t, populate(40, 4), { now });
    env.sim.calls.reset();
    const read = await readState(t, now());
    expect(s3Calls("s3:GetObject").map((c) => [c.path, c.status])).toEqual([[pathOf(t.stateKey), 304]]);
    expect(read.state).toBe(out.after);
    expect(read.state).toEqual((await readState(base, now())).state);
  });

  it("reads only the part another writer changed", async () => {
    const base = target();
    await updateState(base, populate(40, 4), { now });
    const warm = { ...base, cache: new ObjectCache() };
    const head = await headOfStored(base);
    // Cold: the head and every part.
    env.sim.calls.reset();
    await readState(warm, now());
    expect(s3Calls("s3:GetObject").filter((c) => c.path?.includes(".parts/"))).toHaveLength(head.entries.length);
    // Another process changes one task.
    const id = taskIdOf(11, 3);
    const other = await updateState(base, bumpTask(id, "10.5.5.5"), { now });
    env.sim.calls.reset();
    const read = await readState(warm, now());
    const gets = s3Calls("s3:GetObject");
    expect(gets.filter((c) => c.path === pathOf(base.stateKey)).map((c) => c.status)).toEqual([200]);
    const partGets = gets.filter((c) => c.path?.includes(".parts/"));
    expect(partGets).toHaveLength(1);
    expect(partGets[0]!.path).toContain(`.parts/${partOf(id, head.parts)}/`);
    expect(read.state).toEqual(other.after);
  });
});

describe("a crash between the parts and the head", () => {
  it("leaves the previous state whole: the head is the one write that commits", async () => {
    const t = target();
    await updateState(t, populate(60, 4), { now });
    const read = await readState(t, now());
    const id = taskIdOf(9, 1);
    const changed = bumpTask(id, "10.4.4.4")(workingCopy(read.state)).state;
    const after = { ...changed, generation: read.state.generation + 1, updatedAt: now().toISOString() };
    env.sim.calls.reset();
    // The head write fails (another ETag than the object's): the new part is written, the head is not.
    const err = await writeStateParts(t, { ...read, etag: '"0123456789abcdef0123456789abcdef"' }, after, now()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    const written = putsUnder(statePartPrefixOf(t.stateKey));
    expect(written).toHaveLength(1);
    expect(
      s3Calls("s3:PutObject")
        .filter((c) => c.path === pathOf(t.stateKey))
        .map((c) => c.status),
    ).toEqual([412]);
    const again = await readState(t, now());
    expect(again.state).toEqual(read.state);
    expect(again.etag).toBe(read.etag);
    expect(again.state.tasks[id]!.facts.taskIp).not.toBe("10.4.4.4");
    // The next writer goes on from the previous state; the part the crashed writer left under
    // the very key it needs (same generation, same bytes) answers 412, which is fine.
    env.sim.calls.reset();
    const out = await updateState(t, bumpTask(id, "10.4.4.4"), { now });
    expect(out.after.generation).toBe(read.state.generation + 1);
    expect(
      s3Calls("s3:PutObject")
        .filter((c) => c.path === written[0]!.path)
        .map((c) => c.status),
    ).toEqual([412]);
    expect((await headOfStored(t)).entries.map((e) => pathOf(e.key))).toContain(written[0]!.path);
    expect((await readState(t, now())).state).toEqual(out.after);
  });
});
