// A batch applied to a working copy of a frozen state (what the store hands a change, and
// what a warm function's cached state is): it never changes the state read nor the lookups
// it was given (they are applied again after a lost race), also when a refreshed service
// still has the state's deregistration marks and an event or the pruning changes them.
import { describe, expect, it } from "vitest";
import { applyBatchToState, deepFreeze, emptyLookups, emptyState, TOMBSTONE_MS, workingCopy, type ChangeEvent, type ReconcilerState } from "../src";

const NOW = new Date("2026-12-05T12:00:00Z");
const OLD = new Date(NOW.getTime() - 2 * TOMBSTONE_MS).toISOString();
const RECENT = new Date(NOW.getTime() - 60_000).toISOString();
const ns = { id: "ns-1", name: "svc.local", type: "DNS_PRIVATE" };

function state(): ReconcilerState {
  const s = emptyState(NOW);
  s.namespaces["ns-1"] = ns as never;
  s.services["srv-1"] = {
    id: "srv-1",
    arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1",
    name: "api",
    namespaceId: "ns-1",
    tags: { METRICS_PORT: "8080" },
    instances: { "i-1": { AWS_INSTANCE_IPV4: "10.0.0.1" } },
    deregistered: { "i-2": RECENT, "i-9": OLD },
  };
  return s;
}

function lookupsRefreshing(s: ReconcilerState) {
  const l = emptyLookups(NOW);
  const svc = s.services["srv-1"]!;
  l.services["srv-1"] = { service: { ...svc, tags: { METRICS_PORT: "9090" }, instances: { ...svc.instances } }, namespace: ns as never };
  return l;
}

describe("copy on write", () => {
  it("a refresh, a register of a marked instance and the pruning leave the frozen state and the lookups as they were", () => {
    const read = deepFreeze(state());
    const text = JSON.stringify(read);
    const lookups = lookupsRefreshing(state());
    const lookupsText = JSON.stringify(lookups);
    const events: ChangeEvent[] = [
      { kind: "service", eventId: "e1", time: NOW.toISOString(), serviceId: "srv-1" } as ChangeEvent,
      { kind: "register", eventId: "e2", time: NOW.toISOString(), serviceId: "srv-1", instanceId: "i-2", attributes: { AWS_INSTANCE_IPV4: "10.0.0.2" } },
      { kind: "deregister", eventId: "e3", time: NOW.toISOString(), serviceId: "srv-1", instanceId: "i-1" },
    ];
    const copy = workingCopy(read);
    applyBatchToState(copy, lookups, events, NOW);
    expect(JSON.stringify(read)).toBe(text);
    expect(JSON.stringify(lookups)).toBe(lookupsText);
    const svc = copy.services["srv-1"]!;
    expect(svc.tags).toEqual({ METRICS_PORT: "9090" });
    expect(Object.keys(svc.instances)).toEqual(["i-2"]);
    // i-2 registered again: no longer marked; i-9's mark is older than the window: pruned.
    expect(svc.deregistered).toEqual({ "i-1": NOW.toISOString() });
    // Applied again (a lost race): the same result.
    const again = workingCopy(read);
    applyBatchToState(again, lookups, events, NOW);
    expect(again.services["srv-1"]).toEqual(svc);
  });

  it("the pruning alone copies the one service it changes and shares the others", () => {
    const s = state();
    s.services["srv-2"] = { ...s.services["srv-1"]!, id: "srv-2", deregistered: { "i-5": RECENT } };
    const read = deepFreeze(s);
    const copy = workingCopy(read);
    applyBatchToState(copy, emptyLookups(NOW), [], NOW);
    expect(copy.services["srv-1"]!.deregistered).toEqual({ "i-2": RECENT });
    expect(read.services["srv-1"]!.deregistered).toEqual({ "i-2": RECENT, "i-9": OLD });
    expect(copy.services["srv-2"]).toBe(read.services["srv-2"]);
  });
});
