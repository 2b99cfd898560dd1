// The pure comparison: stale and missing by target key, failed services and namespaces
// left out on both sides, label changes kept apart, affected services counted.
import { describe, expect, it } from "vitest";
import type { FailedScope, TargetGroup } from "@scrape-reconciler/core";
import { compareTargets } from "../src/compare";

function group(ip: string, svc: string, ns = "apps", extra: Record<string, string> = {}): TargetGroup {
  return {
    targets: [`${ip}:8080`],
    labels: {
      __meta_cloudmap_namespace_id: `ns-${ns}`,
      __meta_cloudmap_namespace_name: ns,
      __meta_cloudmap_service_id: `srv-${svc}`,
      __meta_cloudmap_service_name: svc,
      __metrics_path__: "/metrics",
      __scheme__: "http",
      namespace: ns,
      service: svc,
      taskid: `task-${ip}`,
      ...extra,
    },
  };
}
const failed = (scope: FailedScope["scope"], id: string): FailedScope => ({
  scope,
  id,
  name: id,
  operation: "servicediscovery:ListInstances",
  error: "ThrottlingException",
});

describe("compareTargets", () => {
  it("equal documents: nothing stale or missing", () => {
    const doc = [group("10.0.0.1", "web"), group("10.0.0.2", "web")];
    expect(compareTargets(doc, structuredClone(doc), [])).toEqual({ stale: [], missing: [], changed: 0, compared: 2, excluded: 0, services: [] });
  });

  it("published but not discovered is stale; discovered but not published is missing", () => {
    const published = [group("10.0.0.1", "web"), group("10.0.0.2", "web")];
    const discovered = [group("10.0.0.2", "web"), group("10.0.0.3", "api", "internal")];
    const c = compareTargets(published, discovered, []);
    expect(c.stale).toEqual([{ key: "http://10.0.0.1:8080/metrics", namespace: "apps", service: "web", taskid: "task-10.0.0.1" }]);
    expect(c.missing).toEqual([{ key: "http://10.0.0.3:8080/metrics", namespace: "internal", service: "api", taskid: "task-10.0.0.3" }]);
    expect(c.services).toEqual([
      { namespace: "apps", service: "web", stale: 1, missing: 0 },
      { namespace: "internal", service: "api", stale: 0, missing: 1 },
    ]);
  });

  it("the same address on another path or scheme is another target", () => {
    const c = compareTargets([group("10.0.0.1", "web")], [group("10.0.0.1", "web", "apps", { __metrics_path__: "/stats" })], []);
    expect(c.stale.map((t) => t.key)).toEqual(["http://10.0.0.1:8080/metrics"]);
    expect(c.missing.map((t) => t.key)).toEqual(["http://10.0.0.1:8080/stats"]);
  });

  it("other labels on the same target are a change, not stale or missing", () => {
    const c = compareTargets([group("10.0.0.1", "web")], [group("10.0.0.1", "web", "apps", { taskid: "new-task" })], []);
    expect(c).toMatchObject({ stale: [], missing: [], changed: 1 });
  });

  it("a failed service is left out on both sides and its published targets counted as excluded", () => {
    const published = [group("10.0.0.1", "web"), group("10.0.0.2", "web"), group("10.0.0.3", "api")];
    // Discovery of web failed: it found nothing for it, and api lost its task.
    const c = compareTargets(published, [], [failed("service", "srv-web")]);
    expect(c.stale.map((t) => t.service)).toEqual(["api"]);
    expect(c.excluded).toBe(2);
    expect(c.compared).toBe(1);
  });

  it("a failed namespace leaves out every service in it", () => {
    const published = [group("10.0.0.1", "web", "apps"), group("10.0.0.2", "api", "internal")];
    const discovered = [group("10.0.0.9", "web", "apps"), group("10.0.0.2", "api", "internal")];
    const c = compareTargets(published, discovered, [failed("namespace", "ns-apps")]);
    expect(c).toMatchObject({ stale: [], missing: [], excluded: 1, compared: 1 });
  });

  it("lists the most affected services first and falls back to the compatibility labels", () => {
    const bare = (ip: string): TargetGroup => ({ targets: [`${ip}:80`], labels: { namespace: "old", service: "legacy" } });
    const c = compareTargets([bare("10.1.0.1"), bare("10.1.0.2"), group("10.0.0.1", "web")], [], []);
    expect(c.services).toEqual([
      { namespace: "old", service: "legacy", stale: 2, missing: 0 },
      { namespace: "apps", service: "web", stale: 1, missing: 0 },
    ]);
    expect(c.stale.find((t) => t.service === "legacy")).not.toHaveProperty("taskid");
  });
});
