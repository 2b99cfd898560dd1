// The published document's shards built from the state one service at a time (issue "Cost
// per event"): a service whose facts did not change since the last build keeps the shard
// it had, without building its labels, sorting, serializing or hashing again. Which facts a
// service's targets depend on: its state entry, its namespace, the task of each instance
// and the container instance behind it, and the tag names. The copy-on-write state
// (state.ts: workingCopy, writableService) replaces every entry it changes, so "unchanged"
// is "the same objects", checked in a few microseconds per service. Also the combined
// document's digest from the shards' texts, without building its 10-MB text.
// Pure but for its memo (a ShardBuilder per warm process; a fresh one builds everything).
// The result is exactly splitDocument(buildPublication's document) for a state whose
// failed parts it knows (golden-tested in test/service-shards.test.ts).
import { createHash } from "node:crypto";
import { buildServiceTargets, normalizeDocument, serializeDocument, sha256Hex } from "./document";
import { compareText } from "./order";
import { validateDocument } from "./validate";
import { isShardId, orderedRuns, UNSHARDED_ID, type Shard } from "./shards";
import { withContainerInstance, type ReconcilerState, type StateService, type StateTask } from "./state";
import type { TagNames } from "./tags";
import type { CloudMapNamespace, ContainerInstanceFacts, EcsTaskFacts, SkippedEndpoint, TargetDocument } from "./types";

/** A shard built from the state, with what its services left out. */
export interface BuiltShard extends Shard {
  /** `text` as UTF-8. */
  bytes: Buffer;
  /** Services of the shard that count (opted in with an endpoint). */
  services: number;
  skipped: readonly SkippedEndpoint[];
  notRunning: number;
  /** The namespace of the shard's service ("" for the shard "_"): which failed namespace covers it. */
  namespaceId: string;
}

export interface StateShards {
  /** Sorted by id; shards without groups are left out. */
  shards: BuiltShard[];
  services: number;
  skipped: SkippedEndpoint[];
  notRunning: number;
  /** Services built again (the rest came from the memo). */
  rebuilt: number;
}

interface ServiceMemo {
  service: StateService;
  namespace: CloudMapNamespace;
  tagNames: TagNames;
  tasks: (StateTask | undefined)[];
  instances: (ContainerInstanceFacts | undefined)[];
  document: TargetDocument;
  skipped: SkippedEndpoint[];
  notRunning: number;
  counted: boolean;
  text?: string;
  sha256?: string;
  /** The text as UTF-8, kept so the combined digest hashes bytes without encoding 10 MB again per batch. */
  bytes?: Buffer;
}

function sameTagNames(a: TagNames, b: TagNames): boolean {
  return a === b || (Object.keys(a) as (keyof TagNames)[]).every((k) => a[k] === b[k]);
}

/** Builds the shards of a state, keeping per service what an unchanged service gives. */
export class ShardBuilder {
  private memo = new Map<string, ServiceMemo>();

  /** The document each service had at the last build, by service id (a changed shard's previous targets). */
  snapshot(): Map<string, TargetDocument> {
    return new Map([...this.memo].map(([id, m]) => [id, m.document]));
  }

  build(state: ReconcilerState, tagNames: TagNames): StateShards {
    const next = new Map<string, ServiceMemo>();
    const byShard = new Map<string, ServiceMemo[]>();
    let rebuilt = 0;
    for (const s of Object.values(state.services)) {
      const namespace = state.namespaces[s.namespaceId];
      if (!namespace) continue;
      let m = this.memo.get(s.id);
      if (!m || !this.fresh(m, s, namespace, state, tagNames)) {
        m = this.buildService(s, namespace, state, tagNames);
        rebuilt += 1;
      }
      next.set(s.id, m);
      const id = isShardId(s.id) ? s.id : UNSHARDED_ID;
      const list = byShard.get(id);
      if (list) list.push(m);
      else byShard.set(id, [m]);
    }
    this.memo = next;
    const shards: BuiltShard[] = [];
    const skipped: SkippedEndpoint[] = [];
    let services = 0;
    let notRunning = 0;
    // In service id order, as buildDocument lists them.
    for (const id of [...next.keys()].sort(compareText)) {
      const m = next.get(id)!;
      for (const k of m.skipped) skipped.push(k);
      notRunning += m.notRunning;
      if (m.counted) services += 1;
    }
    for (const id of [...byShard.keys()].sort(compareText)) {
      const shard = shardOf(id, byShard.get(id)!);
      if (shard.document.length > 0) shards.push(shard);
    }
    return { shards, services, skipped, notRunning, rebuilt };
  }

  private fresh(m: ServiceMemo, s: StateService, namespace: CloudMapNamespace, state: ReconcilerState, tagNames: TagNames): boolean {
    if (m.service !== s || m.namespace !== namespace || !sameTagNames(m.tagNames, tagNames)) return false;
    let i = 0;
    for (const id in s.instances) {
      const task = state.tasks[id];
      if (m.tasks[i] !== task) return false;
      const arn = task?.facts.containerInstanceArn;
      if (m.instances[i] !== (arn ? state.containerInstances[arn] : undefined)) return false;
      i += 1;
    }
    return true;
  }

  private buildService(s: StateService, namespace: CloudMapNamespace, state: ReconcilerState, tagNames: TagNames): ServiceMemo {
    const tasks: (StateTask | undefined)[] = [];
    const instancesFacts: (ContainerInstanceFacts | undefined)[] = [];
    const instances: { id: string; attributes: Record<string, string> }[] = [];
    const facts: Record<string, EcsTaskFacts | undefined> = {};
    for (const id in s.instances) {
      const t = state.tasks[id];
      const arn = t?.facts.containerInstanceArn;
      tasks.push(t);
      instancesFacts.push(arn ? state.containerInstances[arn] : undefined);
      instances.push({ id, attributes: s.instances[id]! });
      // A tombstone is gone (as toDiscovery).
      facts[id] = t && t.goneAt === undefined ? withContainerInstance(t.facts, state.containerInstances) : undefined;
    }
    const built = buildServiceTargets(
      {
        namespace,
        service: { id: s.id, arn: s.arn, name: s.name, namespaceId: s.namespaceId, namespaceName: namespace.name, tags: s.tags },
        instances,
        tasks: facts,
      },
      tagNames,
    );
    return {
      service: s,
      namespace,
      tagNames,
      tasks,
      instances: instancesFacts,
      // Checked once, as the publish self-check would: a shard kept from the memo is valid.
      document: validateDocument(normalizeDocument(built.groups)),
      skipped: built.skipped,
      notRunning: built.notRunning,
      counted: built.counted,
    };
  }
}

function shardOf(id: string, members: ServiceMemo[]): BuiltShard {
  const counts = {
    services: members.filter((m) => m.counted).length,
    skipped: members.flatMap((m) => m.skipped),
    notRunning: members.reduce((n, m) => n + m.notRunning, 0),
    namespaceId: id === UNSHARDED_ID ? "" : members[0]!.namespace.id,
  };
  if (members.length === 1) {
    const m = members[0]!;
    m.text ??= serializeDocument(m.document);
    m.bytes ??= Buffer.from(m.text, "utf8");
    m.sha256 ??= sha256Hex(m.bytes);
    return { id, document: m.document, text: m.text, sha256: m.sha256, bytes: m.bytes, ...counts };
  }
  const document = normalizeDocument(members.flatMap((m) => m.document));
  const text = serializeDocument(document);
  const bytes = Buffer.from(text, "utf8");
  return { id, document, text, sha256: sha256Hex(bytes), bytes, ...counts };
}

export interface CombinedDocument {
  /** sha256 of serializeDocument(the union of the shards): the single document's bytes. */
  sha256: string;
  targets: number;
  groups: number;
  /** The document (its groups in the single document's order) and its text, made on demand. */
  join(): { document: TargetDocument; text: string };
}

const OPEN = "[\n";
const CLOSE = "\n]\n";

/**
 * The digest of the document the shards join into, hashed from the shards' own texts laid
 * end to end (as core's joinShardBytes lays the bytes: each shard is a sorted run of the
 * document's lines). When two shards' runs overlap in the document's order (never for
 * shards by Cloud Map service), the document is joined and serialized instead.
 */
export function combinedDocument(shards: readonly Shard[]): CombinedDocument {
  const runs = shards.filter((s) => s.document.length > 0);
  const targets = runs.reduce((n, s) => n + s.document.reduce((k, g) => k + g.targets.length, 0), 0);
  const groups = runs.reduce((n, s) => n + s.document.length, 0);
  if (runs.length === 0) return { sha256: sha256Hex("[]\n"), targets, groups, join: () => ({ document: normalizeDocument([]), text: "[]\n" }) };
  // In the single document's order, as core's joinShardBytes lays the bytes.
  const ordered = orderedRuns(runs);
  if (!ordered?.every((r) => r.text.startsWith(OPEN) && r.text.endsWith(CLOSE))) {
    const document = normalizeDocument(runs.flatMap((r) => r.document));
    const text = serializeDocument(document);
    return { sha256: sha256Hex(text), targets, groups, join: () => ({ document, text }) };
  }
  const inner = (r: Shard) => r.text.slice(OPEN.length, r.text.length - CLOSE.length);
  const hash = createHash("sha256").update(OPEN);
  ordered.forEach((r, i) => {
    if (i > 0) hash.update(",\n");
    // The UTF-8 bytes when the shard keeps them (the frame is ASCII: same offsets), else the text.
    const bytes = (r as Partial<BuiltShard>).bytes;
    if (bytes) hash.update(bytes.subarray(OPEN.length, bytes.length - CLOSE.length));
    else hash.update(inner(r), "utf8");
  });
  const join = () => {
    // Laid end to end: the runs are in order and do not overlap, so this is the normalized document.
    const document = ordered.flatMap((r) => r.document);
    Object.freeze(document);
    return { document, text: `${OPEN}${ordered.map(inner).join(",\n")}${CLOSE}` };
  };
  return { sha256: hash.update(CLOSE).digest("hex"), targets, groups, join };
}
