// jsonEqual (what sameFacts and the full reconcile's merge compare with) agrees with
// comparing stableStringify texts, the comparison it replaced: on values that differ by key
// order, by undefined keys, by one leaf, by array length, and on random nested values.
import { describe, expect, it } from "vitest";
import { emptyState, jsonEqual, sameFacts, stableStringify } from "../src/state";

const byText = (a: unknown, b: unknown) => stableStringify(a) === stableStringify(b);

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValue(r: () => number, depth: number): unknown {
  const k = r();
  if (depth <= 0 || k < 0.35) return [undefined, null, 0, 1, "a", "b", true, false][Math.floor(r() * 8)];
  if (k < 0.55) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) o[["x", "y", "z", "w"][Math.floor(r() * 4)]!] = randomValue(r, depth - 1);
  return o;
}

/** The same value with every object's keys in reverse order. */
function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reordered(x)]),
    );
  return v;
}

describe("jsonEqual", () => {
  it("ignores key order and undefined keys, as the JSON text does", () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual([undefined], [null])).toBe(true);
  });

  it("sees a changed leaf, a missing key, an extra key and another array length", () => {
    expect(jsonEqual({ a: { b: "x" } }, { a: { b: "y" } })).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
    expect(jsonEqual({ a: "1" }, { a: 1 })).toBe(false);
    expect(jsonEqual({ a: null }, { a: {} })).toBe(false);
  });

  it("agrees with the stableStringify comparison on 2,000 random pairs", () => {
    const r = rng(7);
    let equal = 0;
    for (let i = 0; i < 2000; i++) {
      const a = randomValue(r, 4);
      const b = r() < 0.5 ? reordered(a) : randomValue(r, 4);
      expect(jsonEqual(a, b)).toBe(byText(a, b));
      if (byText(a, b)) equal++;
    }
    expect(equal).toBeGreaterThan(500);
    expect(equal).toBeLessThan(2000);
  });

  it("sameFacts leaves out generation and the bookkeeping times only", () => {
    const a = emptyState(new Date("2026-01-01T00:00:00Z"));
    const b = { ...emptyState(new Date("2026-02-01T00:00:00Z")), generation: 9, lastFullReconcileAt: "2026-02-01T00:00:00Z" };
    expect(sameFacts(a, b)).toBe(true);
    expect(sameFacts(a, { ...b, complete: true })).toBe(false);
    expect(sameFacts(a, { ...b, taskDefinitions: { td: "awsvpc" } })).toBe(false);
  });
});
