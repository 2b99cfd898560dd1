// The full reconcile's merge keeps a tombstone (the last version) for every task it drops,
// so a stale event delivered again cannot bring a stopping or vanished task back, while a
// task that genuinely comes back does so through a newer version or a later discovery.
import { describe, expect, it } from "vitest";
import { applyEvent, buildDocument, emptyState, mergeDiscovery, TOMBSTONE_MS, toDiscovery, type Discovery, type ReconcilerState, type TaskEvent } from "../src";
import { instance, service, task } from "./fixtures";

const T0 = new Date("2026-12-05T10:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function discovery(ids: Record<string, number>): Discovery {
  const instances = Object.keys(ids).map((id) => instance(id, `10.0.0.${id.length}`));
  const tasks = Object.fromEntries(Object.entries(ids).map(([id, version]) => [id, task(id, { version })]));
  return { services: [service("web", { METRICS_PORT: "8080" }, instances, tasks)], failed: [], servicesSeen: 1, namespacesSeen: 1 };
}

function ev(id: string, version: number, lastStatus: string, minutes: number, over: Partial<TaskEvent["facts"]> = {}): TaskEvent {
  return {
    kind: "task",
    eventId: `e-${id}-${version}`,
    time: at(minutes).toISOString(),
    region: "eu-west-1",
    facts: { ...task(id, { lastStatus, ...over }), version },
  };
}

const ids = (s: ReconcilerState) => buildDocument(toDiscovery(s), undefined).document.map((g) => g.labels.taskid);

/** aaa runs; bbb RUNNING v4 then DEACTIVATING v5 by events; the full reconcile at +5 min no longer lists bbb. */
function afterStopAndReconcile(): ReconcilerState {
  let s = mergeDiscovery(emptyState(T0), discovery({ aaa: 3 }), T0, T0);
  expect(applyEvent(s, ev("bbb", 4, "RUNNING", 1))).toBe("applied");
  expect(ids(s)).toEqual(["aaa", "bbb"]);
  expect(applyEvent(s, ev("bbb", 5, "DEACTIVATING", 2, { desiredStatus: "STOPPED" }))).toBe("applied");
  expect(ids(s)).toEqual(["aaa"]);
  s = mergeDiscovery(s, discovery({ aaa: 3 }), at(5), at(5));
  return s;
}

describe("tombstones of tasks the full reconcile drops", () => {
  it("a stale RUNNING delivered again after the reconcile is stale, and the task stays out", () => {
    const s = afterStopAndReconcile();
    expect(s.tasks.bbb).toMatchObject({ version: 5, goneAt: at(5).toISOString() });
    expect(applyEvent(s, ev("bbb", 4, "RUNNING", 6))).toBe("stale");
    expect(applyEvent(s, ev("bbb", 5, "DEACTIVATING", 6))).toBe("duplicate");
    expect(ids(s)).toEqual(["aaa"]);
  });

  it("a task last seen RUNNING that a discovery no longer lists is gone too: its RUNNING again is a duplicate", () => {
    let s = mergeDiscovery(emptyState(T0), discovery({ aaa: 3, ccc: 4 }), T0, T0);
    s = mergeDiscovery(s, discovery({ aaa: 3 }), at(5), at(5));
    expect(s.tasks.ccc).toMatchObject({ version: 4, goneAt: at(5).toISOString() });
    expect(applyEvent(s, ev("ccc", 4, "RUNNING", 6))).toBe("duplicate");
    // A Cloud Map registration delivered late does not publish a gone task either.
    expect(
      applyEvent(s, {
        kind: "register",
        eventId: "r",
        time: at(6).toISOString(),
        serviceId: "srv-web",
        instanceId: "ccc",
        attributes: instance("ccc", "10.0.0.3").attributes,
      }),
    ).toBe("applied");
    expect(ids(s)).toEqual(["aaa"]);
  });

  it("a task that genuinely comes back does so through a newer version or a later discovery", () => {
    const byEvent = afterStopAndReconcile();
    expect(applyEvent(byEvent, ev("bbb", 6, "RUNNING", 7))).toBe("applied");
    expect(byEvent.tasks.bbb?.goneAt).toBeUndefined();
    expect(ids(byEvent)).toEqual(["aaa", "bbb"]);

    const byDiscovery = mergeDiscovery(afterStopAndReconcile(), discovery({ aaa: 3, bbb: 6 }), at(10), at(10));
    expect(byDiscovery.tasks.bbb).toMatchObject({ version: 6 });
    expect(byDiscovery.tasks.bbb?.goneAt).toBeUndefined();
    expect(ids(byDiscovery)).toEqual(["aaa", "bbb"]);
  });

  it("a discovery older than the tombstone does not bring the task back", () => {
    const s = mergeDiscovery(afterStopAndReconcile(), discovery({ aaa: 3, bbb: 4 }), at(10), at(10));
    expect(s.tasks.bbb).toMatchObject({ version: 5 });
    expect(ids(s)).toEqual(["aaa"]);
  });

  it("tombstones are dropped TOMBSTONE_MS after the task was gone, and are not rewritten meanwhile", () => {
    const s = afterStopAndReconcile();
    const later = mergeDiscovery(s, discovery({ aaa: 3 }), at(30), at(30));
    expect(later.tasks.bbb).toEqual(s.tasks.bbb);
    const expired = mergeDiscovery(s, discovery({ aaa: 3 }), at(6 + TOMBSTONE_MS / 60_000), at(6 + TOMBSTONE_MS / 60_000));
    expect(expired.tasks.bbb).toBeUndefined();
    expect(Object.keys(expired.tasks)).toEqual(["aaa"]);
  });
});

describe("mayFollow: event times in whole seconds against a discovery's start", () => {
  it("compares instants at the events' precision, never strings", async () => {
    const { mayFollow } = await import("../src/state");
    const start = new Date("2026-12-05T06:00:01.234Z");
    expect(mayFollow("2026-12-05T06:00:01Z", start)).toBe(true); // same second: may be later
    expect(mayFollow("2026-12-05T06:00:02Z", start)).toBe(true);
    expect(mayFollow("2026-12-05T06:00:00.999Z", start)).toBe(false);
    expect(mayFollow("2026-12-05T06:00:01.200Z", start)).toBe(false); // exact: before
    expect(mayFollow("2026-12-05T06:00:01.300Z", start)).toBe(true);
    expect(mayFollow("2026-12-05T06:00:00Z", start)).toBe(false);
    // Another offset notation of a later instant: a string comparison would get it wrong.
    expect(mayFollow("2026-12-05T07:00:00+01:00", start)).toBe(false);
    expect(mayFollow("2026-12-05T08:00:05+02:00", start)).toBe(true);
    expect(mayFollow(undefined, start)).toBe(false);
  });
});
