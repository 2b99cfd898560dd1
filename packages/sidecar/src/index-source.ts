// `s3://BUCKET/KEY.index.json`: the sharded publication (core's shards.ts) read as the one
// document it describes. The index is polled with a conditional GET (If-None-Match on the
// applied ETag: 304 = unchanged, as the s3 source). On a new index only the shards not
// already held are fetched: a shard's key holds its sha256, so a held shard with the
// entry's key and sha256 is the entry's bytes. Each fetched shard is checked against its
// entry's sha256 (else sha256_mismatch) and parsed with core's parseDocument. The document
// is the shards' bytes laid end to end (joinShardBytes; else serializeDocument of
// joinShards), the very bytes of the single document, and its sha256 must be the index's
// (else sha256_mismatch). Nothing is handed on until every shard of that one index is
// verified, so two generations never mix (README guarantee G10); any failure is an error
// and the Syncer keeps its last document. A shard's 404 (the index moved on and the shard
// was deleted) is not_found: the next poll reads the index again. Held shards: those of
// the last assembled index, plus the verified ones of a failed index (a retry fetches only
// what is missing); every other one is dropped. One instance keeps them across polls: the
// ssm: source (ssm-source.ts) holds one for the index its manifest names, and passes
// IndexFetchOptions (an unconditional GET, and a check of the index read against the
// manifest before any shard is fetched).
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import {
  DocumentValidationError,
  IndexValidationError,
  joinShardBytes,
  joinShards,
  parseDocument,
  parseIndex,
  serializeDocument,
  sha256Hex,
  type ShardEntry,
  type ShardIndex,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { loadS3 } from "./sdk";
import {
  SourceError,
  bodyBytes,
  classifyAwsError,
  conditionalGet,
  type FetchResult,
  type S3Like,
  type Source,
  type SourceState,
  type VerifiedShard,
} from "./source-base";

export interface IndexSourceOptions {
  /** Called with the size of every shard body fetched (whether it then verifies or not). */
  onShardFetched?: (bytes: number) => void;
  /** Shards fetched at once; default 8. */
  concurrency?: number;
}

/** A verified shard held for the next index. */
interface Held extends VerifiedShard {
  document: TargetDocument;
}

/** Runs `fn` on every item, `limit` at a time; after the first failure no new item starts, and that error is thrown once the running ones settle. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** What a caller other than the Syncer (the ssm: source) asks of one fetch. */
export interface IndexFetchOptions {
  /** Send If-None-Match with `previous.etag` (default true). */
  conditional?: boolean;
  /** Called with the index read, before any shard is fetched; throws (a SourceError) to refuse it. */
  check?: (index: ShardIndex) => void;
}

/** An index source; its fetch also takes IndexFetchOptions. */
export interface IndexSource extends Source {
  fetch(previous: SourceState, signal?: AbortSignal, options?: IndexFetchOptions): Promise<FetchResult>;
}

export function indexSource(client: S3Like, bucket: string, key: string, opts: IndexSourceOptions = {}): IndexSource {
  const description = `s3://${bucket}/${key}`;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  /** The shards of the last assembled index, by key. */
  let held = new Map<string, Held>();
  /** The verified shards of the last index that failed, by key. */
  let attempt = new Map<string, Held>();

  const heldFor = (e: ShardEntry): Held | undefined => {
    const h = held.get(e.key) ?? attempt.get(e.key);
    return h && h.sha256 === e.sha256 && h.id === e.id ? h : undefined;
  };

  async function getShard(index: ShardIndex, e: ShardEntry, signal?: AbortSignal): Promise<Held> {
    const { GetObjectCommand } = await loadS3();
    const where = `s3://${bucket}/${e.key}`;
    let out: GetObjectCommandOutput;
    try {
      out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: e.key }), signal ? { abortSignal: signal } : undefined);
    } catch (err) {
      throw classifyAwsError(err, `GetObject ${where} (shard ${e.id} of index generation ${index.generation})`);
    }
    const bytes = await bodyBytes(out);
    opts.onShardFetched?.(bytes.length);
    const sha256 = sha256Hex(bytes);
    if (sha256 !== e.sha256) {
      throw new SourceError(
        "sha256_mismatch",
        `shard ${e.id} ${where} has sha256 ${sha256.slice(0, 12)}…, index generation ${index.generation} says ${e.sha256.slice(0, 12)}…`,
      );
    }
    try {
      return { id: e.id, sha256, bytes, document: parseDocument(bytes.toString("utf8")) };
    } catch (err) {
      if (err instanceof DocumentValidationError) throw new DocumentValidationError(err.reason, `shard ${e.id} ${where}: ${err.message}`);
      throw err;
    }
  }

  return {
    description,
    async fetch(previous, signal, options = {}) {
      const ifNoneMatch = options.conditional === false ? undefined : previous.etag;
      const out = await conditionalGet(client, bucket, key, ifNoneMatch, description, signal);
      if (out === "not_modified") return { status: "unchanged", note: "not_modified" };
      const etag = out.ETag;
      let index: ShardIndex;
      try {
        index = parseIndex((await bodyBytes(out)).toString("utf8"));
      } catch (err) {
        if (err instanceof IndexValidationError) throw new SourceError(err.reason, `${description}: ${err.message}`, { cause: err });
        throw err;
      }
      options.check?.(index);
      // The same document rewritten (e.g. only its retired list changed): nothing to fetch.
      if (previous.generation === index.generation && previous.sha256 === index.sha256) {
        return { status: "unchanged", note: "same_generation", ...(etag ? { etag } : {}) };
      }
      const next = new Map<string, Held>();
      const missing: ShardEntry[] = [];
      for (const e of index.shards) {
        const h = heldFor(e);
        if (h) next.set(e.key, h);
        else missing.push(e);
      }
      const reused = next.size;
      let bytes = 0;
      try {
        await eachLimited(missing, concurrency, async (e) => {
          const h = await getShard(index, e, signal);
          bytes += h.bytes.length;
          next.set(e.key, h);
        });
      } catch (err) {
        attempt = next;
        throw err;
      }
      const shards = index.shards.map((e) => next.get(e.key)!);
      // The shards' bytes laid end to end (core's joinShardBytes: nothing parsed, sorted or
      // serialized again); when they cannot be, or do not give the index's sha256, the
      // groups are joined and serialized again (joinShards).
      let joined = joinShardBytes(shards);
      let sha256 = joined ? sha256Hex(joined.body) : "";
      if (!joined || sha256 !== index.sha256) {
        const document = joinShards(shards.map((s) => s.document));
        joined = { body: Buffer.from(serializeDocument(document)), document };
        sha256 = sha256Hex(joined.body);
      }
      const { body, document } = joined;
      if (sha256 !== index.sha256) {
        attempt = next;
        throw new SourceError(
          "sha256_mismatch",
          `${description}: the ${shards.length} shards join into a document with sha256 ${sha256.slice(0, 12)}…, index generation ${index.generation} says ${index.sha256.slice(0, 12)}…`,
        );
      }
      held = next;
      attempt = new Map();
      return {
        status: "changed",
        body,
        document,
        sha256,
        generation: index.generation,
        ...(etag ? { etag } : {}),
        shards: shards.map(({ id, sha256, bytes }) => ({ id, sha256, bytes })),
        fetched: { shards: missing.length, bytes, reused },
      };
    },
  };
}
