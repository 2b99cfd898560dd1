// Which ECS tasks a full reconcile describes again (issue "Cost per event": DescribeTasks of
// every task was most of a steady full reconcile's CPU, 0.6 s of 1.4 s at 10,000 tasks).
// A task the state knows as scraped (RUNNING, not being stopped) and whose Cloud Map
// instance is still listed cannot have other targets: every label of a running task is
// fixed for its life (address, ports, task definition, placement), and ECS deregisters a
// task from Cloud Map when it stops, which the listing sees; its events keep the rest
// current. So such a task is described again only in its turn: tasks are spread over
// VERIFY_SLOTS slots by a hash of their id, one slot a VERIFY_SLOT_MS, and a full reconcile
// describes the tasks of every slot whose time came since the previous one (all of them
// after VERIFY_SLOTS slots or with no previous one). Every task is thus described at least
// once every VERIFY_SLOTS x VERIFY_SLOT_MS (30 minutes), whatever the schedule, and a task
// the state does not know, does not scrape, or holds as gone is always described. The
// audit describes every task each time, so a missed stop shows there within its period.
// A Cloud Map service's tags (its opt-in), which change by CloudTrail-delivered events too,
// are read again in the same turns (knownServiceTags).
// Pure.
import { isScraped } from "./document";
import type { ReconcilerState } from "./state";
import { partOf } from "./state-shards";
import type { EcsTaskFacts } from "./types";

/** How many slots the known tasks are spread over (a power of two, for partOf). */
export const VERIFY_SLOTS = 8;
/** How long each slot lasts: every known task is described again within VERIFY_SLOTS x this. */
export const VERIFY_SLOT_MS = 225 * 1000;

/**
 * The slots whose time came after `since` (exclusive) up to `now` (inclusive); every slot
 * when `since` is unknown or VERIFY_SLOTS slots ago or more.
 */
export function slotsDue(since: Date | undefined, now: Date): Set<number> {
  const all = new Set(Array.from({ length: VERIFY_SLOTS }, (_, i) => i));
  if (!since) return all;
  const from = Math.floor(since.getTime() / VERIFY_SLOT_MS);
  const to = Math.floor(now.getTime() / VERIFY_SLOT_MS);
  if (to - from >= VERIFY_SLOTS || to < from) return all;
  const due = new Set<number>();
  for (let k = from + 1; k <= to; k++) due.add(k % VERIFY_SLOTS);
  return due;
}

/** The slot of a task (by its id, the Cloud Map instance id). */
export function slotOf(taskId: string): number {
  return partOf(taskId, VERIFY_SLOTS);
}

/**
 * The facts a full reconcile may take from the state instead of describing the task: a
 * task the state holds as scraped and not gone, whose slot is not due; undefined otherwise
 * (the task is described).
 */
export function knownTaskFacts(state: Pick<ReconcilerState, "tasks">, due: ReadonlySet<number>): (taskId: string) => EcsTaskFacts | undefined {
  return (taskId) => {
    const t = state.tasks[taskId];
    if (!t || t.goneAt !== undefined || !isScraped(t.facts) || due.has(slotOf(taskId))) return undefined;
    return t.facts;
  };
}

/**
 * The tags a full reconcile may take from the state instead of reading them (Cloud Map
 * tag changes come as CloudTrail events too): a service the state holds whose slot is not
 * due; undefined otherwise (ListTagsForResource is called). Each known service's tags are
 * read again within a round, as each known task is described.
 */
export function knownServiceTags(
  state: Pick<ReconcilerState, "services">,
  due: ReadonlySet<number>,
): (serviceId: string) => Record<string, string> | undefined {
  return (serviceId) => {
    const s = state.services[serviceId];
    if (!s || due.has(slotOf(serviceId))) return undefined;
    return s.tags;
  };
}
