// The EventBridge matcher the pattern tests rely on: each operator's
// documented semantics, and loud failure on what it does not implement.
import { describe, expect, it } from "vitest";
import { matchesPattern, PatternError } from "../../infra/event-match";

const event = {
  source: "aws.ecs",
  detail: {
    lastStatus: "RUNNING",
    version: 4,
    group: "service:web",
    containers: [{ name: "app" }, { name: "statsd" }],
    tags: ["a", "b"],
    nothing: null,
    empty: [],
  },
};

const m = (pattern: unknown) => matchesPattern(pattern, event);

describe("matchesPattern", () => {
  it("exact values: any listed value, strings never equal numbers", () => {
    expect(m({ source: ["aws.ec2", "aws.ecs"] })).toBe(true);
    expect(m({ source: ["aws.ec2"] })).toBe(false);
    expect(m({ detail: { version: [4] } })).toBe(true);
    expect(m({ detail: { version: ["4"] } })).toBe(false);
    expect(m({ detail: { nothing: [null] } })).toBe(true);
  });

  it("a missing field fails every matcher except exists:false", () => {
    expect(m({ detail: { absent: ["x"] } })).toBe(false);
    expect(m({ detail: { absent: [{ "anything-but": "x" }] } })).toBe(false);
    expect(m({ detail: { absent: [{ exists: false }] } })).toBe(true);
    expect(m({ detail: { absent: [{ exists: true }] } })).toBe(false);
    expect(m({ detail: { lastStatus: [{ exists: false }] } })).toBe(false);
    expect(m({ detail: { lastStatus: [{ exists: true }] } })).toBe(true);
    expect(m({ nope: { deeper: ["x"] } })).toBe(false);
  });

  it("exists matches leaves only, not objects", () => {
    expect(m({ detail: [{ exists: true }] })).toBe(false);
  });

  it("arrays in the event match when any element does", () => {
    expect(m({ detail: { tags: ["b"] } })).toBe(true);
    expect(m({ detail: { tags: ["c"] } })).toBe(false);
    expect(m({ detail: { containers: { name: ["statsd"] } } })).toBe(true);
    expect(m({ detail: { containers: { name: ["nginx"] } } })).toBe(false);
    expect(m({ detail: { empty: [{ exists: true }] } })).toBe(false);
  });

  it("prefix, suffix, equals-ignore-case, wildcard", () => {
    expect(m({ detail: { group: [{ prefix: "service:" }] } })).toBe(true);
    expect(m({ detail: { group: [{ prefix: "family:" }] } })).toBe(false);
    expect(m({ detail: { group: [{ prefix: { "equals-ignore-case": "SERVICE:" } }] } })).toBe(true);
    expect(m({ detail: { group: [{ suffix: ":web" }] } })).toBe(true);
    expect(m({ detail: { group: [{ suffix: ":api" }] } })).toBe(false);
    expect(m({ detail: { lastStatus: [{ "equals-ignore-case": "running" }] } })).toBe(true);
    expect(m({ detail: { group: [{ wildcard: "service:*" }] } })).toBe(true);
    expect(m({ detail: { group: [{ wildcard: "family:*" }] } })).toBe(false);
    expect(m({ detail: { version: [{ prefix: "4" }] } })).toBe(false);
  });

  it("anything-but with a value, a list, a prefix", () => {
    expect(m({ detail: { lastStatus: [{ "anything-but": "STOPPED" }] } })).toBe(true);
    expect(m({ detail: { lastStatus: [{ "anything-but": ["PENDING", "RUNNING"] }] } })).toBe(false);
    expect(m({ detail: { lastStatus: [{ "anything-but": { prefix: "RUN" } }] } })).toBe(false);
    expect(m({ detail: { lastStatus: [{ "anything-but": { prefix: "STOP" } }] } })).toBe(true);
    expect(m({ detail: { version: [{ "anything-but": [3, 5] }] } })).toBe(true);
  });

  it("numeric ranges", () => {
    expect(m({ detail: { version: [{ numeric: [">", 3] }] } })).toBe(true);
    expect(m({ detail: { version: [{ numeric: [">", 3, "<=", 4] }] } })).toBe(true);
    expect(m({ detail: { version: [{ numeric: [">=", 5] }] } })).toBe(false);
    expect(m({ detail: { group: [{ numeric: [">", 0] }] } })).toBe(false);
  });

  it("$or needs one alternative to match", () => {
    expect(m({ $or: [{ source: ["aws.ec2"] }, { detail: { version: [4] } }] })).toBe(true);
    expect(m({ $or: [{ source: ["aws.ec2"] }, { detail: { version: [5] } }] })).toBe(false);
  });

  it("throws on operators and shapes it does not implement", () => {
    expect(() => m({ detail: { lastStatus: [{ cidr: "10.0.0.0/8" }] } })).toThrow(PatternError);
    expect(() => m({ source: "aws.ecs" })).toThrow(PatternError);
    expect(() => m({ source: [] })).toThrow(PatternError);
    expect(() => m({ detail: { version: [{ numeric: ["!", 3] }] } })).toThrow(PatternError);
    expect(() => m({ detail: { lastStatus: [{ prefix: "R", suffix: "G" }] } })).toThrow(PatternError);
    expect(() => matchesPattern([], event)).toThrow(PatternError);
  });
});
