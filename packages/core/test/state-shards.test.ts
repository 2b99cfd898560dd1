// The stored state's layout (state-shards.ts): partOf is stable (FNV-1a's published test
// vectors), in range and nests when the count doubles; partCountFor starts at one part,
// grows by powers of two, keeps the current count within a factor of two and caps;
// splitState puts every entry in exactly one part and assembleState gives the state back;
// changedParts marks exactly the part of a replaced, added or removed entry and none for
// shared ones; headOf holds no services or tasks and is schemaVersion 2.
import { describe, expect, it } from "vitest";
import {
  assembleState,
  changedParts,
  deepFreeze,
  emptyState,
  headOf,
  PART_ENTRIES,
  partCountFor,
  partOf,
  splitState,
  STATE_HEAD_VERSION,
  statePartKeyOf,
  statePartPrefixOf,
  workingCopy,
  type ReconcilerState,
  type StatePartEntry,
} from "../src";
import { task } from "./fixtures";

const NOW = new Date("2026-12-05T12:00:00Z");

/** A state of `services` Cloud Map services with `perService` ECS tasks each. */
function stateOf(services: number, perService: number): ReconcilerState {
  const s = emptyState(NOW);
  s.generation = 7;
  s.complete = true;
  s.lastFullReconcileAt = NOW.toISOString();
  s.namespaces["ns-1"] = { id: "ns-1", name: "internal.local", type: "DNS_PRIVATE" };
  s.registries["prod/web"] = ["srv-0"];
  s.taskDefinitions["arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"] = "awsvpc";
  s.containerInstances["arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ci1"] = { ip: "10.1.0.5", instanceType: "m5.large" };
  s.failed = [{ scope: "service", id: "srv-gone", name: "gone", operation: "servicediscovery:ListInstances", error: "boom" }];
  for (let i = 0; i < services; i++) {
    const id = `srv-${i.toString(36)}x${i}`;
    const instances: Record<string, Record<string, string>> = {};
    for (let j = 0; j < perService; j++) {
      const taskId = `${i.toString(16).padStart(4, "0")}${j}f3a9c2e7d1b84`;
      instances[taskId] = { AWS_INSTANCE_IPV4: `10.0.${i % 250}.${j}`, ECS_CLUSTER_NAME: "prod" };
      s.tasks[taskId] = { version: j + 1, observedAt: NOW.toISOString(), facts: task(taskId) };
    }
    s.services[id] = {
      id,
      arn: `arn:aws:servicediscovery:eu-west-1:123456789012:service/${id}`,
      name: `svc${i}`,
      namespaceId: "ns-1",
      tags: { METRICS_PORT: "8080" },
      instances,
    };
  }
  return s;
}

const entriesOf = (s: Pick<ReconcilerState, "services" | "tasks">) => Object.keys(s.services).length + Object.keys(s.tasks).length;

describe("partOf", () => {
  it("is FNV-1a of the key (the published 32-bit test vectors), masked to the part count", () => {
    // FNV-1a 32: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
    expect(partOf("", 1 << 30)).toBe(0x811c9dc5 & ((1 << 30) - 1));
    expect(partOf("a", 1024)).toBe(0xe40c292c & 1023);
    expect(partOf("foobar", 1024)).toBe(0xbf9cf968 & 1023);
    expect(partOf("foobar", 1)).toBe(0);
  });

  it("is stable, within range, nests when the count doubles, and spreads random ids", () => {
    const keys = Object.keys(stateOf(200, 3).tasks);
    for (const parts of [1, 2, 4, 8, 64, 1024]) {
      const counts = new Array<number>(parts).fill(0);
      for (const k of keys) {
        const p = partOf(k, parts);
        expect(Number.isInteger(p)).toBe(true);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(parts);
        expect(partOf(k, parts)).toBe(p);
        // Doubling splits each part in two: the entries of part p go to p or p + parts.
        expect(partOf(k, parts * 2) % parts).toBe(p);
        counts[p]! += 1;
      }
      // 600 ids over 8 parts: none empty, none holding more than twice its share.
      if (parts === 8) {
        expect(Math.min(...counts)).toBeGreaterThan(0);
        expect(Math.max(...counts)).toBeLessThan((2 * keys.length) / parts);
      }
    }
  });
});

describe("partCountFor", () => {
  it("is one part for a tiny state and grows by powers of two, about PART_ENTRIES entries a part", () => {
    expect(partCountFor(0, undefined)).toBe(1);
    expect(partCountFor(1, undefined)).toBe(1);
    expect(partCountFor(PART_ENTRIES, undefined)).toBe(1);
    expect(partCountFor(PART_ENTRIES + 1, undefined)).toBe(2);
    expect(partCountFor(2 * PART_ENTRIES, undefined)).toBe(2);
    expect(partCountFor(2 * PART_ENTRIES + 1, undefined)).toBe(4);
    let last = 1;
    for (let n = 0; n <= 200_000; n += 997) {
      const parts = partCountFor(n, undefined);
      expect(parts & (parts - 1)).toBe(0);
      expect(parts).toBeGreaterThanOrEqual(last);
      if (parts < 1024) expect(parts * PART_ENTRIES).toBeGreaterThanOrEqual(n);
      if (parts > 1) expect((parts / 2) * PART_ENTRIES).toBeLessThan(n);
      last = parts;
    }
  });

  it("keeps the current count while the ideal is within a factor of two of it", () => {
    // 8 parts: ideal 4 (up to 256 entries), 8, 16 (up to 1024) all keep 8.
    expect(partCountFor(3 * PART_ENTRIES, 8)).toBe(8);
    expect(partCountFor(8 * PART_ENTRIES, 8)).toBe(8);
    expect(partCountFor(16 * PART_ENTRIES, 8)).toBe(8);
    // Beyond: the ideal.
    expect(partCountFor(16 * PART_ENTRIES + 1, 8)).toBe(32);
    expect(partCountFor(2 * PART_ENTRIES, 8)).toBe(2);
    // A state that shrinks to nothing goes back to one part, then stays.
    expect(partCountFor(0, 4)).toBe(1);
    expect(partCountFor(0, 2)).toBe(2);
    expect(partCountFor(0, 1)).toBe(1);
    // Growing one entry at a time from one part: the count changes only when it doubles.
    let parts = 1;
    const changes: number[] = [];
    for (let n = 0; n <= 64 * PART_ENTRIES; n++) {
      const next = partCountFor(n, parts);
      if (next !== parts) changes.push(next);
      parts = next;
    }
    expect(changes).toEqual([4, 16, 64]);
  });

  it("caps at 1024 parts", () => {
    expect(partCountFor(1_000_000_000, undefined)).toBe(1024);
    expect(partCountFor(1024 * PART_ENTRIES * 8, 1024)).toBe(1024);
    expect(partCountFor(1024 * PART_ENTRIES * 8, 512)).toBe(512);
    expect(partCountFor(1024 * PART_ENTRIES * 8, 256)).toBe(1024);
  });
});

describe("splitState and assembleState", () => {
  it("puts every service and task in exactly one part, the one partOf names", () => {
    const s = stateOf(120, 4);
    const parts = partCountFor(entriesOf(s), undefined);
    expect(parts).toBe(16);
    const split = splitState(s, parts);
    expect(split).toHaveLength(parts);
    const seen = new Map<string, number>();
    split.forEach((p, i) => {
      for (const id of [...Object.keys(p.services), ...Object.keys(p.tasks)]) {
        expect(seen.has(id), id).toBe(false);
        seen.set(id, i);
        expect(partOf(id, parts)).toBe(i);
      }
      for (const [id, v] of Object.entries(p.services)) expect(v).toBe(s.services[id]);
      for (const [id, v] of Object.entries(p.tasks)) expect(v).toBe(s.tasks[id]);
    });
    expect(seen.size).toBe(entriesOf(s));
  });

  it("assembles the head and parts back into the state, in any order of the parts", () => {
    const s = stateOf(40, 3);
    for (const parts of [1, 2, 8]) {
      const split = splitState(s, parts);
      const head = headOf(s, parts, [], []);
      expect(assembleState(head, split)).toEqual(s);
      expect(assembleState(head, [...split].reverse())).toEqual(s);
      // Through JSON, as stored.
      const stored = JSON.parse(JSON.stringify(head));
      expect(
        assembleState(
          stored,
          split.map((p) => JSON.parse(JSON.stringify(p))),
        ),
      ).toEqual(s);
    }
    const empty = emptyState(NOW);
    expect(assembleState(headOf(empty, 1, [], []), splitState(empty, 1))).toEqual(empty);
  });
});

describe("changedParts", () => {
  const parts = 8;
  const read = deepFreeze(stateOf(60, 3));

  it("marks nothing for a copy that shares every entry", () => {
    expect(changedParts(read, workingCopy(read), parts)).toEqual(new Set());
    expect(changedParts(read, read, parts)).toEqual(new Set());
  });

  it("marks exactly the part of a replaced service", () => {
    const after = workingCopy(read);
    const id = Object.keys(read.services)[17]!;
    after.services[id] = { ...read.services[id]!, tags: { METRICS_PORT: "9090" } };
    expect(changedParts(read, after, parts)).toEqual(new Set([partOf(id, parts)]));
    // An equal copy is still a new object: its part is written again (never missed).
    const copy = workingCopy(read);
    copy.services[id] = { ...read.services[id]! };
    expect(changedParts(read, copy, parts)).toEqual(new Set([partOf(id, parts)]));
  });

  it("marks exactly the part of an added task and of a removed task", () => {
    const added = workingCopy(read);
    const newId = "ffffeeee00001111aaaa";
    added.tasks[newId] = { version: 1, observedAt: NOW.toISOString(), facts: task(newId) };
    expect(changedParts(read, added, parts)).toEqual(new Set([partOf(newId, parts)]));
    const removed = workingCopy(read);
    const gone = Object.keys(read.tasks)[42]!;
    delete removed.tasks[gone];
    expect(changedParts(read, removed, parts)).toEqual(new Set([partOf(gone, parts)]));
  });

  it("marks the union of the parts of several changes, whatever the other fields do", () => {
    const after = workingCopy(read);
    const taskIds = Object.keys(read.tasks);
    const replaced = taskIds.slice(0, 5);
    for (const id of replaced) after.tasks[id] = { ...read.tasks[id]!, version: 99 };
    const svc = Object.keys(read.services)[3]!;
    delete after.services[svc];
    // Not services or tasks: no part.
    after.namespaces["ns-2"] = { id: "ns-2", name: "other", type: "HTTP" };
    after.generation += 1;
    const want = new Set([...replaced, svc].map((id) => partOf(id, parts)));
    expect(changedParts(read, after, parts)).toEqual(want);
    expect(want.size).toBeLessThan(parts);
  });
});

describe("headOf", () => {
  it("holds everything but the services and tasks, as schemaVersion 2 with its parts listed", () => {
    const s = stateOf(10, 2);
    const entries: StatePartEntry[] = [
      { part: 0, key: statePartKeyOf("targets/state.json", 0, 7, "a".repeat(64)), sha256: "a".repeat(64), services: 10, tasks: 20 },
    ];
    const retired = [{ key: "targets/state.parts/0/6-old.json", at: NOW.toISOString() }];
    const head = headOf(s, 1, entries, retired);
    expect(head.schemaVersion).toBe(2);
    expect(STATE_HEAD_VERSION).toBe(2);
    expect("services" in head).toBe(false);
    expect("tasks" in head).toBe(false);
    expect(head).toMatchObject({ parts: 1, entries, retired, generation: 7, failed: s.failed, registries: s.registries, complete: true });
    expect(head.containerInstances).toBe(s.containerInstances);
    // The state itself is left as it was.
    expect(s.schemaVersion).toBe(1);
    expect(Object.keys(s.tasks)).toHaveLength(20);
  });

  it("names part objects beside the state key, by part, generation and sha256", () => {
    expect(statePartPrefixOf("targets/state.json")).toBe("targets/state.parts/");
    expect(statePartPrefixOf("state")).toBe("state.parts/");
    expect(statePartKeyOf("targets/state.json", 5, 12, "b".repeat(64))).toBe(`targets/state.parts/5/12-${"b".repeat(64)}.json`);
  });
});
