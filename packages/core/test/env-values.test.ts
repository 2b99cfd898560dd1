// The configuration value checks every entry point shares: each error names its variable.
import { describe, expect, it } from "vitest";
import { ConfigError, emptyState, HEARTBEAT_MS, heartbeatDue, integerValue, listValue, s3KeyValue } from "../src";

const problemOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems[0];
    throw err;
  }
  return undefined;
};

describe("env values", () => {
  it("lists: trimmed, blanks dropped, each item once; set but empty is an error", () => {
    expect(listValue({ NAMESPACES: " a, b ,,a " }, "NAMESPACES")).toEqual(["a", "b"]);
    expect(listValue({}, "NAMESPACES")).toBeUndefined();
    expect(problemOf(() => listValue({ NAMESPACES: " , " }, "NAMESPACES"))).toEqual({
      variable: "NAMESPACES",
      message: "NAMESPACES is set but names nothing (want a comma-separated list)",
    });
  });

  it("S3 keys and integers fall back when unset and name the variable when bad", () => {
    expect(s3KeyValue({}, "TARGETS_KEY", "targets/a.json")).toBe("targets/a.json");
    expect(problemOf(() => s3KeyValue({ TARGETS_KEY: "/abs" }, "TARGETS_KEY", "x"))?.variable).toBe("TARGETS_KEY");
    expect(integerValue({ N: " 12 " }, "N", 8, 1, 64)).toBe(12);
    expect(integerValue({}, "N", 8, 1, 64)).toBe(8);
    expect(problemOf(() => integerValue({ N: "1.5" }, "N", 8, 1, 64))?.message).toBe('N="1.5" must be an integer from 1 to 64');
  });
});

describe("heartbeatDue", () => {
  it("is due HEARTBEAT_MS after the last full reconcile, and always without one", () => {
    const now = new Date("2026-12-05T12:00:00Z");
    const state = emptyState(now);
    expect(heartbeatDue(state, now)).toBe(true);
    state.lastFullReconcileAt = new Date(now.getTime() - HEARTBEAT_MS + 1000).toISOString();
    expect(heartbeatDue(state, now)).toBe(false);
    state.lastFullReconcileAt = new Date(now.getTime() - HEARTBEAT_MS).toISOString();
    expect(heartbeatDue(state, now)).toBe(true);
  });
});
