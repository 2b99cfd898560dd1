// The one text ordering (code units, never the locale) and the failed-part helpers.
import { describe, expect, it } from "vitest";
import { byText, compareText, failedParts, failedScopeName, sourceHealth, type FailedScope } from "../src";

describe("compareText / byText", () => {
  it("orders by code unit, not by locale: upper case before lower, ä after z", () => {
    const words = ["b", "ä", "a", "B", "z", "a"];
    expect([...words].sort(compareText)).toEqual(["B", "a", "a", "b", "z", "ä"]);
    expect(
      words
        .map((w) => ({ w }))
        .sort(byText((x) => x.w))
        .map((x) => x.w),
    ).toEqual(["B", "a", "a", "b", "z", "ä"]);
    expect(compareText("x", "x")).toBe(0);
  });
});

const failed: FailedScope[] = [
  { scope: "service", id: "srv-1", name: "web", namespaceName: "internal.local", operation: "ecs:DescribeTasks", error: "throttled" },
  { scope: "namespace", id: "ns-2", name: "apps", operation: "servicediscovery:ListServices", error: "denied" },
  { scope: "service", id: "srv-3", name: "api", operation: "servicediscovery:ListInstances", error: "5xx" },
];

describe("failed parts", () => {
  it("covers the target groups of failed services and namespaces only", () => {
    const parts = failedParts(failed);
    expect([...parts.services]).toEqual(["srv-1", "srv-3"]);
    expect([...parts.namespaces]).toEqual(["ns-2"]);
    const group = (labels: Record<string, string>) => ({ targets: ["10.0.0.1:80"], labels });
    expect(parts.covers(group({ __meta_cloudmap_service_id: "srv-1" }))).toBe(true);
    expect(parts.covers(group({ __meta_cloudmap_namespace_id: "ns-2", __meta_cloudmap_service_id: "srv-9" }))).toBe(true);
    expect(parts.covers(group({ __meta_cloudmap_service_id: "srv-9", __meta_cloudmap_namespace_id: "ns-9" }))).toBe(false);
  });

  it("names a failed service by namespace/name and counts failures per source", () => {
    expect(failed.map(failedScopeName)).toEqual(["internal.local/web", "apps", "api"]);
    expect(sourceHealth(failed)).toEqual({ cloudmap: { status: "partial", errors: 2 }, ecs: { status: "partial", errors: 1 } });
    expect(sourceHealth([])).toEqual({ cloudmap: { status: "ok", errors: 0 }, ecs: { status: "ok", errors: 0 } });
  });
});
