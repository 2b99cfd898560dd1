// The reconciler state as it is stored (issue "Cost per event"): a head object at the state
// key and the services and tasks spread over parts by a hash of their key, so a batch that
// changes one service and a few tasks writes the head and those few parts, not the whole
// state. Pure: the layout (which part an entry goes to, how many parts), splitting a state
// into parts, finding the parts a change touched, and assembling a state from a head and
// its parts. The store writes them (state-store.ts).
//
// Guarantees the layout gives (README "Sharded publication"):
//   - a part object never changes once written: its key holds the state generation that
//     first wrote it and its sha256, and the head lists only parts written before it; the
//     head is the one object written conditionally (If-Match), so a crash between the part
//     writes and the head write leaves the previous state whole;
//   - a part no longer listed is retired with the time it left and deleted RETIRE_MS later
//     (core's retire, as for the document's shards), so a reader of the previous head
//     still finds every part it lists.
// Entries are spread by FNV-1a of their key: stable, cheap, and even enough for ids that
// are random (Cloud Map service ids, task ARNs). The number of parts is a power of two
// chosen for about PART_ENTRIES entries each and kept while the state stays within a factor
// of two of that, so a growing fleet rewrites every part only when it doubles.
import type { ReconcilerState, StateService, StateTask } from "./state";
import type { ShardIndex } from "./shards";

/** The head's schemaVersion; version 1 is the whole state in one object (read, then replaced). */
export const STATE_HEAD_VERSION = 2;

/** Entries (services and tasks) per part the part count aims at. */
export const PART_ENTRIES = 64;
const MAX_PARTS = 1024;

export interface StatePartEntry {
  /** Which part (0 .. parts - 1). */
  part: number;
  /** Its object: statePartKeyOf(stateKey, part, generation that wrote it, sha256). */
  key: string;
  sha256: string;
  services: number;
  tasks: number;
}

/** The state object at the state key: everything but the services and tasks, which the parts hold. */
export interface StateHead extends Omit<ReconcilerState, "schemaVersion" | "services" | "tasks"> {
  schemaVersion: 2;
  /** How many parts the entries are spread over (a power of two). */
  parts: number;
  /** The parts that hold entries, sorted by part number (an empty part has no object). */
  entries: StatePartEntry[];
  /** Part objects no longer listed, with when they left (deleted RETIRE_MS later). */
  retired: ShardIndex["retired"];
}

export interface StatePart {
  services: Record<string, StateService>;
  tasks: Record<string, StateTask>;
}

/** FNV-1a (32-bit) of a key's UTF-16 code units. */
function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The part an entry with this key goes to, of `parts` (a power of two). */
export function partOf(key: string, parts: number): number {
  return fnv1a(key) & (parts - 1);
}

/** The part count for `entries` entries: kept while within a factor of two of the ideal. */
export function partCountFor(entries: number, current: number | undefined): number {
  let ideal = 1;
  while (ideal < MAX_PARTS && ideal * PART_ENTRIES < entries) ideal *= 2;
  if (current !== undefined && current >= ideal / 2 && current <= ideal * 2) return current;
  return ideal;
}

/** `targets/state.json` -> `targets/state.parts/`. */
export function statePartPrefixOf(stateKey: string): string {
  return stateKey.endsWith(".json") ? `${stateKey.slice(0, -5)}.parts/` : `${stateKey}.parts/`;
}

/** `targets/state.parts/<part>/<generation>-<sha256>.json`. */
export function statePartKeyOf(stateKey: string, part: number, generation: number, sha256: string): string {
  return `${statePartPrefixOf(stateKey)}${part}/${generation}-${sha256}.json`;
}

/** The state's services and tasks spread over `parts` parts (every part, empty ones too). */
export function splitState(state: Pick<ReconcilerState, "services" | "tasks">, parts: number): StatePart[] {
  const out: StatePart[] = Array.from({ length: parts }, () => ({ services: {}, tasks: {} }));
  for (const [id, s] of Object.entries(state.services)) out[partOf(id, parts)]!.services[id] = s;
  for (const [id, t] of Object.entries(state.tasks)) out[partOf(id, parts)]!.tasks[id] = t;
  return out;
}

/**
 * The parts whose entries differ between two states (spread over `parts` parts): an entry
 * added, removed or replaced. Entries are compared by identity (the copy-on-write state
 * replaces every entry it changes), so a part is never missed; an entry replaced by an
 * equal copy only costs a part written again.
 */
export function changedParts(
  before: Pick<ReconcilerState, "services" | "tasks">,
  after: Pick<ReconcilerState, "services" | "tasks">,
  parts: number,
): Set<number> {
  const changed = new Set<number>();
  const compare = <T>(a: Record<string, T>, b: Record<string, T>) => {
    if (a === b) return;
    for (const k in b) if (a[k] !== b[k]) changed.add(partOf(k, parts));
    for (const k in a) if (!(k in b)) changed.add(partOf(k, parts));
  };
  compare(before.services, after.services);
  compare(before.tasks, after.tasks);
  return changed;
}

/** The head of `state` (its parts listed by `entries`). */
export function headOf(state: ReconcilerState, parts: number, entries: StatePartEntry[], retired: StateHead["retired"]): StateHead {
  const { services: _services, tasks: _tasks, schemaVersion: _v, ...rest } = state;
  return { ...rest, schemaVersion: STATE_HEAD_VERSION, parts, entries, retired };
}

/** The state a head and its parts describe (the parts in any order). */
export function assembleState(head: StateHead, parts: readonly StatePart[]): ReconcilerState {
  const { parts: _parts, entries: _entries, retired: _retired, schemaVersion: _v, ...rest } = head;
  const services: Record<string, StateService> = {};
  const tasks: Record<string, StateTask> = {};
  for (const p of parts) {
    Object.assign(services, p.services);
    Object.assign(tasks, p.tasks);
  }
  return { ...rest, schemaVersion: 1, services, tasks };
}
