// The targets as published now, whichever object holds the newest publication: the single
// document, or the shard index when an event batch moved it past the document
// (PUBLISH_SINGLE_DOCUMENT=full-reconcile). Read as a sidecar following the manifest reads
// them: the shards the index lists, each checked against its sha256, joined into the one
// document (core's joinShardBytes, else joinShards), whose sha256 must be the index's. The
// audit compares this with a fresh discovery; tests read the publication through it.
import {
  errorLine,
  joinShardBytes,
  joinShards,
  parseDocument,
  serializeDocument,
  sha256Hex,
  type Shard,
  type ShardEntry,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { readPublished, type PublishedDocument } from "./publish";
import { readObject } from "./s3-object";
import { readIndex } from "./shard-publish";
import type { PublishTarget } from "./target";

export interface PublishedTargets extends PublishedDocument {
  /** Which object the targets come from. */
  source: "document" | "index";
  /** The single document's problem when the targets come from the index (readers of the document alone get it). */
  documentInvalid?: string;
}

/** A shard the index lists could not be read back as listed (missing, another sha256, not a document). */
export class ShardReadError extends Error {
  override name = "ShardReadError";
}

/** A shard object the index lists, read back and checked against its sha256. */
export async function readShard(t: Pick<PublishTarget, "s3" | "bucket">, e: ShardEntry): Promise<Shard> {
  const where = `s3://${t.bucket}/${e.key}`;
  const obj = await readObject(t.s3, t.bucket, e.key);
  if (!obj) throw new ShardReadError(`${where}: a shard the index lists is missing`);
  const sha256 = sha256Hex(obj.body);
  if (sha256 !== e.sha256) throw new ShardReadError(`${where}: sha256 ${sha256.slice(0, 12)}…, the index lists ${e.sha256.slice(0, 12)}…`);
  try {
    return { id: e.id, document: parseDocument(obj.body), text: obj.body, sha256 };
  } catch (err) {
    throw new ShardReadError(`${where}: not a valid document (${errorLine(err)})`);
  }
}

/** The newest publication's targets; undefined when nothing is published. */
export async function readPublishedTargets(t: Pick<PublishTarget, "s3" | "bucket" | "key" | "cache">): Promise<PublishedTargets | undefined> {
  const [doc, { index, etag }] = await Promise.all([readPublished(t), readIndex(t)]);
  // The newer publication: by generation, and on a tie by the state it was built from (what a sidecar following the manifest shows).
  const documentNewer =
    doc && index && (doc.generation > index.generation || (doc.generation === index.generation && doc.stateGeneration >= index.stateGeneration));
  if (!index || documentNewer) return doc && { ...doc, source: "document" };
  const shards: Shard[] = [];
  for (let i = 0; i < index.shards.length; i += 16) shards.push(...(await Promise.all(index.shards.slice(i, i + 16).map((e) => readShard(t, e)))));
  const joined = joinShardBytes(shards.map((s) => ({ bytes: Buffer.from(s.text), document: s.document })));
  const text = joined ? joined.body.toString("utf8") : serializeDocument(joinShards(shards.map((s) => s.document)));
  const document: TargetDocument = joined ? joined.document : parseDocument(text);
  const sha256 = sha256Hex(text);
  return {
    source: "index",
    document,
    text,
    etag: etag ?? "",
    generation: index.generation,
    sha256,
    generatedAt: index.generatedAt,
    stateGeneration: index.stateGeneration,
    ...(doc?.invalid !== undefined ? { documentInvalid: doc.invalid } : {}),
    ...(sha256 !== index.sha256 ? { invalid: `the shards join into sha256 ${sha256.slice(0, 12)}…, the index says ${index.sha256.slice(0, 12)}…` } : {}),
  };
}
