// An event batch's publication of shards alone (index-publish.ts, through
// updateStateAndPublishShards) on the simulator: after a full publication, a one-task change
// writes one shard and the index, never the single document; the index's generation goes up
// by one, the SSM manifest's `index` points at it, and the targets read back through the
// index are buildPublication's document byte for byte. The same state again writes nothing;
// an index built from a newer state stays; with no index yet the single document is
// published; a following full publication goes above the index's generation; failed parts
// the state knows nothing of keep their shard from the previous index; a warm process
// builds only the changed service again.
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  buildPublication,
  DEFAULT_TAG_NAMES,
  indexKeyOf,
  mergeDiscovery,
  NAMESPACE_ID_LABEL,
  SERVICE_ID_LABEL,
  serializeDocument,
  sha256Hex,
  shardPrefixOf,
  type DiscoveredService,
  type Discovery,
  type EcsTaskFacts,
  type ReconcilerState,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import {
  ObjectCache,
  publishFromState,
  putManifest,
  readIndex,
  readManifest,
  readPublished,
  readPublishedTargets,
  updateState,
  updateStateAndPublish,
  updateStateAndPublishShards,
  verifyManifest,
  type StateTarget,
} from "../src";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({ scenario: { buckets: [] } });
});
afterAll(async () => env?.sim.close());

let n = 0;
/** A fresh document, index, manifest and state per test. */
function target(cache?: ObjectCache): StateTarget {
  n += 1;
  return {
    s3: env.clients.s3,
    ssm: env.clients.ssm,
    bucket: BUCKET,
    key: `index-${n}/ecs-services.json`,
    manifestParameter: `/index-publish-test/${n}`,
    stateKey: `index-${n}/state.json`,
    ...(cache ? { cache } : {}),
  };
}

const now = () => new Date("2026-12-05T10:00:00Z");
const STARTED = new Date("2026-12-05T09:59:00Z");
const options = { now, tagNames: DEFAULT_TAG_NAMES };
const NS1 = { id: "ns-1", name: "internal.local", type: "DNS_PRIVATE" };
const NS2 = { id: "ns-2", name: "batch.local", type: "DNS_PRIVATE" };

function facts(id: string, ip: string, service: string): EcsTaskFacts {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/${id}`,
    taskId: id,
    clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
    clusterName: "prod",
    serviceName: service,
    taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${service}:3`,
    family: service,
    revision: 3,
    launchType: "FARGATE",
    lastStatus: "RUNNING",
    networkMode: "awsvpc",
    taskIp: ip,
    bindings: [],
    version: 1,
  };
}

/** A Cloud Map service `srv-<name>` with `count` RUNNING Fargate tasks. */
function svc(name: string, ns: typeof NS1, count: number, subnet: number): DiscoveredService {
  const instances = Array.from({ length: count }, (_, i) => ({
    id: `${name}task${i}`,
    attributes: { AWS_INSTANCE_IPV4: `10.${subnet}.0.${i + 1}`, ECS_CLUSTER_NAME: "prod", ECS_SERVICE_NAME: name },
  }));
  return {
    namespace: ns,
    service: {
      id: `srv-${name}`,
      arn: `arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-${name}`,
      name,
      namespaceId: ns.id,
      namespaceName: ns.name,
      tags: { METRICS_PORT: "8080", METRICS_PATH: "/metrics" },
    },
    instances,
    tasks: Object.fromEntries(instances.map((i, k) => [i.id, facts(i.id, `10.${subnet}.0.${k + 1}`, name)])),
  };
}

function discovery(): Discovery {
  const services = [svc("alpha", NS1, 2, 1), svc("bravo", NS1, 3, 2), svc("charlie", NS1, 2, 3), svc("delta", NS2, 2, 4)];
  return { services, failed: [], servicesSeen: services.length, namespacesSeen: 2 };
}

/** The change a full reconcile makes: the discovery merged (a complete state). */
const merge = (s: ReconcilerState) => ({ state: mergeDiscovery(s, discovery(), STARTED, now()), result: undefined });

/** A change that moves one task to another IP (copy-on-write: a new entry). */
const moveTask = (id: string, ip: string) => (s: ReconcilerState) => {
  const t = s.tasks[id]!;
  s.tasks[id] = { ...t, version: t.version + 1, facts: { ...t.facts, taskIp: ip, version: t.version + 1 } };
  return { state: s, result: undefined };
};

const noChange = () => ({ state: undefined, result: undefined });

/** A target published once by a full publication (single document, index and manifest). */
async function published(t: StateTarget = target()) {
  const out = await updateStateAndPublish(t, merge, options);
  expect(out.after.complete).toBe(true);
  expect(out.publish.written).toBe(true);
  const index = (await readIndex(t)).index!;
  expect(index.generation).toBe(out.publish.generation);
  return { t, out, index };
}

const expectedText = (state: ReconcilerState, previous?: TargetDocument) => {
  const built = buildPublication(state, previous, DEFAULT_TAG_NAMES).built;
  expect(built.document, built.withheld).toBeDefined();
  return serializeDocument(built.document!);
};

const etagOf = async (key: string) => (await env.clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag;
const puts = () => env.sim.calls.log.filter((c) => c.key === "s3:PutObject" && c.status === 200).map((c) => c.path ?? "");
const ssmPuts = () => env.sim.calls.log.filter((c) => c.key === "ssm:PutParameter").length;
const pathOf = (key: string) => `/${BUCKET}/${key}`;
/** What a publication put: the single document, shard objects and the index (the state's own objects left out). */
const published3 = (t: StateTarget) => {
  const p = puts();
  return {
    document: p.filter((x) => x === pathOf(t.key)),
    shards: p.filter((x) => x.startsWith(pathOf(shardPrefixOf(t.key)))),
    index: p.filter((x) => x === pathOf(indexKeyOf(t.key))),
  };
};

describe("publishFromState after a full publication", () => {
  it("writes one shard and the index for a one-task change, never the single document, and points the manifest at the index", async () => {
    const { t, out, index: before } = await published();
    const docEtag = await etagOf(t.key);
    const manifestBefore = (await readManifest(t.ssm, t.manifestParameter))!;
    expect(manifestBefore.generation).toBe(out.publish.generation);
    env.sim.calls.reset();
    const next = await updateStateAndPublishShards(t, moveTask("bravotask1", "10.2.9.9"), options);
    expect(next.stateWritten).toBe(true);
    expect(next.publish.written).toBe(true);
    const w = published3(t);
    expect(w.document).toEqual([]);
    expect(w.shards).toHaveLength(1);
    expect(w.shards[0]).toMatch(new RegExp(`\\.shards/srv-bravo/${before.generation + 1}-[0-9a-f]{64}\\.json$`));
    expect(w.index).toHaveLength(1);
    expect(await etagOf(t.key)).toBe(docEtag);
    // The index: one generation up, built from the new state, the other shards kept as they were.
    const index = (await readIndex(t)).index!;
    expect(index.generation).toBe(before.generation + 1);
    expect(next.publish.generation).toBe(index.generation);
    expect(next.publish.previousGeneration).toBe(before.generation);
    expect(index.stateGeneration).toBe(next.after.generation);
    expect(index.shards.filter((e) => e.id !== "srv-bravo")).toEqual(before.shards.filter((e) => e.id !== "srv-bravo"));
    // The manifest: still the single document's facts, its `index` pointing at the new index.
    const manifest = (await readManifest(t.ssm, t.manifestParameter))!;
    expect(manifest.index).toEqual({ key: indexKeyOf(t.key), generation: index.generation, sha256: index.sha256, etag: await etagOf(indexKeyOf(t.key)) });
    expect(manifest.generation).toBe(manifestBefore.generation);
    expect(manifest.sha256).toBe(manifestBefore.sha256);
    // Read as a sidecar following the manifest: buildPublication's document, byte for byte.
    const read = (await readPublishedTargets(t))!;
    expect(read.source).toBe("index");
    expect(read.invalid).toBeUndefined();
    expect(read.generation).toBe(index.generation);
    const text = expectedText(next.after);
    expect(read.text).toBe(text);
    expect(read.sha256).toBe(sha256Hex(text));
    expect(index.sha256).toBe(sha256Hex(text));
    expect(read.text).toContain('"10.2.9.9:8080"');
    expect((await readPublished(t))!.text).not.toContain("10.2.9.9");
  });

  it("writes nothing when the same state is published again", async () => {
    const { t } = await published();
    const next = await updateStateAndPublishShards(t, moveTask("alphatask0", "10.1.9.9"), options);
    const index = (await readIndex(t)).index!;
    env.sim.calls.reset();
    const again = await publishFromState(t, next.after, options);
    expect(again).toMatchObject({ written: false, generation: index.generation, sha256: index.sha256, manifestRepaired: false });
    expect(again.withheld).toBeUndefined();
    // A batch that changes nothing: no state write, and no publication either.
    const idle = await updateStateAndPublishShards(t, noChange, options);
    expect(idle.stateWritten).toBe(false);
    expect(idle.publish.written).toBe(false);
    expect(puts()).toEqual([]);
    expect(ssmPuts()).toBe(0);
    expect((await readIndex(t)).index!.generation).toBe(index.generation);
  });

  it("leaves an index built from a newer state alone", async () => {
    const { t } = await published();
    const next = await updateStateAndPublishShards(t, moveTask("charlietask0", "10.3.9.9"), options);
    const index = (await readIndex(t)).index!;
    expect(index.stateGeneration).toBe(next.after.generation);
    // A slow writer holding the state before that batch, with a change of its own.
    const older = moveTask("deltatask1", "10.4.9.9")({ ...next.before, tasks: { ...next.before.tasks } }).state;
    expect(older.generation).toBeLessThan(index.stateGeneration);
    env.sim.calls.reset();
    const out = await publishFromState(t, older, options);
    expect(out.written).toBe(false);
    expect(out.withheld).toMatch(/newer state/);
    expect(out.generation).toBe(index.generation);
    expect(puts()).toEqual([]);
    expect(ssmPuts()).toBe(0);
    expect((await readIndex(t)).index).toEqual(index);
  });

  it("leaves the publication to a newer state that found its targets published already (an older batch publishing late writes nothing)", async () => {
    const { t, index: before } = await published();
    // Batch A writes its state (a task moves) but is slow to publish.
    const a = await updateState(t, moveTask("bravotask0", "10.2.8.8"), options);
    expect(a.stateWritten).toBe(true);
    // Batch B moves the task back: its targets are the published ones, so it writes no index.
    const b = await updateStateAndPublishShards(
      t,
      (s) => {
        const task = s.tasks.bravotask0!;
        s.tasks.bravotask0 = { ...task, version: task.version + 1, facts: { ...task.facts, taskIp: "10.2.0.1", version: task.version + 1 } };
        return { state: s, result: undefined };
      },
      options,
    );
    expect(b.after.generation).toBeGreaterThan(a.after.generation);
    expect(b.publish.written).toBe(false);
    // A publishes now: the newer state's targets stand.
    env.sim.calls.reset();
    const late = await publishFromState(t, a.after, options);
    expect(late.written).toBe(false);
    expect(late.withheld).toMatch(/newer state/);
    expect(puts()).toEqual([]);
    expect((await readIndex(t)).index!.sha256).toBe(before.sha256);
    expect((await readPublishedTargets(t))!.text).toBe(expectedText(b.after));
  });

  it("points a manifest a slower writer put back at an older index at the newest index again", async () => {
    const { t, out } = await published();
    const next = await updateStateAndPublishShards(t, moveTask("charlietask0", "10.3.7.7"), options);
    const m = (await readManifest(t.ssm, t.manifestParameter))!;
    expect(m.index!.generation).toBe(next.publish.generation);
    // The full reconcile's manifest write landing after the batch's: its own, older index.
    await putManifest(t, { ...m, index: { ...m.index!, generation: out.publish.generation } });
    expect(await verifyManifest(t, m.generation)).toBe(true);
    const repaired = (await readManifest(t.ssm, t.manifestParameter))!;
    expect(repaired.index).toMatchObject({ key: indexKeyOf(t.key), generation: next.publish.generation, sha256: next.publish.sha256 });
    expect(repaired.generation).toBe(m.generation);
    // Up to date: nothing written.
    expect(await verifyManifest(t, m.generation)).toBe(false);
  });

  it("does not move an index left behind the single document (a crash before the index) past it with an older state", async () => {
    const { t } = await published();
    // A slow event batch: its state (with its change) written, its publication not yet.
    const slow = await updateState(t, moveTask("alphatask0", "10.1.6.6"), options);
    // A full reconcile after it: the state and the single document written from the newer
    // state, then the process dies before the index (which stays at the first publication).
    const dying = {
      send: (cmd: { input: { Key?: string } }) => {
        if (cmd instanceof PutObjectCommand && cmd.input.Key === indexKeyOf(t.key)) return Promise.reject(new Error("crashed before the index"));
        return env.clients.s3.send(cmd as never);
      },
    } as unknown as S3Client;
    const full = await updateStateAndPublish({ ...t, s3: dying }, moveTask("bravotask2", "10.2.6.6"), options).catch((e: Error) => e);
    expect((full as Error).message).toMatch(/crashed before the index/);
    const doc = (await readPublished(t))!;
    expect(doc.stateGeneration).toBeGreaterThan(slow.after.generation);
    expect(doc.text).toContain('"10.2.6.6:8080"');
    expect((await readIndex(t)).index!.stateGeneration).toBeLessThan(slow.after.generation);
    // The slow batch publishes now: the document of the newer state must stay what readers read.
    const out = await publishFromState(t, slow.after, options);
    expect(out.written).toBe(false);
    expect(out.withheld).toMatch(/newer state/);
    const read = (await readPublishedTargets(t))!;
    expect(read.text).toContain('"10.2.6.6:8080"');
  });

  it("keeps the shards of failed parts the state knows nothing of (a service, a namespace) from the previous index", async () => {
    const { t, index: before } = await published();
    const previousDocument = (await readPublished(t))!.document;
    // A lost state rebuilt by a discovery in which charlie (a service) and ns-2 (delta's
    // namespace) failed: the state holds neither, only their failures.
    const lost = (s: ReconcilerState) => {
      for (const id of ["srv-charlie", "srv-delta"]) {
        for (const task of Object.keys(s.services[id]!.instances)) delete s.tasks[task];
        delete s.services[id];
      }
      delete s.namespaces["ns-2"];
      s.failed = [
        {
          scope: "service",
          id: "srv-charlie",
          name: "charlie",
          namespaceName: "internal.local",
          operation: "servicediscovery:ListInstances",
          error: "throttled",
        },
        { scope: "namespace", id: "ns-2", name: "batch.local", operation: "servicediscovery:ListServices", error: "throttled" },
      ];
      return moveTask("alphatask1", "10.1.8.8")(s);
    };
    env.sim.calls.reset();
    const next = await updateStateAndPublishShards(t, lost, options);
    expect(next.publish.written).toBe(true);
    expect(next.after.services["srv-charlie"]).toBeUndefined();
    const w = published3(t);
    expect(w.shards).toHaveLength(1);
    expect(w.shards[0]).toContain("/srv-alpha/");
    const index = (await readIndex(t)).index!;
    const kept = (id: string) => before.shards.find((e) => e.id === id);
    expect(index.shards.find((e) => e.id === "srv-charlie")).toEqual(kept("srv-charlie"));
    expect(index.shards.find((e) => e.id === "srv-delta")).toEqual(kept("srv-delta"));
    expect(kept("srv-delta")!.namespaceId).toBe("ns-2");
    // What the whole-document path gives for that state and the published document.
    const read = (await readPublishedTargets(t))!;
    expect(read.source).toBe("index");
    expect(read.text).toBe(expectedText(next.after, previousDocument));
    expect(read.sha256).toBe(index.sha256);
    const ids = new Set(read.document.map((g) => g.labels[SERVICE_ID_LABEL]));
    expect(ids).toEqual(new Set(["srv-alpha", "srv-bravo", "srv-charlie", "srv-delta"]));
    expect(read.document.filter((g) => g.labels[NAMESPACE_ID_LABEL] === "ns-2")).toHaveLength(2);
  });

  it("drops the shard of a service the state no longer has (and no failure covers)", async () => {
    const { t, index: before } = await published();
    env.sim.calls.reset();
    const next = await updateStateAndPublishShards(
      t,
      (s) => {
        delete s.services["srv-charlie"];
        return { state: s, result: undefined };
      },
      options,
    );
    expect(next.publish.written).toBe(true);
    const w = published3(t);
    expect(w.shards).toEqual([]);
    expect(w.index).toHaveLength(1);
    const index = (await readIndex(t)).index!;
    expect(index.shards.map((e) => e.id)).toEqual(["srv-alpha", "srv-bravo", "srv-delta"]);
    expect(index.retired.map((r) => r.key)).toEqual([before.shards.find((e) => e.id === "srv-charlie")!.key]);
    expect((await readPublishedTargets(t))!.text).toBe(expectedText(next.after));
  });
});

describe("publishFromState and the single document", () => {
  it("publishes the single document (and its index) when there is no index yet", async () => {
    const t = target();
    const written = await updateState(t, merge, options);
    expect(await readPublished(t)).toBeUndefined();
    env.sim.calls.reset();
    const out = await publishFromState(t, written.after, options);
    expect(out.written).toBe(true);
    const w = published3(t);
    expect(w.document).toHaveLength(1);
    expect(w.index).toHaveLength(1);
    expect(w.shards).toHaveLength(4);
    const doc = (await readPublished(t))!;
    expect(doc.text).toBe(expectedText(written.after));
    expect(doc.generation).toBe(out.generation);
    expect(doc.stateGeneration).toBe(written.after.generation);
    const index = (await readIndex(t)).index!;
    expect(index.generation).toBe(doc.generation);
    expect(index.sha256).toBe(doc.sha256);
    const manifest = (await readManifest(t.ssm, t.manifestParameter))!;
    expect(manifest.generation).toBe(doc.generation);
    expect(manifest.index?.generation).toBe(index.generation);
    expect((await readPublishedTargets(t))!.source).toBe("document");
  });

  it("a following full publication goes above the index's generation, and is what readers read", async () => {
    const { t, index: first } = await published();
    const batch = await updateStateAndPublishShards(t, moveTask("bravotask0", "10.2.7.7"), options);
    const index = (await readIndex(t)).index!;
    expect(index.generation).toBe(first.generation + 1);
    // The full reconcile finds the same facts: the single document catches up with the index.
    const full = await updateStateAndPublish(t, noChange, options);
    expect(full.stateWritten).toBe(false);
    expect(full.publish.written).toBe(true);
    expect(full.publish.generation).toBeGreaterThan(index.generation);
    const doc = (await readPublished(t))!;
    expect(doc.generation).toBe(full.publish.generation);
    expect(doc.text).toBe(expectedText(batch.after));
    expect(doc.sha256).toBe(index.sha256);
    // The index follows the document's generation; the manifest describes both.
    expect((await readIndex(t)).index!.generation).toBe(full.publish.generation);
    const manifest = (await readManifest(t.ssm, t.manifestParameter))!;
    expect(manifest.generation).toBe(full.publish.generation);
    expect(manifest.index?.generation).toBe(full.publish.generation);
    const read = (await readPublishedTargets(t))!;
    expect(read.source).toBe("document");
    expect(read.text).toBe(doc.text);
    // And the next event batch goes above that.
    const later = await updateStateAndPublishShards(t, moveTask("bravotask0", "10.2.7.8"), options);
    expect(later.publish.generation).toBe(full.publish.generation + 1);
  });
});

describe("publishFromState in a warm process", () => {
  it("builds again only the service whose task changed", async () => {
    const cache = new ObjectCache();
    const { t } = await published(target(cache));
    const first = await updateStateAndPublishShards(t, moveTask("deltatask0", "10.4.7.7"), options);
    // The full publication before it built every service with the process' builder: only the changed one now.
    expect(first.publish.rebuilt).toBe(1);
    const second = await updateStateAndPublishShards(t, moveTask("alphatask0", "10.1.7.7"), options);
    expect(second.publish.written).toBe(true);
    expect(second.publish.rebuilt).toBe(1);
    expect(second.publish.diff).toEqual({ after: 9, added: 1, removed: 1, changed: 0 });
    const read = (await readPublishedTargets({ ...t, cache: undefined }))!;
    expect(read.source).toBe("index");
    expect(read.text).toBe(expectedText(second.after));
  });
});
