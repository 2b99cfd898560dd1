// The sharded copy of the published document (core's shards.ts layout, README guarantee G10):
// after the single document is written (or found unchanged), the shards it splits into and
// the index that lists them. A one-service change writes one shard object and the index;
// a sidecar following the index moves only those. Steps, each with the failure it prevents:
//
//  1. Read the index (a conditional GET with the target's cache). If it already describes
//     this sha256 at this generation or a later one, stop: nothing to write (an unchanged
//     document, a retry). An index built from a newer state is left alone (README guarantee
//     G9). Otherwise the index written is numbered above both the document's generation and
//     the index's (event batches move the index alone): generations only go up.
//  2. Split the document into shards (core's splitDocument); the sha256 of a shard whose
//     text the cache saw before is not computed again.
//  3. Put every shard whose key the index does not list (core's shardKeys: an unchanged
//     shard keeps its key; a changed or new one gets a key of this generation and its
//     sha256), If-None-Match: *; a 412 is a writer of this same generation that put the
//     same bytes. All before the index: the index never names a shard that is not complete.
//  4. Put the index conditionally (If-Match the ETag of step 1, If-None-Match: * when there
//     was none): a lost race starts again at step 1, where an index as new as this one
//     ends it (the store's one backoff, retryOnConflict).
//  5. Then delete the shards retired RETIRE_MS ago or more (core's retire): no index lists
//     them and none will again (keys are never reused), and a sidecar still reading an
//     older index has had time to finish. Best effort: a failed delete is counted and the
//     object stays (an unlisted object, never read).
// The index and the shards are stored gzip-compressed (Content-Encoding: gzip; JSON of
// repeated labels shrinks about tenfold): a one-service change moves a few tens of KB.
// Their sha256 are of the uncompressed text.
// A crash anywhere leaves the previous index and every shard it lists in place: readers
// see the previous generation whole, or the new one whole.
import { gzipSync } from "node:zlib";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import {
  ConflictError,
  entryOf,
  indexKeyOf,
  indexOfEntries,
  parseIndex,
  retire,
  serializeIndex,
  sha256Hex,
  shardKeys,
  splitDocument,
  type ManifestIndex,
  type Shard,
  type ShardEntry,
  type ShardIndex,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { retryOnConflict } from "./conflict-retry";
import { putConditional, readObject } from "./s3-object";
import type { PublishTarget } from "./target";

export interface ShardPublishOutcome {
  /** The index was written (false: it already described this document). */
  written: boolean;
  shardsWritten: number;
  shards: number;
  /** Bytes of shard objects and of the index written. */
  bytesWritten: number;
  deleted: number;
  deleteErrors: number;
  /** The published index after this call (written or found): what the manifest points at. */
  index: ManifestIndex;
}

export interface ShardPublishInput {
  document: TargetDocument;
  /** The document's shards when the caller built them (core's ShardBuilder): not split again. */
  shards?: readonly Shard[];
  /** Of the combined text (the single document). */
  sha256: string;
  generation: number;
  stateGeneration: number;
  now: Date;
}

/** The published index, undefined when there is none or it does not parse (it is replaced). */
export async function readIndex(
  t: Pick<PublishTarget, "s3" | "bucket" | "key" | "cache">,
): Promise<{ index: ShardIndex | undefined; etag: string | undefined }> {
  const key = indexKeyOf(t.key);
  const obj = await readObject(t.s3, t.bucket, key, t.cache);
  if (!obj) return { index: undefined, etag: undefined };
  try {
    const index = t.cache ? t.cache.parsed(t.bucket, key, obj, "index", parseIndex) : parseIndex(obj.body);
    return { index, etag: obj.etag };
  } catch {
    return { index: undefined, etag: obj.etag };
  }
}

/** Shard texts the cache saw, by shard id: their sha256 is not computed again. */
const SHA_MEMO = "shard-sha256";

function sha256Of(t: Pick<PublishTarget, "cache">): ((id: string, text: string) => string) | undefined {
  const memo = t.cache?.memo<Map<string, { text: string; sha256: string }>>(SHA_MEMO, () => new Map());
  if (!memo) return undefined;
  return (id, text) => {
    const seen = memo.get(id);
    if (seen && seen.text === text) return seen.sha256;
    const sha256 = sha256Hex(text);
    memo.set(id, { text, sha256 });
    return sha256;
  };
}

/**
 * Brings the index to `input`'s generation (steps above). A lost race for the index (another
 * writer's index came first) reads it again and stops when it is as new as ours or newer;
 * else it tries again: the document itself was written already and is not touched here.
 */
export async function publishShards(
  t: PublishTarget,
  input: ShardPublishInput,
  options: { maxAttempts?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<ShardPublishOutcome> {
  return retryOnConflict(() => publishShardsOnce(t, input), { maxAttempts: options.maxAttempts ?? 8, sleep: options.sleep });
}

async function publishShardsOnce(t: PublishTarget, input: ShardPublishInput): Promise<ShardPublishOutcome> {
  const { index: previous, etag } = await readIndex(t); // (1)
  if (previous && previous.sha256 === input.sha256 && previous.generation >= input.generation) return unchanged(t, previous, etag);
  // The index of a newer state stands (README guarantee G9): it is the newer publication.
  if (previous && previous.stateGeneration > input.stateGeneration) return unchanged(t, previous, etag);
  const shards = input.shards ?? splitDocument(input.document, sha256Of(t)); // (2)
  // Above the published index too: generations only go up.
  const generation = Math.max(input.generation, (previous?.generation ?? 0) + 1);
  return commitIndex(t, previous, etag, shards, [], { sha256: input.sha256, generation, stateGeneration: input.stateGeneration, now: input.now });
}

/** The outcome when the published index stays as it is. */
export function unchanged(t: Pick<PublishTarget, "key">, index: ShardIndex, etag: string | undefined): ShardPublishOutcome {
  return {
    written: false,
    shardsWritten: 0,
    shards: index.shards.length,
    bytesWritten: 0,
    deleted: 0,
    deleteErrors: 0,
    index: { key: indexKeyOf(t.key), generation: index.generation, sha256: index.sha256, etag: etag ?? "" },
  };
}

/**
 * Steps 3 to 5: puts the shards whose keys `previous` does not list, then the index listing
 * them and the `kept` entries (shards of `previous` left as they are), conditionally, then
 * deletes what retired long enough ago. A lost race for the index throws ConflictError.
 */
export async function commitIndex(
  t: PublishTarget,
  previous: ShardIndex | undefined,
  etag: string | undefined,
  shards: readonly Shard[],
  kept: readonly ShardEntry[],
  fields: { sha256: string; generation: number; stateGeneration: number; now: Date },
): Promise<ShardPublishOutcome> {
  const keys = shardKeys(t.key, shards, fields.generation, previous);
  const listed = new Set(previous?.shards.map((s) => s.key));
  let shardsWritten = 0;
  let bytesWritten = 0;
  // (3) New keys only: an unchanged shard keeps the key the previous index lists.
  const missing = shards.map((s, i) => ({ s, key: keys[i]! })).filter((m) => !listed.has(m.key));
  for (let i = 0; i < missing.length; i += 16) {
    await Promise.all(
      missing.slice(i, i + 16).map(async ({ s, key }) => {
        try {
          const body = gzipSync(s.text);
          await putConditional(t.s3, t.bucket, key, body, { ifMatch: undefined, metadata: { sha256: s.sha256 }, contentEncoding: "gzip" });
          shardsWritten += 1;
          bytesWritten += body.byteLength;
        } catch (err) {
          // 412 (or 409, a write of it in flight): a writer of this same generation put this
          // key, and the key names the bytes (generation and sha256), so they are these.
          if (!(err instanceof ConflictError)) throw err;
        }
      }),
    );
  }
  const entries = [...shards.map((s, i) => entryOf(s, keys[i]!)), ...kept];
  const { retired, expired } = retire(previous, new Set(entries.map((e) => e.key)), fields.now);
  const index = indexOfEntries(entries, fields.sha256, {
    generation: fields.generation,
    generatedAt: fields.now.toISOString(),
    stateGeneration: fields.stateGeneration,
    retired,
  });
  const text = serializeIndex(index);
  const indexKey = indexKeyOf(t.key);
  const metadata = { generation: String(index.generation), sha256: index.sha256 };
  const compressed = gzipSync(text);
  const written = await putConditional(t.s3, t.bucket, indexKey, compressed, { ifMatch: etag, metadata, contentEncoding: "gzip" }); // (4)
  t.cache?.wrote(t.bucket, indexKey, { body: text, etag: written, metadata }, "index", index);
  bytesWritten += compressed.byteLength;
  // (5) Only once this index is the published one: the expired keys are in no index a
  // writer can still build on (no index lists them, and a key is never listed again).
  let deleted = 0;
  let deleteErrors = 0;
  for (const key of expired) {
    try {
      await t.s3.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: key }));
      deleted += 1;
    } catch {
      deleteErrors += 1;
    }
  }
  return {
    written: true,
    shardsWritten,
    shards: entries.length,
    bytesWritten,
    deleted,
    deleteErrors,
    index: { key: indexKey, generation: index.generation, sha256: index.sha256, etag: written },
  };
}
