// A batch of change events as a change of the state: what the batch's AWS reads found
// (LookupResults: made once per unknown key, then kept in the state so neither a warm nor a
// cold function reads them again: README guarantee G6), applied first, then every event in
// order, then the deregistration marks past the tombstone window are forgotten. Pure: the
// reads themselves are @scrape-reconciler/discovery's; this runs inside the conditional
// state write, again on a fresh copy after a lost race.
import { applyEvent, pruneDeregistered, type ChangeEvent, type Outcome } from "./events";
import { recordContainerInstances, type ReconcilerState, type StateService, type StateTask } from "./state";
import type { CloudMapNamespace, ContainerInstanceFacts } from "./types";

/** What the reads of one batch found; applied to the state inside the conditional-write loop. */
export interface LookupResults {
  registries: Record<string, string[]>;
  containerInstances: Record<string, ContainerInstanceFacts>;
  taskDefinitions: Record<string, string>;
  /** Refreshed Cloud Map services; null = the service no longer exists. */
  services: Record<string, { service: StateService; namespace: CloudMapNamespace } | null>;
  /** Tasks behind a refreshed service's ECS instances that the state did not know. */
  tasks: Record<string, StateTask>;
  reads: number;
  /** When these reads were made (ISO 8601): the observation time of what they found. */
  observedAt: string;
}

export function emptyLookups(now: Date): LookupResults {
  return { registries: {}, containerInstances: {}, taskDefinitions: {}, services: {}, tasks: {}, reads: 0, observedAt: now.toISOString() };
}

/** Records what the reads found in `state` (in place); a task already known at a higher version stays. */
export function applyLookups(state: ReconcilerState, r: LookupResults): void {
  Object.assign(state.registries, r.registries);
  recordContainerInstances(state, r.containerInstances);
  Object.assign(state.taskDefinitions, r.taskDefinitions);
  for (const [id, found] of Object.entries(r.services)) {
    if (found === null) {
      delete state.services[id];
      continue;
    }
    state.namespaces[found.namespace.id] = found.namespace;
    // Copies of the maps events change in place: the lookups stay as read (they are applied
    // again after a lost race) and the state's marks stay as they were.
    const marks = state.services[id]?.deregistered;
    state.services[id] = { ...found.service, instances: { ...found.service.instances }, ...(marks ? { deregistered: { ...marks } } : {}) };
  }
  for (const [id, t] of Object.entries(r.tasks)) {
    const known = state.tasks[id];
    if (!known || known.version < t.version) state.tasks[id] = t;
    if (t.facts.networkMode) state.taskDefinitions[t.facts.taskDefinitionArn] = t.facts.networkMode;
  }
}

/** Applies a batch's reads and events to `state` in place; returns how many events had each outcome. */
export function applyBatchToState(state: ReconcilerState, lookups: LookupResults, events: readonly ChangeEvent[], now: Date): Partial<Record<Outcome, number>> {
  const outcomes: Partial<Record<Outcome, number>> = {};
  applyLookups(state, lookups);
  for (const e of events) {
    const outcome = applyEvent(state, e);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  pruneDeregistered(state, now);
  return outcomes;
}
