// The reconciler's state, kept in S3 beside the document: the Cloud Map services (tags and
// instances), the last known facts and `version` of every ECS task, and the lookups that
// let an ECS event be applied without AWS reads (ECS service -> Cloud Map services,
// container instance -> IP). The document is always buildDocument(toDiscovery(state)), so
// the event path and the full reconcile produce the same bytes for the same facts. Pure.
import type { CloudMapNamespace, Discovery, DiscoveredService, EcsTaskFacts, FailedScope } from "./types";

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
  /** Container instance ARN -> its private IP and EC2 instance id (bridge/host mode). */
  containerInstances: Record<string, { ip: string; ec2InstanceId?: string }>;
  /** Task definition ARN -> network mode (task definitions are immutable). */
  taskDefinitions: Record<string, string>;
  /** Parts whose last full discovery failed (their entries are the older ones). */
  failed: FailedScope[];
  /** Time of the last full reconcile that merged a discovery. */
  lastFullReconcileAt?: string;
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
  };
}

/** The discovery a full reconcile would make if AWS were exactly as the state says. */
export function toDiscovery(state: ReconcilerState): Discovery {
  const services: DiscoveredService[] = [];
  for (const s of Object.values(state.services)) {
    const namespace = state.namespaces[s.namespaceId];
    if (!namespace) continue;
    const instances = Object.entries(s.instances).map(([id, attributes]) => ({ id, attributes }));
    const tasks: Record<string, EcsTaskFacts | undefined> = {};
    for (const i of instances) tasks[i.id] = state.tasks[i.id]?.facts;
    services.push({
      namespace,
      service: { id: s.id, arn: s.arn, name: s.name, namespaceId: s.namespaceId, namespaceName: namespace.name, tags: s.tags },
      instances,
      tasks,
    });
  }
  services.sort((a, b) => (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0));
  return { services, failed: [], servicesSeen: services.length, namespacesSeen: Object.keys(state.namespaces).length };
}

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** True when two states hold the same facts (bookkeeping times aside). */
export function sameFacts(a: ReconcilerState, b: ReconcilerState): boolean {
  const strip = (s: ReconcilerState) => ({ ...s, generation: 0, updatedAt: "", lastFullReconcileAt: "" });
  return stableStringify(strip(a)) === stableStringify(strip(b));
}

/** How long a stopped task's version is remembered, so a late event cannot resurrect it. */
export const TOMBSTONE_MS = 60 * 60 * 1000;

function isGone(t: StateTask): boolean {
  return t.facts.lastStatus === "STOPPED";
}

/**
 * Merges a full discovery into the state. Discovered facts replace the state's, except
 * where the state holds a newer observation: a task with a higher version, or an instance
 * an event added after the discovery started. Failed services and namespaces keep their
 * state entries (invariant 1). Tombstones older than TOMBSTONE_MS are dropped.
 */
export function mergeDiscovery(state: ReconcilerState, discovery: Discovery, startedAt: Date, now: Date): ReconcilerState {
  const failedServices = new Set(discovery.failed.filter((f) => f.scope === "service").map((f) => f.id));
  const failedNamespaces = new Set(discovery.failed.filter((f) => f.scope === "namespace").map((f) => f.id));
  const started = startedAt.toISOString();
  const newerThanDiscovery = (id: string) => (state.tasks[id]?.observedAt ?? "") > started;

  const namespaces: Record<string, CloudMapNamespace> = {};
  for (const d of discovery.services) namespaces[d.namespace.id] = d.namespace;
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
      if ((deregisteredSince[i.id] ?? "") > started) continue;
      instances[i.id] = i.attributes;
      const cluster = i.attributes.ECS_CLUSTER_NAME;
      const ecsService = i.attributes.ECS_SERVICE_NAME;
      if (cluster && ecsService) {
        const key = `${cluster}/${ecsService}`;
        const ids = (registries[key] = registries[key] ?? []);
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
    const deregistered = state.services[d.service.id]?.deregistered;
    services[d.service.id] = { id: d.service.id, arn: d.service.arn, name: d.service.name, namespaceId: d.namespace.id, tags: d.service.tags, instances, ...(deregistered ? { deregistered } : {}) };
    for (const [id, facts] of Object.entries(d.tasks)) {
      if (!facts) continue;
      const known = state.tasks[id];
      const version = facts.version ?? 0;
      const same = known && known.version === version && stableStringify(known.facts) === stableStringify(facts);
      tasks[id] = known && (known.version > version || same) ? known : { version, observedAt: started, facts };
      if (facts.networkMode) taskDefinitions[facts.taskDefinitionArn] = facts.networkMode;
    }
  }
  const cutoff = new Date(now.getTime() - TOMBSTONE_MS).toISOString();
  for (const [id, t] of Object.entries(state.tasks)) {
    if (id in tasks) continue;
    const keep = fromState.has(id) || (isGone(t) && t.observedAt > cutoff) || t.observedAt > started;
    if (keep) tasks[id] = t;
  }
  for (const [key, ids] of Object.entries(state.registries)) if (!(key in registries)) registries[key] = ids;
  for (const ids of Object.values(registries)) ids.sort();
  return {
    ...state,
    namespaces,
    services,
    tasks,
    registries,
    taskDefinitions,
    failed: discovery.failed,
    lastFullReconcileAt: now.toISOString(),
  };
}
