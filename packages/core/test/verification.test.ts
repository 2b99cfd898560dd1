// Which running tasks a full reconcile describes again (core's verification.ts): the slots
// whose time came since the previous full reconcile, every slot without one or after a full
// round, and only tasks the state holds as scraped and not gone are ever taken as known.
import { describe, expect, it } from "vitest";
import { emptyState, knownTaskFacts, slotOf, slotsDue, VERIFY_SLOT_MS, VERIFY_SLOTS, type EcsTaskFacts, type ReconcilerState } from "../src";

const ALL = new Set(Array.from({ length: VERIFY_SLOTS }, (_, i) => i));
/** A time at the start of slot k (of some round). */
const slotStart = (k: number) => new Date((1_000_000 * VERIFY_SLOTS + k) * VERIFY_SLOT_MS);

describe("slotsDue", () => {
  it("is every slot without a previous full reconcile, or when a full round or more went by", () => {
    expect(slotsDue(undefined, slotStart(3))).toEqual(ALL);
    expect(slotsDue(slotStart(3), new Date(slotStart(3).getTime() + VERIFY_SLOTS * VERIFY_SLOT_MS))).toEqual(ALL);
    // A clock that went back: everything again, never nothing.
    expect(slotsDue(slotStart(5), slotStart(4))).toEqual(ALL);
  });

  it("is nothing within the same slot, and each slot whose time came since, wrapping around", () => {
    expect(slotsDue(slotStart(3), new Date(slotStart(3).getTime() + VERIFY_SLOT_MS - 1))).toEqual(new Set());
    expect(slotsDue(slotStart(3), slotStart(4))).toEqual(new Set([4]));
    expect(slotsDue(new Date(slotStart(3).getTime() + 10), new Date(slotStart(5).getTime() + 10))).toEqual(new Set([4, 5]));
    const last = VERIFY_SLOTS - 1;
    expect(slotsDue(slotStart(last), new Date(slotStart(last).getTime() + 2 * VERIFY_SLOT_MS))).toEqual(new Set([0, 1]));
  });

  it("covers every slot over consecutive runs of any period, so every task is described within a round", () => {
    for (const periodMs of [60_000, 5 * 60_000, 15 * 60_000, 27 * 60_000]) {
      const seen = new Set<number>();
      let previous = slotStart(0);
      for (let t = previous.getTime() + periodMs; t <= previous.getTime() + VERIFY_SLOTS * VERIFY_SLOT_MS + periodMs; t += periodMs) {
        for (const s of slotsDue(previous, new Date(t))) seen.add(s);
        previous = new Date(t);
        if (seen.size === VERIFY_SLOTS) break;
      }
      expect(seen, `period ${periodMs} ms`).toEqual(ALL);
    }
  });
});

describe("knownTaskFacts", () => {
  const facts = (lastStatus: string, desiredStatus = "RUNNING") => ({ lastStatus, desiredStatus }) as EcsTaskFacts;
  const state: Pick<ReconcilerState, "tasks"> = {
    ...emptyState(new Date(0)),
    tasks: {
      running: { version: 3, observedAt: "2026-12-05T00:00:00Z", facts: facts("RUNNING") },
      stopping: { version: 4, observedAt: "2026-12-05T00:00:00Z", facts: facts("RUNNING", "STOPPED") },
      pending: { version: 1, observedAt: "2026-12-05T00:00:00Z", facts: facts("PENDING") },
      gone: { version: 5, observedAt: "2026-12-05T00:00:00Z", facts: facts("RUNNING"), goneAt: "2026-12-05T00:01:00Z" },
    },
  };

  it("gives the state's facts of a scraped task whose slot is not due, and nothing otherwise", () => {
    // No slot due: every scraped task is known.
    const known = knownTaskFacts(state, new Set());
    expect(known("running")).toBe(state.tasks.running!.facts);
    for (const id of ["stopping", "pending", "gone", "unknown"]) expect(known(id), id).toBeUndefined();
    // Its slot due: described again; another slot due: still known.
    expect(knownTaskFacts(state, new Set([slotOf("running")]))("running")).toBeUndefined();
    expect(knownTaskFacts(state, new Set([(slotOf("running") + 1) % VERIFY_SLOTS]))("running")).toBe(state.tasks.running!.facts);
    expect(knownTaskFacts(state, ALL)("running")).toBeUndefined();
  });

  it("spreads task ids over every slot", () => {
    const slots = new Set(Array.from({ length: 400 }, (_, i) => slotOf(`arn:aws:ecs:us-east-1:123456789012:task/c/${i.toString(16).padStart(32, "0")}`)));
    expect(slots).toEqual(ALL);
  });
});
