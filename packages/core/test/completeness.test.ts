// A state never completed by a full discovery publishes nothing: when the merge completes
// it, how old states are migrated, and the publish-or-withhold decision.
import { describe, expect, it } from "vitest";
import {
  applyEvent,
  buildDocument,
  completedByDiscovery,
  decidePublication,
  emptyState,
  isComplete,
  mergeDiscovery,
  toDiscovery,
  type Discovery,
  type FailedScope,
  type ReconcilerState,
} from "../src";
import { instance, service, task } from "./fixtures";

const T0 = new Date("2026-12-05T10:00:00Z");
const failedService: FailedScope = {
  scope: "service",
  id: "srv-api",
  name: "api",
  namespaceName: "internal.local",
  operation: "ecs:DescribeTasks",
  error: "ThrottlingException: Rate exceeded",
};
const web = service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1")], { aaa: task("aaa", { taskIp: "10.0.0.1", version: 3 }) });
const ok: Discovery = { services: [web], failed: [], servicesSeen: 2, namespacesSeen: 1 };
const partial: Discovery = { ...ok, failed: [failedService] };

describe("isComplete", () => {
  it("a fresh state is not complete", () => {
    expect(isComplete(emptyState(T0))).toBe(false);
  });

  it("migrates states written before the field: complete when the last full reconcile ran with nothing failed", () => {
    const old = (over: Partial<ReconcilerState>) => {
      const s: Partial<ReconcilerState> = { ...emptyState(T0), ...over };
      delete s.complete;
      return s as ReconcilerState;
    };
    expect(isComplete(old({ lastFullReconcileAt: T0.toISOString(), failed: [] }))).toBe(true);
    expect(isComplete(old({ lastFullReconcileAt: T0.toISOString(), failed: [failedService] }))).toBe(false);
    expect(isComplete(old({ failed: [] }))).toBe(false);
  });

  it("the recorded field wins over the migration rule", () => {
    expect(isComplete({ complete: true, failed: [failedService] })).toBe(true);
    expect(isComplete({ complete: false, failed: [], lastFullReconcileAt: T0.toISOString() })).toBe(false);
  });
});

describe("completedByDiscovery and the merge", () => {
  it("a discovery that fully succeeded completes any state", () => {
    expect(completedByDiscovery({ wasComplete: false, failed: [], publishedBefore: false })).toBe(true);
    expect(mergeDiscovery(emptyState(T0), ok, T0, T0).complete).toBe(true);
  });

  it("failed parts complete it only when covered: by a complete state, or by an earlier document", () => {
    expect(completedByDiscovery({ wasComplete: false, failed: [failedService], publishedBefore: false })).toBe(false);
    expect(completedByDiscovery({ wasComplete: true, failed: [failedService], publishedBefore: false })).toBe(true);
    expect(completedByDiscovery({ wasComplete: false, failed: [failedService], publishedBefore: true })).toBe(true);
    const fresh = mergeDiscovery(emptyState(T0), partial, T0, T0);
    expect(fresh.complete).toBe(false);
    expect(mergeDiscovery(emptyState(T0), partial, T0, T0, { publishedBefore: true }).complete).toBe(true);
    // Once complete, a later partial discovery keeps it complete (the state keeps the failed parts' entries).
    expect(mergeDiscovery(mergeDiscovery(emptyState(T0), ok, T0, T0), partial, T0, T0).complete).toBe(true);
    // Events never complete a state.
    applyEvent(fresh, { kind: "task", eventId: "e", time: T0.toISOString(), facts: { ...task("bbb", { taskIp: "10.0.0.2" }), version: 2 } });
    expect(isComplete(fresh)).toBe(false);
  });
});

describe("decidePublication", () => {
  const groups = (s: ReconcilerState) => buildDocument(toDiscovery(s), undefined).document.length;

  it("publishes a complete state, [] included when nothing failed", () => {
    expect(decidePublication({ complete: true, groups: 3, failed: [] })).toEqual({ publish: true });
    expect(decidePublication({ complete: true, groups: 0, failed: [] })).toEqual({ publish: true });
    expect(decidePublication({ complete: true, groups: 2, failed: [failedService] })).toEqual({ publish: true });
  });

  it("never publishes [] after a failure, complete or not", () => {
    for (const complete of [true, false]) {
      const d = decidePublication({ complete, groups: 0, failed: [failedService] });
      expect(d).toEqual({ publish: false, reason: "discovery failed for 1 part(s) and found no targets: not publishing an empty document" });
    }
  });

  it("withholds a state never completed, with a one-line reason naming what failed", () => {
    const s = mergeDiscovery(emptyState(T0), partial, T0, T0);
    const d = decidePublication({ complete: isComplete(s), groups: groups(s), failed: s.failed });
    expect(groups(s)).toBe(1);
    expect(d.publish).toBe(false);
    if (d.publish) return;
    expect(d.reason).toBe(
      "the state has never been completed by a full discovery (its last discovery failed for 1 part(s), e.g. service internal.local/api (ecs:DescribeTasks), and no earlier document covers them): not publishing a partial document",
    );
    expect(d.reason).not.toContain("\n");
  });

  it("withholds events applied to a fresh or lost state, even with no failure", () => {
    const d = decidePublication({ complete: isComplete(emptyState(T0)), groups: 4, failed: [] });
    expect(d).toEqual({
      publish: false,
      reason: expect.stringMatching(/^the state has never been completed by a full discovery \(no full reconcile has run since it was created or lost\)/),
    });
  });
});
