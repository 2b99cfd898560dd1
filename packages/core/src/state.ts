// The reconciler's state, kept in S3 beside the document: the Cloud Map services (tags and
// instances), the last known facts and `version` of every ECS task, and the lookups that
// let an ECS event be applied without AWS reads (ECS service -> Cloud Map services,
// container instance -> IP, EC2 instance id and type). The document is always
// buildDocument(toDiscovery(state)), so the event path and the full reconcile produce the
// same bytes for the same facts. Also what a full discovery's merge keeps: newer event
// facts, failed parts, and tombstones (the last version of every task it drops) so a stale
// event cannot bring a gone task back. Pure.
import { completedByDiscovery, isComplete } from "./completeness";
import { failedParts } from "./failed";
import { byText, compareText } from "./order";
import type { CloudMapNamespace, ContainerInstanceFacts, Discovery, DiscoveredService, EcsTaskFacts, FailedScope } from "./types";

export interface StateService {
  id: string;
  arn: string;
  name: string;
  namespaceId: string;
  tags: Record<string, string>;
  /** Cloud Map instances by id (ECS: the task id) -> attributes. */
  instances: Record<string, Record<string, string>>;
  /** Instances deregistered by an event -> when; a late ECS event does not add them back. */
  deregistered?: Record<string, string>;
}

export interface StateTask {
  version: number;
  /** When the facts were observed (event time or discovery time), ISO 8601. */
  observedAt: string;
  facts: EcsTaskFacts;
  /**
   * Set when a full discovery no longer listed the task (a tombstone): the task is gone and
   * never published; only its version counts, so an event with a version <= it is stale.
   * Dropped TOMBSTONE_MS after this time.
   */
  goneAt?: string;
}

export interface ReconcilerState {
  schemaVersion: 1;
  /** Increases by one with every write of the state. */
  generation: number;
  updatedAt: string;
  namespaces: Record<string, CloudMapNamespace>;
  services: Record<string, StateService>;
  tasks: Record<string, StateTask>;
  /** "cluster/ecs-service" -> Cloud Map service ids it registers in ([] = none). */
  registries: Record<string, string[]>;
  /**
   * Container instance ARN -> its private IP (bridge/host tasks), EC2 instance id and type:
   * filled by the event lookups and by the full reconcile (for the EC2 tasks it discovers),
   * each container instance read once.
   */
  containerInstances: Record<string, ContainerInstanceFacts>;
  /** Task definition ARN -> network mode (task definitions are immutable). */
  taskDefinitions: Record<string, string>;
  /** Parts whose last full discovery failed (their entries are the older ones). */
  failed: FailedScope[];
  /** Time of the last full reconcile that merged a discovery. */
  lastFullReconcileAt?: string;
  /**
   * True once a full discovery completed the state (see completeness.ts): until then it
   * publishes nothing. Absent in states written before this field existed (isComplete).
   */
  complete?: boolean;
}

export function emptyState(now: Date): ReconcilerState {
  return {
    schemaVersion: 1,
    generation: 0,
    updatedAt: now.toISOString(),
    namespaces: {},
    services: {},
    tasks: {},
    registries: {},
    containerInstances: {},
    taskDefinitions: {},
    failed: [],
    complete: false,
  };
}

/**
 * The task's facts with what the state's container-instance cache adds: the EC2 instance
 * type (`__meta_ecs_ec2_instance_type`), for a task on a container instance whose type is
 * known. The same for a task applied by an event and one merged from a full discovery, and
 * for the audit's fresh discovery, so every path gives the same label.
 */
export function withContainerInstance(facts: EcsTaskFacts, cache: Readonly<Record<string, ContainerInstanceFacts>>): EcsTaskFacts {
  const type = facts.containerInstanceArn ? cache[facts.containerInstanceArn]?.instanceType : undefined;
  return type ? { ...facts, ec2InstanceType: type } : facts;
}

/** A discovery's tasks with the state's container-instance facts (withContainerInstance): the audit's expected document. */
export function withContainerInstances(discovery: Discovery, cache: Readonly<Record<string, ContainerInstanceFacts>>): Discovery {
  return {
    ...discovery,
    services: discovery.services.map((d) => ({
      ...d,
      tasks: Object.fromEntries(Object.entries(d.tasks).map(([id, t]) => [id, t && withContainerInstance(t, cache)])),
    })),
  };
}

/** A container instance a full reconcile reads: unknown to the state, or known without its instance type (then by its EC2 instance id). */
export interface ContainerInstanceRef {
  /** The cluster's ARN or name (DescribeContainerInstances' `cluster`). */
  cluster: string;
  arn: string;
  /** Known from the state: only DescribeInstances is needed. */
  ec2InstanceId?: string;
}

/**
 * The container instances of the discovery's EC2 tasks that the state's cache does not
 * know, or knows without the instance type (an entry cached before it was kept: read once
 * more, then never again). Fargate and ECS Anywhere (EXTERNAL) tasks have no EC2 instance.
 * Sorted by ARN, each once.
 */
export function containerInstancesToResolve(state: ReconcilerState, discovery: Discovery): ContainerInstanceRef[] {
  const out = new Map<string, ContainerInstanceRef>();
  for (const d of discovery.services) {
    for (const t of Object.values(d.tasks)) {
      const arn = t?.containerInstanceArn;
      if (!t || !arn || t.launchType === "FARGATE" || t.launchType === "EXTERNAL" || out.has(arn)) continue;
      const known = state.containerInstances[arn];
      if (known?.instanceType !== undefined) continue;
      out.set(arn, { cluster: t.clusterArn, arn, ...(known?.ec2InstanceId ? { ec2InstanceId: known.ec2InstanceId } : {}) });
    }
  }
  return [...out.values()].sort(byText((r) => r.arn));
}

/** Records container instances read from AWS in the state's cache (in place); a read replaces what was kept. */
export function recordContainerInstances(state: ReconcilerState, found: Readonly<Record<string, ContainerInstanceFacts>>): void {
  for (const [arn, facts] of Object.entries(found)) state.containerInstances[arn] = { ...facts };
}

/**
 * A copy of `state` to change, sharing what is not changed: the top-level maps are new
 * objects, their entries (services, tasks, ...) are the state's own. Every change replaces
 * an entry instead of changing it (writableService for a service's instances), so `state`
 * stays as it was: it is frozen (deepFreeze) by the store before it is copied, and an entry
 * changed in place would throw. A 10,000-task state is copied in a few milliseconds where
 * structuredClone took a tenth of a second, and unchanged entries stay identical, which
 * jsonEqual and the comparisons after a change see at once.
 */
export function workingCopy(state: ReconcilerState): ReconcilerState {
  return {
    ...state,
    namespaces: { ...state.namespaces },
    services: { ...state.services },
    tasks: { ...state.tasks },
    registries: { ...state.registries },
    containerInstances: { ...state.containerInstances },
    taskDefinitions: { ...state.taskDefinitions },
    failed: [...state.failed],
  };
}

/**
 * The service `id` of a working copy, ready to be changed in place: the shared entry is
 * replaced once by a copy with its own instances and deregistration marks.
 */
export function writableService(state: ReconcilerState, id: string): StateService | undefined {
  const svc = state.services[id];
  // A new service object may still hold the state's (frozen) instances or marks: copy those too.
  if (!svc || (!Object.isFrozen(svc) && !Object.isFrozen(svc.instances) && !(svc.deregistered && Object.isFrozen(svc.deregistered)))) return svc;
  const copy: StateService = { ...svc, instances: { ...svc.instances }, ...(svc.deregistered ? { deregistered: { ...svc.deregistered } } : {}) };
  state.services[id] = copy;
  return copy;
}

/** Values deepFreeze froze all through (an object frozen by itself, e.g. a normalized document's array, is not). */
const DEEP_FROZEN = new WeakSet<object>();

/** Freezes a JSON-like value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !DEEP_FROZEN.has(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
    DEEP_FROZEN.add(value);
  }
  return value;
}

/** The discovery a full reconcile would make if AWS were exactly as the state says. */
export function toDiscovery(state: ReconcilerState): Discovery {
  const services: DiscoveredService[] = [];
  for (const s of Object.values(state.services)) {
    const namespace = state.namespaces[s.namespaceId];
    if (!namespace) continue;
    const instances = Object.entries(s.instances).map(([id, attributes]) => ({ id, attributes }));
    const tasks: Record<string, EcsTaskFacts | undefined> = {};
    for (const i of instances) {
      const t = state.tasks[i.id];
      // A tombstone is gone.
      tasks[i.id] = t && t.goneAt === undefined ? withContainerInstance(t.facts, state.containerInstances) : undefined;
    }
    services.push({
      namespace,
      service: { id: s.id, arn: s.arn, name: s.name, namespaceId: s.namespaceId, namespaceName: namespace.name, tags: s.tags },
      instances,
      tasks,
    });
  }
  services.sort(byText((d) => d.service.id));
  return { services, failed: [], servicesSeen: services.length, namespacesSeen: Object.keys(state.namespaces).length };
}

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => compareText(a, b)))
      : v,
  );
}

/**
 * True when two values would give the same stableStringify text (JSON semantics: a key
 * whose value is undefined is absent, key order does not matter, an undefined array item
 * is null), without building either text: a 10,000-task state compared by text cost a
 * full reconcile half a second of CPU and as much garbage.
 */
export function jsonEqual(a: unknown, b: unknown, ignore?: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const k in x) {
    if (x[k] === undefined || ignore?.has(k)) continue;
    defined++;
    if (!jsonEqual(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined && !ignore?.has(k)) defined--;
  return defined === 0;
}

/** The state's bookkeeping fields, which sameFacts leaves out. */
const BOOKKEEPING = new Set(["generation", "updatedAt", "lastFullReconcileAt"]);

/** True when two states hold the same facts (bookkeeping times aside). */
export function sameFacts(a: ReconcilerState, b: ReconcilerState): boolean {
  return jsonEqual(a, b, BOOKKEEPING);
}

/** How long a gone task's version is remembered, so a late event cannot resurrect it. */
export const TOMBSTONE_MS = 60 * 60 * 1000;

/** When a task the merge drops went: kept, or the STOPPED event's time, or this merge's. */
function goneTime(t: StateTask, now: Date): string {
  return t.goneAt ?? (t.facts.lastStatus === "STOPPED" ? t.observedAt : now.toISOString());
}

/**
 * True when an observation at `time` may have happened after `instant`. EventBridge gives
 * event times in whole seconds (`...:01Z`) while a discovery's start has milliseconds: an
 * event stamped with the discovery's own second may be later than it, so that second
 * counts as "may follow" (the state's newer observation is kept); a time with
 * milliseconds is compared exactly. Compared as instants,
 * never as strings (`"01Z" > "01.234Z"` only by accident of the character codes).
 */
export function mayFollow(time: string | undefined, instant: Date): boolean {
  if (!time) return false;
  const t = Date.parse(time);
  if (Number.isNaN(t)) return false;
  // A time with sub-second digits is exact; a whole-second one covers its whole second.
  const exact = /T\d{2}:\d{2}:\d{2}\.\d/.test(time);
  return exact ? t > instant.getTime() : t + 999 >= instant.getTime();
}

/**
 * Merges a full discovery into the state. Discovered facts replace the state's, except
 * where the state holds a newer observation: a task with a higher version, or an instance
 * an event added after the discovery started. Failed services and namespaces keep their
 * state entries (README guarantee G1). A task the discovery no longer lists (stopped,
 * stopping, or vanished while its events were missed) becomes a tombstone for
 * TOMBSTONE_MS: its last version stays, so a stale event delivered again (a RUNNING after a
 * DEACTIVATING) is ignored (README guarantee G3); a newer version (event) or a discovery
 * at least as new brings it back.
 * The merged state is complete when completedByDiscovery says so; `publishedBefore` tells
 * whether a valid document was published before (it covers failed parts the state lacks).
 */
export function mergeDiscovery(
  state: ReconcilerState,
  discovery: Discovery,
  startedAt: Date,
  now: Date,
  options: { publishedBefore?: boolean } = {},
): ReconcilerState {
  const { services: failedServices, namespaces: failedNamespaces } = failedParts(discovery.failed);
  const started = startedAt.toISOString();
  const newerThanDiscovery = (id: string) => mayFollow(state.tasks[id]?.observedAt, startedAt);

  const namespaces: Record<string, CloudMapNamespace> = {};
  for (const d of discovery.services) {
    const known = state.namespaces[d.namespace.id];
    namespaces[d.namespace.id] = known && jsonEqual(known, d.namespace) ? known : d.namespace;
  }
  const services: Record<string, StateService> = {};
  /** Instances whose task facts must come from the state, not from this discovery. */
  const fromState = new Set<string>();
  for (const s of Object.values(state.services)) {
    if (failedServices.has(s.id) || failedNamespaces.has(s.namespaceId)) {
      services[s.id] = s;
      for (const id of Object.keys(s.instances)) fromState.add(id);
      const ns = state.namespaces[s.namespaceId];
      if (ns) namespaces[s.namespaceId] = ns;
    }
  }
  const tasks: Record<string, StateTask> = {};
  // ECS service -> Cloud Map services, as the instances' ECS attributes show it; lookups
  // made by events for services with no instance yet are kept.
  const registries: Record<string, string[]> = {};
  const taskDefinitions: Record<string, string> = { ...state.taskDefinitions };
  for (const d of discovery.services) {
    const instances: Record<string, Record<string, string>> = {};
    const deregisteredSince = state.services[d.service.id]?.deregistered ?? {};
    for (const i of d.instances) {
      // An event deregistered it after this discovery listed it.
      if (mayFollow(deregisteredSince[i.id], startedAt)) continue;
      instances[i.id] = i.attributes;
      const cluster = i.attributes.ECS_CLUSTER_NAME;
      const ecsService = i.attributes.ECS_SERVICE_NAME;
      if (cluster && ecsService) {
        const key = `${cluster}/${ecsService}`;
        const ids = registries[key] ?? [];
        registries[key] = ids;
        if (!ids.includes(d.service.id)) ids.push(d.service.id);
      }
    }
    // Keep instances that events added while this discovery was running.
    for (const [id, attrs] of Object.entries(state.services[d.service.id]?.instances ?? {})) {
      if (!(id in instances) && newerThanDiscovery(id)) {
        instances[id] = attrs;
        fromState.add(id);
      }
    }
    const known = state.services[d.service.id];
    const deregistered = known?.deregistered;
    const merged: StateService = {
      id: d.service.id,
      arn: d.service.arn,
      name: d.service.name,
      namespaceId: d.namespace.id,
      tags: d.service.tags,
      instances,
      ...(deregistered ? { deregistered } : {}),
    };
    // An unchanged service stays the very entry the state had: what is built and stored
    // from it (its shard, its state part) is kept, not done again.
    services[d.service.id] = known && jsonEqual(known, merged) ? known : merged;
    for (const [id, facts] of Object.entries(d.tasks)) {
      if (!facts) continue;
      const known = state.tasks[id];
      const version = facts.version ?? 0;
      const same = known && known.version === version && jsonEqual(known.facts, facts);
      // A tombstone yields only to a discovery at least as new as it (the task is listed again).
      const keepKnown = known?.goneAt !== undefined ? known.version > version : known && (known.version > version || same);
      tasks[id] = keepKnown && known ? known : { version, observedAt: started, facts };
      if (facts.networkMode) taskDefinitions[facts.taskDefinitionArn] = facts.networkMode;
    }
  }
  const cutoff = now.getTime() - TOMBSTONE_MS;
  for (const [id, t] of Object.entries(state.tasks)) {
    if (id in tasks) continue;
    if (fromState.has(id) || mayFollow(t.observedAt, startedAt)) {
      tasks[id] = t;
      continue;
    }
    const goneAt = goneTime(t, now);
    if (Date.parse(goneAt) > cutoff) tasks[id] = { ...t, goneAt };
  }
  for (const [key, ids] of Object.entries(state.registries)) if (!(key in registries)) registries[key] = ids;
  // Sorted copies: the arrays kept from the state are shared (and frozen).
  for (const [key, ids] of Object.entries(registries)) {
    const sorted = [...ids].sort();
    const known = state.registries[key];
    registries[key] = known && jsonEqual(known, sorted) ? known : sorted;
  }
  return {
    ...state,
    namespaces,
    services,
    tasks,
    registries,
    taskDefinitions,
    failed: discovery.failed,
    lastFullReconcileAt: now.toISOString(),
    complete: completedByDiscovery({ wasComplete: isComplete(state), failed: discovery.failed, publishedBefore: options.publishedBefore ?? false }),
  };
}
