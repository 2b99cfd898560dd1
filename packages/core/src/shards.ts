// The published document in shards, one per Cloud Map service, listed by an index (issue
// "Cost per event"): a one-service change moves one shard and the index, not the whole
// document. Pure: where the objects live (keys beside the document), how a document splits
// into shards and the index that lists them, and how shards join back into the document.
//
// Guarantees the layout gives (README "Sharded publication"):
//   - a shard object never changes once written: its key holds the generation that first
//     wrote it and its sha256, an unchanged shard keeps its key in the next index, and an
//     index names only shards written before it. A shard that left the index is never
//     listed again under the same key (a later index that has the same bytes again writes
//     them under its own generation), so deleting it once retired cannot race a writer;
//   - the combined document is serializeDocument of the union of the shards, the very
//     bytes of the single document (the index carries its sha256 to check it);
//   - groups are split by __meta_cloudmap_service_id; a group without one (none today) goes
//     to the shard "_".
import { groupSortKey, normalizeDocument, partitionDocument, serializeDocument, sha256Hex } from "./document";
import { NAMESPACE_ID_LABEL, SERVICE_ID_LABEL } from "./labels";
import { compareText } from "./order";
import type { TargetDocument, TargetGroup } from "./types";

/** The shard of groups that name no Cloud Map service. */
export const UNSHARDED_ID = "_";

export interface ShardEntry {
  /** The Cloud Map service id (or UNSHARDED_ID). */
  id: string;
  /** Its object: shardKeyOf(documentKey, id, generation that wrote it, sha256). */
  key: string;
  sha256: string;
  targets: number;
  groups: number;
  bytes: number;
  /** The namespace of its groups (__meta_cloudmap_namespace_id; absent for "_"): a failed namespace's shards are kept. */
  namespaceId?: string;
}

export interface ShardIndex {
  schemaVersion: 1;
  /** The generation of the document this index describes (the single document's). */
  generation: number;
  generatedAt: string;
  stateGeneration: number;
  /** sha256 of the combined document (serializeDocument of every shard's groups). */
  sha256: string;
  targets: number;
  groups: number;
  /** Sorted by id. */
  shards: ShardEntry[];
  /** Shard objects no longer listed, with when they left: deleted once older than RETIRE_MS. */
  retired: { key: string; at: string }[];
}

/** How long a shard object stays after leaving the index (a reader may still fetch it). */
export const RETIRE_MS = 10 * 60 * 1000;

/** `targets/ecs-services.json` -> `targets/ecs-services.index.json`. */
export function indexKeyOf(documentKey: string): string {
  return documentKey.endsWith(".json") ? `${documentKey.slice(0, -5)}.index.json` : `${documentKey}.index.json`;
}

/** The prefix every shard object of the document has: `targets/ecs-services.shards/`. */
export function shardPrefixOf(documentKey: string): string {
  return documentKey.endsWith(".json") ? `${documentKey.slice(0, -5)}.shards/` : `${documentKey}.shards/`;
}

/** `targets/ecs-services.shards/<id>/<generation>-<sha256>.json`. */
export function shardKeyOf(documentKey: string, id: string, generation: number, sha256: string): string {
  return `${shardPrefixOf(documentKey)}${id}/${generation}-${sha256}.json`;
}

/**
 * The key of each shard in the index of `generation`: the key the previous index lists for
 * the same id and sha256 (an unchanged shard is not written again), else a new one.
 */
export function shardKeys(
  documentKey: string,
  shards: readonly Pick<Shard, "id" | "sha256">[],
  generation: number,
  previous: ShardIndex | undefined,
): string[] {
  const listed = new Map((previous?.shards ?? []).map((e) => [`${e.id}\u0000${e.sha256}`, e.key]));
  return shards.map((s) => listed.get(`${s.id}\u0000${s.sha256}`) ?? shardKeyOf(documentKey, s.id, generation, s.sha256));
}

/**
 * A shard id is a Cloud Map service id (`srv-` and letters and digits) or "_": safe in a key
 * and a file name, and never the name of a file a user would keep beside the shard files.
 */
export function isShardId(id: string): boolean {
  return id === UNSHARDED_ID || /^srv-[A-Za-z0-9]{1,60}$/.test(id);
}

export interface Shard {
  id: string;
  document: TargetDocument;
  text: string;
  sha256: string;
}

/** The index entry of a shard written (or kept) under `key`. */
export function entryOf(s: Shard, key: string): ShardEntry {
  const namespaceId = s.id === UNSHARDED_ID ? undefined : s.document[0]?.labels[NAMESPACE_ID_LABEL];
  return {
    id: s.id,
    key,
    sha256: s.sha256,
    targets: s.document.reduce((n, g) => n + g.targets.length, 0),
    groups: s.document.length,
    bytes: Buffer.byteLength(s.text),
    ...(namespaceId ? { namespaceId } : {}),
  };
}

/**
 * The document's groups by shard, each shard serialized as a document of its own; sorted by
 * id. `sha256Of` may remember the digests of texts it saw (a warm writer hashes only the
 * shards that changed).
 */
export function splitDocument(document: TargetDocument, sha256Of: (id: string, text: string) => string = (_id, text) => sha256Hex(text)): Shard[] {
  const parts = partitionDocument(document, (g) => {
    const label = g.labels?.[SERVICE_ID_LABEL];
    return label !== undefined && isShardId(label) ? label : UNSHARDED_ID;
  });
  return [...parts.keys()].sort(compareText).map((id) => {
    const doc = parts.get(id)!;
    const text = serializeDocument(doc);
    return { id, document: doc, text, sha256: sha256Of(id, text) };
  });
}

/** The documents of shards joined into the one document (normalized: the single document's bytes). */
export function joinShards(shards: readonly TargetDocument[]): TargetDocument {
  return normalizeDocument(shards.flat());
}

const OPEN = Buffer.from("[\n");
const CLOSE = Buffer.from("\n]\n");
const SEPARATOR = Buffer.from(",\n");

/** The order normalizeDocument sorts groups in: the sort key, then the group's JSON. */
function compareGroups(a: TargetGroup, b: TargetGroup): number {
  return compareText(groupSortKey(a), groupSortKey(b)) || compareText(JSON.stringify(a), JSON.stringify(b));
}

/**
 * Non-empty sorted runs of a document's groups (shards) in the order the single document
 * lists them: by their first groups; undefined when two runs overlap in that order (then
 * the document is not the runs laid end to end and must be normalized whole).
 */
export function orderedRuns<T extends { document: TargetDocument }>(runs: readonly T[]): T[] | undefined {
  const ordered = runs.filter((r) => r.document.length > 0).sort((a, b) => compareGroups(a.document[0]!, b.document[0]!));
  for (let i = 1; i < ordered.length; i++) {
    const last = ordered[i - 1]!.document;
    if (compareGroups(last[last.length - 1]!, ordered[i]!.document[0]!) >= 0) return undefined;
  }
  return ordered;
}

/**
 * The single document's bytes from the shards' own bytes, without parsing, sorting or
 * serializing the groups again: each shard is a sorted run of the document's lines, and the
 * runs are laid end to end in the order of their first groups. Only when no two runs
 * overlap in that order (every shard's last group sorts before the next shard's first;
 * true of shards by Cloud Map service, whose groups share a namespace and service name);
 * else undefined, and the caller joins with joinShards. `document` is each shard's
 * document as parsed from its bytes (serializeDocument's text: labels, then targets).
 */
export function joinShardBytes(shards: readonly { bytes: Buffer; document: TargetDocument }[]): { body: Buffer; document: TargetDocument } | undefined {
  const runs = orderedRuns(shards);
  if (!runs) return undefined;
  for (const r of runs) {
    const b = r.bytes;
    if (b.length < OPEN.length + CLOSE.length || !b.subarray(0, OPEN.length).equals(OPEN) || !b.subarray(b.length - CLOSE.length).equals(CLOSE))
      return undefined;
  }
  if (runs.length === 0) return { body: Buffer.from("[]\n"), document: [] };
  const parts: Buffer[] = [OPEN];
  runs.forEach((r, i) => {
    if (i > 0) parts.push(SEPARATOR);
    parts.push(r.bytes.subarray(OPEN.length, r.bytes.length - CLOSE.length));
  });
  parts.push(CLOSE);
  return { body: Buffer.concat(parts), document: runs.flatMap((r) => r.document) };
}

/** The index of `shards` for a document of `documentKey`; `keys` from shardKeys (default: all new). */
export function indexOf(
  documentKey: string,
  shards: readonly Shard[],
  combinedSha256: string,
  fields: { generation: number; generatedAt: string; stateGeneration: number; retired?: ShardIndex["retired"]; keys?: readonly string[] },
): ShardIndex {
  const keys = fields.keys ?? shardKeys(documentKey, shards, fields.generation, undefined);
  return indexOfEntries(
    shards.map((s, i) => entryOf(s, keys[i]!)),
    combinedSha256,
    fields,
  );
}

/** The index listing `entries` (sorted here by id). */
export function indexOfEntries(
  entries: readonly ShardEntry[],
  combinedSha256: string,
  fields: { generation: number; generatedAt: string; stateGeneration: number; retired?: ShardIndex["retired"] },
): ShardIndex {
  const sorted = [...entries].sort((a, b) => compareText(a.id, b.id));
  return {
    schemaVersion: 1,
    generation: fields.generation,
    generatedAt: fields.generatedAt,
    stateGeneration: fields.stateGeneration,
    sha256: combinedSha256,
    targets: sorted.reduce((n, e) => n + e.targets, 0),
    groups: sorted.reduce((n, e) => n + e.groups, 0),
    shards: sorted,
    retired: fields.retired ?? [],
  };
}

/**
 * The retired list of the next index: the shard keys `previous` listed that `next` does not,
 * retired now, plus those already retired less than RETIRE_MS ago and not listed again.
 * Also what may be deleted now (retired RETIRE_MS ago or more).
 */
export function retire(
  previous: { shards: readonly { key: string }[]; retired: ShardIndex["retired"] } | undefined,
  nextKeys: ReadonlySet<string>,
  now: Date,
): { retired: ShardIndex["retired"]; expired: string[] } {
  const at = now.toISOString();
  const cutoff = now.getTime() - RETIRE_MS;
  const retired: ShardIndex["retired"] = [];
  const expired: string[] = [];
  const seen = new Set<string>();
  for (const r of previous?.retired ?? []) {
    if (nextKeys.has(r.key) || seen.has(r.key)) continue;
    seen.add(r.key);
    if (Date.parse(r.at) <= cutoff) expired.push(r.key);
    else retired.push(r);
  }
  for (const s of previous?.shards ?? []) {
    if (nextKeys.has(s.key) || seen.has(s.key)) continue;
    seen.add(s.key);
    retired.push({ key: s.key, at });
  }
  retired.sort((a, b) => compareText(a.key, b.key));
  return { retired, expired: expired.sort(compareText) };
}

/** Deterministic text of an index (keys in a fixed order, one shard per line). */
export function serializeIndex(index: ShardIndex): string {
  const line = (o: unknown) => JSON.stringify(o);
  const head = (["schemaVersion", "generation", "generatedAt", "stateGeneration", "sha256", "targets", "groups"] as const)
    .map((k) => `${line(k)}:${line(index[k])}`)
    .join(",");
  const shard = (e: ShardEntry) =>
    line({
      id: e.id,
      key: e.key,
      sha256: e.sha256,
      targets: e.targets,
      groups: e.groups,
      bytes: e.bytes,
      ...(e.namespaceId ? { namespaceId: e.namespaceId } : {}),
    });
  return `{${head},\n"shards":[\n${index.shards.map(shard).join(",\n")}\n],\n"retired":${line(index.retired)}}\n`;
}

/** Parses and checks an index; throws IndexValidationError naming the problem. */
export function parseIndex(text: string): ShardIndex {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new IndexValidationError(`index is not valid JSON: ${(err as Error).message}`);
  }
  const o = v as Partial<ShardIndex> | null;
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new IndexValidationError("index is not a JSON object");
  if (o.schemaVersion !== 1) throw new IndexValidationError(`index has an unknown schemaVersion ${JSON.stringify(o.schemaVersion)}; this version reads 1`);
  if (!Number.isInteger(o.generation) || (o.generation as number) < 0) throw new IndexValidationError("index has no valid generation");
  if (typeof o.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(o.sha256)) throw new IndexValidationError("index has no valid sha256");
  if (!Array.isArray(o.shards)) throw new IndexValidationError('index has no "shards" array');
  const ids = new Set<string>();
  for (const [i, s] of o.shards.entries()) {
    const e = s as Partial<ShardEntry> | null;
    if (!e || typeof e !== "object") throw new IndexValidationError(`shard ${i} is not an object`);
    if (typeof e.id !== "string" || !isShardId(e.id)) throw new IndexValidationError(`shard ${i} has an invalid id ${JSON.stringify(e.id)}`);
    if (ids.has(e.id)) throw new IndexValidationError(`shard ${e.id} is listed twice`);
    ids.add(e.id);
    if (typeof e.key !== "string" || e.key === "") throw new IndexValidationError(`shard ${e.id} has no key`);
    if (typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256)) throw new IndexValidationError(`shard ${e.id} has no valid sha256`);
  }
  return { retired: [], stateGeneration: 0, generatedAt: "", targets: 0, groups: 0, ...o } as ShardIndex;
}

export class IndexValidationError extends Error {
  override name = "IndexValidationError";
  readonly reason = "bad_index";
}
