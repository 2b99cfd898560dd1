// The state object in S3 as a head and parts (core's state-shards.ts layout): its read
// (the head, then the parts it lists, each checked against its sha256) and its write
// (the parts a change touched, then the head, conditionally). A warm process keeps the
// parts it read or wrote: a part's key names its bytes, so a part held is never read
// again, and the assembled state is kept per head ETag (a 304 on the head reads nothing).
// A state written whole by an earlier version (schemaVersion 1) is read as it is and
// replaced by a head and parts on the next write. Steps of a write, each with the failure
// it prevents:
//
//  1. Spread the state's services and tasks over the parts (partCountFor keeps the count
//     while the fleet is within a factor of two of it) and find the parts the change
//     touched (core's changedParts, by identity); every part when there was no head or the
//     count changed.
//  2. Serialize each touched part; one whose sha256 the head lists already keeps its key,
//     a new one gets a key of this generation and its sha256 (never reused).
//  3. Put the new parts (gzip, If-None-Match: *; a 412 is another writer of this very
//     key, whose bytes the key names), all before the head: a head never lists a part
//     that is not complete.
//  4. Put the head, If-Match the ETag read (If-None-Match: * for a new object): the one
//     conditional write that commits the state (README guarantee G9). A lost race is the
//     caller's (updateStateAndPublish reads again and re-applies its change); the parts it
//     wrote are unlisted, retired by no one, and cost only their storage.
//  5. Delete the parts retired RETIRE_MS ago (core's retire): no head lists them and a
//     reader of an older head has long finished. Best effort.
import { gzipSync } from "node:zlib";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import {
  assembleState,
  changedParts,
  ConflictError,
  deepFreeze,
  errorLine,
  headOf,
  partCountFor,
  partOf,
  ReconcilerStateError,
  retire,
  sha256Hex,
  statePartKeyOf,
  STATE_HEAD_VERSION,
  type ReconcilerState,
  type StateHead,
  type StatePart,
  type StatePartEntry,
} from "@scrape-reconciler/core";
import type { ObjectCache } from "./object-cache";
import { headObject, putConditional, readObject } from "./s3-object";
import type { PublishTarget } from "./target";

export type StatePartsTarget = Pick<PublishTarget, "s3" | "bucket" | "cache"> & { stateKey: string };

/** The state head's metadata name for its generation. */
export const STATE_GENERATION_META = "generation";

/**
 * The generation of the state written last, from a HEAD of its head (no body); undefined
 * when there is none or it was written by a version that did not record it. A publisher
 * whose state is older leaves the publication to the newer state's writer (README G9).
 */
export async function latestStateGeneration(t: Pick<StatePartsTarget, "s3" | "bucket" | "stateKey">): Promise<number | undefined> {
  const head = await headObject(t.s3, t.bucket, t.stateKey);
  const n = Number(head?.metadata[STATE_GENERATION_META]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** What the state object's body parses to: a whole state (version 1) or a head. */
export type StateBody = { kind: "whole"; state: ReconcilerState } | { kind: "head"; head: StateHead };

const PARTS_MEMO = "state-parts";
const ASSEMBLED_MEMO = "state-assembled";
const CONCURRENCY = 16;

function partsMemo(cache: ObjectCache | undefined): Map<string, StatePart> | undefined {
  return cache?.memo(PARTS_MEMO, () => new Map<string, StatePart>());
}

/** Parses the state object's body; throws ReconcilerStateError naming the object. */
export function parseStateBody(where: string, body: string): StateBody {
  let v: { schemaVersion?: unknown };
  try {
    v = JSON.parse(body) as { schemaVersion?: unknown };
  } catch (err) {
    throw new ReconcilerStateError(where, `not JSON (${errorLine(err)})`, err);
  }
  if (v?.schemaVersion === 1) return { kind: "whole", state: v as ReconcilerState };
  if (v?.schemaVersion === STATE_HEAD_VERSION) {
    const head = v as StateHead;
    if (!Number.isInteger(head.parts) || head.parts < 1 || !Array.isArray(head.entries)) {
      throw new ReconcilerStateError(where, "state head has no valid parts list");
    }
    return { kind: "head", head };
  }
  throw new ReconcilerStateError(where, `unknown schemaVersion ${String(v?.schemaVersion)}; this version reads 1 and ${STATE_HEAD_VERSION}`);
}

/** The state a head describes: its parts from the process' memo or S3 (sha256 checked), assembled. */
export async function readStateParts(t: StatePartsTarget, head: StateHead, etag: string): Promise<ReconcilerState> {
  const assembled = t.cache?.memo<{ etag: string; state?: ReconcilerState }>(ASSEMBLED_MEMO, () => ({ etag: "" }));
  if (assembled?.state && assembled.etag === etag && etag !== "") return assembled.state;
  const memo = partsMemo(t.cache);
  const parts: StatePart[] = [];
  const missing = head.entries.filter((e) => {
    const held = memo?.get(e.key);
    if (held) parts.push(held);
    return !held;
  });
  for (let i = 0; i < missing.length; i += CONCURRENCY) {
    const read = await Promise.all(missing.slice(i, i + CONCURRENCY).map((e) => readPart(t, e, memo !== undefined)));
    for (const [j, part] of read.entries()) {
      parts.push(part);
      memo?.set(missing[i + j]!.key, part);
    }
  }
  if (memo) for (const key of memo.keys()) if (!head.entries.some((e) => e.key === key)) memo.delete(key);
  // Shared by a warm process' readers, so frozen; a process without the cache gets its own copy.
  const state = t.cache ? deepFreeze(assembleState(head, parts)) : assembleState(head, parts);
  if (assembled && etag !== "") Object.assign(assembled, { etag, state });
  return state;
}

async function readPart(t: StatePartsTarget, e: StatePartEntry, shared: boolean): Promise<StatePart> {
  const where = `s3://${t.bucket}/${e.key}`;
  const obj = await readObject(t.s3, t.bucket, e.key);
  if (!obj) throw new ReconcilerStateError(where, "a state part the state head lists is missing");
  if (sha256Hex(obj.body) !== e.sha256) throw new ReconcilerStateError(where, "a state part does not have the sha256 the state head lists");
  try {
    const part = JSON.parse(obj.body) as StatePart;
    return shared ? deepFreeze(part) : part;
  } catch (err) {
    throw new ReconcilerStateError(where, `not JSON (${errorLine(err)})`, err);
  }
}

export interface StatePartsWrite {
  etag: string;
  head: StateHead;
  partsWritten: number;
  bytesWritten: number;
  deleted: number;
}

/**
 * Writes `after` (generation already set) as a head and parts, given the state read
 * (`before`, its head when it had one, and the head's ETag). Steps 1 to 5 above.
 */
export async function writeStateParts(
  t: StatePartsTarget,
  read: { state: ReconcilerState; head?: StateHead; etag: string | undefined },
  after: ReconcilerState,
  now: Date,
): Promise<StatePartsWrite> {
  // (1)
  const parts = partCountFor(Object.keys(after.services).length + Object.keys(after.tasks).length, read.head?.parts);
  const same = read.head && read.head.parts === parts ? read.head : undefined;
  const touched = same ? changedParts(read.state, after, parts) : new Set(Array.from({ length: parts }, (_, i) => i));
  const contents = new Map<number, StatePart>([...touched].map((p) => [p, { services: {}, tasks: {} }]));
  if (contents.size > 0) {
    for (const id in after.services) {
      const c = contents.get(partOf(id, parts));
      if (c) c.services[id] = after.services[id]!;
    }
    for (const id in after.tasks) {
      const c = contents.get(partOf(id, parts));
      if (c) c.tasks[id] = after.tasks[id]!;
    }
  }
  // (2)
  const listed = new Map((same?.entries ?? []).map((e) => [e.part, e]));
  const entries: StatePartEntry[] = (same?.entries ?? []).filter((e) => !touched.has(e.part));
  const writes: { key: string; text: string; part: StatePart }[] = [];
  for (const [p, part] of contents) {
    const services = Object.keys(part.services).length;
    const tasks = Object.keys(part.tasks).length;
    if (services + tasks === 0) continue;
    const text = JSON.stringify(part);
    const sha256 = sha256Hex(text);
    const previous = listed.get(p);
    const key = previous && previous.sha256 === sha256 ? previous.key : statePartKeyOf(t.stateKey, p, after.generation, sha256);
    entries.push({ part: p, key, sha256, services, tasks });
    if (key !== previous?.key) writes.push({ key, text, part });
  }
  entries.sort((a, b) => a.part - b.part);
  // (3)
  let bytesWritten = 0;
  for (let i = 0; i < writes.length; i += CONCURRENCY) {
    await Promise.all(
      writes.slice(i, i + CONCURRENCY).map(async (w) => {
        const body = gzipSync(w.text);
        try {
          await putConditional(t.s3, t.bucket, w.key, body, { ifMatch: undefined, contentEncoding: "gzip" });
          bytesWritten += body.byteLength;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
      }),
    );
  }
  // (4)
  const { retired, expired } = retire(
    read.head ? { shards: read.head.entries, retired: read.head.retired ?? [] } : undefined,
    new Set(entries.map((e) => e.key)),
    now,
  );
  const head = headOf(after, parts, entries, retired);
  const text = JSON.stringify(head);
  const body = gzipSync(text);
  // Its generation as metadata too: a publisher checks with a HEAD that no newer state was written since its own.
  const etag = await putConditional(t.s3, t.bucket, t.stateKey, body, {
    ifMatch: read.etag,
    contentEncoding: "gzip",
    metadata: { [STATE_GENERATION_META]: String(after.generation) },
  });
  bytesWritten += body.byteLength;
  // A warm process' next read is a 304, this head and this very state (frozen from now on).
  const memo = partsMemo(t.cache);
  for (const w of writes) memo?.set(w.key, deepFreeze(w.part));
  t.cache?.wrote(t.bucket, t.stateKey, { body: text, etag, metadata: {} }, "state", { kind: "head", head } satisfies StateBody);
  const assembled = t.cache?.memo<{ etag: string; state?: ReconcilerState }>(ASSEMBLED_MEMO, () => ({ etag: "" }));
  if (assembled && etag) Object.assign(assembled, { etag, state: deepFreeze(after) });
  // (5)
  let deleted = 0;
  for (const key of expired) {
    try {
      await t.s3.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: key }));
      deleted += 1;
      memo?.delete(key);
    } catch {
      // Best effort: an unlisted object is never read.
    }
  }
  return { etag, head, partsWritten: writes.length, bytesWritten, deleted };
}
