// The published document's shards built from the state one service at a time
// (service-shards.ts), golden-tested against the whole-document path: for a realistic state
// (several namespaces, tagged services, RUNNING/STOPPED/stopping/gone tasks, EC2 tasks on
// container instances, a bad tag, a service id that is not srv-… and so goes to the shard
// "_"), ShardBuilder gives exactly splitDocument(buildPublication's document) and the same
// counts as buildDocument, and combinedDocument hashes to the single document's sha256. The
// memo: an unchanged state rebuilds nothing; a replaced task, a changed container instance
// or namespace rebuilds only the services that depend on it; other tag names rebuild all.
import { describe, expect, it } from "vitest";
import {
  buildPublication,
  combinedDocument,
  DEFAULT_TAG_NAMES,
  deepFreeze,
  emptyState,
  mergeDiscovery,
  SERVICE_ID_LABEL,
  serializeDocument,
  sha256Hex,
  ShardBuilder,
  splitDocument,
  UNSHARDED_ID,
  workingCopy,
  type DiscoveredService,
  type Discovery,
  type ReconcilerState,
  type Shard,
  type TagNames,
} from "../src";
import { instance, service, task } from "./fixtures";

const NOW = new Date("2026-12-05T12:00:00Z");
const STARTED = new Date("2026-12-05T11:59:00Z");
const NS_INTERNAL = { id: "ns-1", name: "internal.local", type: "DNS_PRIVATE" };
const NS_PROD = { id: "ns-2", name: "prod.local", type: "DNS_PRIVATE" };
const NS_HTTP = { id: "ns-3", name: "registry", type: "HTTP" };
const CI = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ci${n}`;

/** A bridge-mode EC2 task on container instance `ci`, its container port 8080 bound to `hostPort`. */
const ec2Task = (id: string, ci: number, hostPort: number) =>
  task(id, {
    launchType: "EC2",
    networkMode: "bridge",
    taskIp: undefined,
    hostIp: `10.1.0.${ci}`,
    containerInstanceArn: CI(ci),
    ec2InstanceId: `i-0000${ci}`,
    bindings: [{ containerPort: 8080, hostPort, protocol: "tcp" }],
  });

/** A service of the fixtures with an id that is not srv-… (a shard of its own is not possible: "_"). */
function oddService(id: string, ns: typeof NS_HTTP, tags: Record<string, string>, ip: string): DiscoveredService {
  const d = service(id, tags, [instance(`${id}-i1`, ip, false)], {}, ns);
  return { ...d, service: { ...d.service, id, arn: `arn:aws:servicediscovery:eu-west-1:123456789012:service/${id}` } };
}

function discovery(): Discovery {
  const services: DiscoveredService[] = [
    service(
      "api",
      { METRICS_PORT: "8080", METRICS_PATH: "/metrics", PROM_PORT: "7070", team: "core" },
      [instance("a1", "10.0.0.11"), instance("a22", "10.0.0.12"), instance("a333", "10.0.0.13")],
      { a1: task("a1"), a22: task("a22"), a333: task("a333", { lastStatus: "STOPPED", desiredStatus: "STOPPED" }) },
      NS_INTERNAL,
    ),
    service(
      "web",
      { METRICS_PORT: "9100,9200", METRICS_PATH: "/m1,/m2", METRICS_SCHEME: "https" },
      [instance("w1", "10.0.1.1"), instance("w22", "10.0.1.2"), instance("w333", "10.0.1.3")],
      // w22 is being stopped (desired STOPPED): not scraped; w333 has no task facts at all.
      { w1: task("w1"), w22: task("w22", { desiredStatus: "STOPPED" }) },
      NS_INTERNAL,
    ),
    service(
      "ec2a",
      { METRICS_PORT: "8080" },
      [instance("e1", "10.1.0.1"), instance("e22", "10.1.0.1")],
      { e1: ec2Task("e1", 1, 32768), e22: ec2Task("e22", 1, 32769) },
      NS_PROD,
    ),
    service(
      "ec2b",
      { METRICS_PORT: "8080", ECS_METRICS_PORT: "9779" },
      [instance("f1", "10.1.0.1")],
      {
        f1: {
          ...ec2Task("f1", 1, 32770),
          bindings: [
            { containerPort: 8080, hostPort: 32770 },
            { containerPort: 9779, hostPort: 32790 },
          ],
        },
      },
      NS_PROD,
    ),
    service("ec2c", { METRICS_PORT: "8080" }, [instance("g1", "10.1.0.2")], { g1: ec2Task("g1", 2, 32771) }, NS_PROD),
    // One good port and one bad: the good one is published, the bad one skipped.
    service("bad", { METRICS_PORT: "8080,http" }, [instance("b1", "10.0.2.1")], { b1: task("b1") }, NS_PROD),
    // Not opted in: no targets, not counted.
    service("quiet", { team: "core" }, [instance("q1", "10.0.3.1")], { q1: task("q1") }, NS_PROD),
    oddService("legacy_registry", NS_HTTP, { METRICS_PORT: "9100" }, "192.168.0.10"),
    oddService("also.odd", NS_HTTP, { METRICS_PORT: "9200" }, "192.168.0.11"),
  ];
  return { services, failed: [], servicesSeen: services.length, namespacesSeen: 3 };
}

/** The state a full discovery merged, frozen as the store hands it out. */
function realisticState(): ReconcilerState {
  const start = emptyState(NOW);
  start.containerInstances[CI(1)] = { ip: "10.1.0.1", ec2InstanceId: "i-00001", instanceType: "m5.large" };
  start.containerInstances[CI(2)] = { ip: "10.1.0.2", ec2InstanceId: "i-00002", instanceType: "c6g.xlarge" };
  const s = mergeDiscovery(start, discovery(), STARTED, NOW);
  // A task a later discovery no longer listed: a tombstone, never published.
  s.services["srv-api"] = {
    ...s.services["srv-api"]!,
    instances: { ...s.services["srv-api"]!.instances, gone4: { AWS_INSTANCE_IPV4: "10.0.0.14", ECS_CLUSTER_NAME: "prod" } },
  };
  s.tasks.gone4 = { version: 3, observedAt: NOW.toISOString(), facts: task("gone4"), goneAt: NOW.toISOString() };
  return deepFreeze({ ...s, generation: 5 });
}

const view = (shards: readonly Shard[]) => shards.map((s) => ({ id: s.id, text: s.text, sha256: s.sha256, document: s.document }));

/** What the whole-document path publishes for `state`, split into shards. */
function expected(state: ReconcilerState, tagNames: TagNames = DEFAULT_TAG_NAMES) {
  const { built, result } = buildPublication(state, undefined, tagNames);
  expect(built.document, built.withheld).toBeDefined();
  return { document: built.document!, result, shards: splitDocument(built.document!) };
}

const servicesWithNamespace = (s: ReconcilerState) => Object.values(s.services).filter((v) => s.namespaces[v.namespaceId]).length;

describe("ShardBuilder against the whole document", () => {
  const state = realisticState();

  it("builds exactly the shards splitDocument makes of buildPublication's document", () => {
    const want = expected(state);
    const got = new ShardBuilder().build(state, DEFAULT_TAG_NAMES);
    expect(view(got.shards)).toEqual(view(want.shards));
    // What the state holds shows in the shards (the fixture is not trivially small).
    expect(got.shards.map((s) => s.id)).toEqual([UNSHARDED_ID, "srv-api", "srv-bad", "srv-ec2a", "srv-ec2b", "srv-ec2c", "srv-web"]);
    // Sorted by service name within the shard "_": also.odd, then legacy_registry.
    expect(got.shards[0]!.document.map((g) => g.targets[0])).toEqual(["192.168.0.11:9200", "192.168.0.10:9100"]);
    expect(got.shards.find((s) => s.id === "srv-ec2a")!.text).toContain('"__meta_ecs_ec2_instance_type":"m5.large"');
    expect(got.shards.find((s) => s.id === "srv-ec2a")!.document.flatMap((g) => g.targets)).toEqual(["10.1.0.1:32768", "10.1.0.1:32769"]);
    expect(got.shards.find((s) => s.id === "srv-api")!.document).toHaveLength(2);
    expect(got.shards.find((s) => s.id === "srv-web")!.document).toHaveLength(2);
    for (const s of got.shards) expect(s.sha256).toBe(sha256Hex(s.text));
  });

  it("counts services, skipped endpoints and instances not running as buildDocument does", () => {
    const want = expected(state).result;
    const got = new ShardBuilder().build(state, DEFAULT_TAG_NAMES);
    expect(got.services).toBe(want.services);
    expect(got.notRunning).toBe(want.notRunning);
    expect(got.skipped).toEqual(want.skipped);
    // api: one STOPPED, one tombstone; web: one stopping, one without facts.
    expect(got.notRunning).toBe(4);
    expect(got.skipped.map((k) => `${k.serviceId} ${k.tag}`)).toEqual(["srv-bad METRICS_PORT"]);
    // Every opted-in service but none of "quiet".
    expect(got.services).toBe(8);
    // Per shard: the "_" shard's namespace is "", a service's shard its namespace's.
    const byId = new Map(got.shards.map((s) => [s.id, s]));
    expect(byId.get(UNSHARDED_ID)).toMatchObject({ services: 2, namespaceId: "" });
    expect(byId.get("srv-web")).toMatchObject({ services: 1, notRunning: 2, namespaceId: "ns-1" });
    expect(byId.get("srv-bad")!.skipped).toHaveLength(1);
  });

  it("counts skipped endpoints in the order buildDocument lists them, also for services of the shard '_'", () => {
    // A bad tag on a service whose id is not srv-…: buildDocument lists services by id
    // ("srv-bad" < "zz_legacy"); the shard "_" sorts first among shards.
    const d = discovery();
    d.services.push(oddService("zz_legacy", NS_HTTP, { METRICS_PORT: "9100", METRICS_SCHEME: "gopher" }, "192.168.0.12"));
    const s = deepFreeze(mergeDiscovery(emptyState(NOW), d, STARTED, NOW));
    const want = expected(s).result;
    const got = new ShardBuilder().build(s, DEFAULT_TAG_NAMES);
    expect(got.skipped).toHaveLength(want.skipped.length);
    expect(new Set(got.skipped.map((k) => k.serviceId))).toEqual(new Set(want.skipped.map((k) => k.serviceId)));
    expect(got.skipped).toEqual(want.skipped);
  });

  it("hashes the shards' texts into the single document's sha256", () => {
    const want = expected(state);
    const { shards } = new ShardBuilder().build(state, DEFAULT_TAG_NAMES);
    const combined = combinedDocument(shards);
    expect(combined.sha256).toBe(sha256Hex(serializeDocument(want.document)));
    expect(combined.groups).toBe(want.document.length);
    expect(combined.targets).toBe(want.document.reduce((n, g) => n + g.targets.length, 0));
    // In any order of the shards, and with one shard fewer it is another document.
    expect(combinedDocument([...shards].reverse()).sha256).toBe(combined.sha256);
    expect(shards[0]!.id).toBe(UNSHARDED_ID);
    const withoutUnsharded = want.document.filter((g) => g.labels[SERVICE_ID_LABEL]?.startsWith("srv-"));
    expect(withoutUnsharded.length).toBeLessThan(want.document.length);
    expect(combinedDocument(shards.slice(1)).sha256).toBe(sha256Hex(serializeDocument(withoutUnsharded)));
    expect(combinedDocument([]).sha256).toBe(sha256Hex("[]\n"));
  });
});

describe("ShardBuilder's memo", () => {
  it("rebuilds nothing for the same state, and everything in a fresh builder", () => {
    const state = realisticState();
    const builder = new ShardBuilder();
    const first = builder.build(state, DEFAULT_TAG_NAMES);
    expect(first.rebuilt).toBe(servicesWithNamespace(state));
    const second = builder.build(state, DEFAULT_TAG_NAMES);
    expect(second.rebuilt).toBe(0);
    expect(view(second.shards)).toEqual(view(first.shards));
    // A working copy shares every entry: nothing to build either.
    expect(builder.build(workingCopy(state), DEFAULT_TAG_NAMES).rebuilt).toBe(0);
    // Tag names equal in value are the same tag names.
    expect(builder.build(state, { ...DEFAULT_TAG_NAMES }).rebuilt).toBe(0);
  });

  it("rebuilds exactly the one service whose task was replaced, and its shard's text follows", () => {
    const state = realisticState();
    const builder = new ShardBuilder();
    const before = builder.build(state, DEFAULT_TAG_NAMES);
    const copy = workingCopy(state);
    const t = state.tasks.a1!;
    copy.tasks.a1 = { ...t, version: t.version + 1, facts: { ...t.facts, taskIp: "10.0.9.9" } };
    const after = builder.build(deepFreeze(copy), DEFAULT_TAG_NAMES);
    expect(after.rebuilt).toBe(1);
    expect(view(after.shards)).toEqual(view(expected(copy).shards));
    const text = (r: typeof before, id: string) => r.shards.find((s) => s.id === id)!.text;
    expect(text(after, "srv-api")).not.toBe(text(before, "srv-api"));
    expect(text(after, "srv-api")).toContain('"10.0.9.9:8080"');
    expect(text(before, "srv-api")).not.toContain("10.0.9.9");
    for (const s of after.shards.filter((s) => s.id !== "srv-api")) expect(s.text).toBe(text(before, s.id));
    // The snapshot is what each service had at the last build (the changed shard's new targets).
    expect(builder.snapshot().get("srv-api")).toEqual(after.shards.find((s) => s.id === "srv-api")!.document);
  });

  it("a task stopping removes its target, rebuilding only its service", () => {
    const state = realisticState();
    const builder = new ShardBuilder();
    builder.build(state, DEFAULT_TAG_NAMES);
    const copy = workingCopy(state);
    copy.tasks.e22 = { ...state.tasks.e22!, facts: { ...state.tasks.e22!.facts, lastStatus: "DEACTIVATING", desiredStatus: "STOPPED" } };
    const after = builder.build(copy, DEFAULT_TAG_NAMES);
    expect(after.rebuilt).toBe(1);
    expect(after.shards.find((s) => s.id === "srv-ec2a")!.document.flatMap((g) => g.targets)).toEqual(["10.1.0.1:32768"]);
    expect(after.notRunning).toBe(expected(copy).result.notRunning);
    expect(view(after.shards)).toEqual(view(expected(copy).shards));
  });

  it("a changed container instance rebuilds only the services with a task on it", () => {
    const state = realisticState();
    const builder = new ShardBuilder();
    const before = builder.build(state, DEFAULT_TAG_NAMES);
    const copy = workingCopy(state);
    copy.containerInstances[CI(1)] = { ...state.containerInstances[CI(1)]!, instanceType: "m6i.large" };
    const after = builder.build(copy, DEFAULT_TAG_NAMES);
    // ec2a (two tasks) and ec2b sit on ci1; ec2c on ci2.
    expect(after.rebuilt).toBe(2);
    expect(view(after.shards)).toEqual(view(expected(copy).shards));
    const text = (r: typeof before, id: string) => r.shards.find((s) => s.id === id)!.text;
    for (const id of ["srv-ec2a", "srv-ec2b"]) {
      expect(text(after, id)).toContain('"__meta_ecs_ec2_instance_type":"m6i.large"');
      expect(text(after, id)).not.toContain("m5.large");
    }
    expect(text(after, "srv-ec2c")).toBe(text(before, "srv-ec2c"));
    // An entry added for a container instance no task sits on: nothing to build.
    const other = workingCopy(copy);
    other.containerInstances[CI(9)] = { ip: "10.1.0.9", instanceType: "t3.micro" };
    expect(builder.build(other, DEFAULT_TAG_NAMES).rebuilt).toBe(0);
  });

  it("a changed namespace rebuilds its services; an added and a removed service cost one build and none", () => {
    const state = realisticState();
    const builder = new ShardBuilder();
    builder.build(state, DEFAULT_TAG_NAMES);
    const renamed = workingCopy(state);
    renamed.namespaces["ns-1"] = { ...state.namespaces["ns-1"]!, name: "renamed.local" };
    const r = builder.build(renamed, DEFAULT_TAG_NAMES);
    expect(r.rebuilt).toBe(Object.values(state.services).filter((s) => s.namespaceId === "ns-1").length);
    expect(view(r.shards)).toEqual(view(expected(renamed).shards));

    const removed = workingCopy(renamed);
    delete removed.services["srv-web"];
    const r2 = builder.build(removed, DEFAULT_TAG_NAMES);
    expect(r2.rebuilt).toBe(0);
    expect(r2.shards.map((s) => s.id)).not.toContain("srv-web");
    expect(view(r2.shards)).toEqual(view(expected(removed).shards));

    const added = workingCopy(removed);
    added.services["srv-web"] = state.services["srv-web"]!;
    const r3 = builder.build(added, DEFAULT_TAG_NAMES);
    expect(r3.rebuilt).toBe(1);
    expect(view(r3.shards)).toEqual(view(expected(added).shards));
  });

  it("other tag names rebuild every service, and the shards follow them", () => {
    const state = realisticState();
    const builder = new ShardBuilder();
    builder.build(state, DEFAULT_TAG_NAMES);
    const tagNames: TagNames = { ...DEFAULT_TAG_NAMES, port: "PROM_PORT" };
    const r = builder.build(state, tagNames);
    expect(r.rebuilt).toBe(servicesWithNamespace(state));
    expect(view(r.shards)).toEqual(view(expected(state, tagNames).shards));
    // Only api has PROM_PORT: its two running tasks on port 7070.
    expect(r.shards.map((s) => s.id)).toEqual(["srv-api"]);
    expect(r.shards[0]!.document.flatMap((g) => g.targets).every((t) => t.endsWith(":7070"))).toBe(true);
    // And back: everything again.
    expect(builder.build(state, DEFAULT_TAG_NAMES).rebuilt).toBe(servicesWithNamespace(state));
  });
});
