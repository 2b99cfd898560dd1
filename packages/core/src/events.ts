// Applying change events to the state, without AWS reads. Pure.
// ECS "Task State Change": ordered per task by `version` (a duplicate or an older version
// is ignored, so a stopped task is never resurrected and a running one never dropped by a
// late event: README guarantee G3, in applyTask); the task's facts come from the event
// itself. Its Cloud Map registration is derived from the state's ECS service -> Cloud Map
// service lookup, so a RUNNING task of a registered service appears at once (ECS registers
// it during ACTIVATING). A task stops being scraped at the first sign of stopping (see
// isScraped).
// Cloud Map RegisterInstance / DeregisterInstance (via CloudTrail) update instances.
import type { EcsTaskFacts } from "./types";
import { TOMBSTONE_MS, writableService, type ReconcilerState } from "./state";

export interface TaskEvent {
  kind: "task";
  eventId: string;
  /** Event time, ISO 8601. */
  time: string;
  region?: string;
  facts: EcsTaskFacts & { version: number };
}

export interface InstanceEvent {
  kind: "register" | "deregister";
  eventId: string;
  time: string;
  serviceId: string;
  instanceId: string;
  attributes?: Record<string, string>;
}

/** A Cloud Map service changed in a way only a read can tell (created, deleted, retagged, updated). */
export interface ServiceEvent {
  kind: "service";
  eventId: string;
  time: string;
  eventName: string;
  serviceId: string;
}

export type ChangeEvent = TaskEvent | InstanceEvent | ServiceEvent;

export type Outcome = "applied" | "duplicate" | "stale" | "not-registered" | "unknown-service" | "needs-lookup";

export function registryKey(clusterName: string, serviceName: string): string {
  return `${clusterName}/${serviceName}`;
}

/** The lookups an event needs before it can be applied without AWS reads. */
export interface Lookups {
  registry?: { cluster: string; service: string };
  containerInstance?: { cluster: string; arn: string };
  taskDefinition?: string;
  service?: string;
}

export function missingLookups(state: ReconcilerState, ev: ChangeEvent): Lookups {
  if (ev.kind === "service") return { service: ev.serviceId };
  if (ev.kind === "register" && !state.services[ev.serviceId]) return { service: ev.serviceId };
  if (ev.kind !== "task") return {};
  const f = ev.facts;
  const out: Lookups = {};
  if (f.serviceName && state.registries[registryKey(f.clusterName, f.serviceName)] === undefined) {
    out.registry = { cluster: f.clusterName, service: f.serviceName };
  }
  if (f.containerInstanceArn && !state.containerInstances[f.containerInstanceArn]) {
    out.containerInstance = { cluster: f.clusterArn, arn: f.containerInstanceArn };
  }
  if (!f.taskIp && state.taskDefinitions[f.taskDefinitionArn] === undefined) out.taskDefinition = f.taskDefinitionArn;
  return out;
}

function instanceAttributes(f: EcsTaskFacts, region: string | undefined): Record<string, string> {
  const a: Record<string, string> = {};
  const ip = f.taskIp ?? f.hostIp;
  if (ip) a.AWS_INSTANCE_IPV4 = ip;
  if (f.availabilityZone) a.AVAILABILITY_ZONE = f.availabilityZone;
  a.ECS_CLUSTER_NAME = f.clusterName;
  if (f.serviceName) a.ECS_SERVICE_NAME = f.serviceName;
  a.ECS_TASK_DEFINITION_FAMILY = f.family;
  if (f.ec2InstanceId) a.EC2_INSTANCE_ID = f.ec2InstanceId;
  if (region) a.REGION = region;
  return a;
}

/**
 * README guarantee G3: an event whose version is not higher than the last one applied for
 * its task changes nothing (a duplicate or stale copy).
 */
function applyTask(state: ReconcilerState, ev: TaskEvent): Outcome {
  const f = { ...ev.facts };
  const known = state.tasks[f.taskId];
  if (known && f.version === known.version) return "duplicate";
  if (known && f.version < known.version) return "stale";
  if (!f.serviceName) return "not-registered";
  const ids = state.registries[registryKey(f.clusterName, f.serviceName)];
  if (ids === undefined) return "needs-lookup";
  if (f.containerInstanceArn) {
    const ci = state.containerInstances[f.containerInstanceArn];
    if (!ci) return "needs-lookup";
    if (!f.taskIp) f.hostIp = ci.ip;
    f.ec2InstanceId = ci.ec2InstanceId;
  }
  f.networkMode = f.taskIp ? "awsvpc" : state.taskDefinitions[f.taskDefinitionArn];
  state.tasks[f.taskId] = { version: f.version, observedAt: ev.time, facts: f };
  for (const id of ids) {
    const svc = state.services[id];
    if (!svc) continue;
    if (f.lastStatus === "STOPPED") {
      if (f.taskId in svc.instances) delete writableService(state, id)!.instances[f.taskId];
    } else if (f.lastStatus === "RUNNING" && f.desiredStatus !== "STOPPED" && !svc.instances[f.taskId] && !svc.deregistered?.[f.taskId]) {
      writableService(state, id)!.instances[f.taskId] = instanceAttributes(f, ev.region);
    }
  }
  return ids.length === 0 ? "not-registered" : "applied";
}

function applyInstance(state: ReconcilerState, ev: InstanceEvent): Outcome {
  const svc = writableService(state, ev.serviceId);
  if (!svc) return "unknown-service";
  if (ev.kind === "register") {
    svc.instances[ev.instanceId] = { ...(ev.attributes ?? {}) };
    if (svc.deregistered) delete svc.deregistered[ev.instanceId];
  } else {
    delete svc.instances[ev.instanceId];
    svc.deregistered = { ...(svc.deregistered ?? {}), [ev.instanceId]: ev.time };
  }
  return "applied";
}

/** Applies one event in place; the caller passes a copy of the state. */
export function applyEvent(state: ReconcilerState, ev: ChangeEvent): Outcome {
  if (ev.kind === "task") return applyTask(state, ev);
  if (ev.kind === "service") return "applied"; // applied through its lookup (the service's refresh)
  return applyInstance(state, ev);
}

/** Forgets deregistration marks older than the tombstone window. */
export function pruneDeregistered(state: ReconcilerState, now: Date): void {
  const cutoff = new Date(now.getTime() - TOMBSTONE_MS).toISOString();
  for (const [serviceId, shared] of Object.entries(state.services)) {
    if (!shared.deregistered || !Object.values(shared.deregistered).some((at) => at < cutoff)) continue;
    const svc = writableService(state, serviceId)!;
    for (const [id, at] of Object.entries(svc.deregistered!)) if (at < cutoff) delete svc.deregistered![id];
    if (Object.keys(svc.deregistered!).length === 0) delete svc.deregistered;
  }
}
