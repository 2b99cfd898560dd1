// Conditional S3 objects: read with the ETag, write with If-Match on the ETag read (or
// If-None-Match: * when there was none), so a writer that lost a race gets ConflictError
// instead of replacing a newer object. Used for the targets document and every piece of
// state kept beside it.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { awsErrorKind, ConflictError, errorLine, httpStatusOf, isNotFound, PublishError } from "@scrape-reconciler/core";
import { gunzipSync } from "node:zlib";
import type { ObjectCache } from "./object-cache";

export interface StoredObject {
  body: string;
  etag: string;
  metadata: Record<string, string>;
  lastModified?: Date;
}

/**
 * Reads an object; undefined when it does not exist. Other errors propagate. With a cache
 * holding the object, a conditional GET: 304 (unchanged) gives the cached copy, no body.
 */
export async function readObject(
  s3: S3Client,
  bucket: string,
  key: string,
  cache?: ObjectCache,
  options: { freshMetadata?: boolean } = {},
): Promise<StoredObject | undefined> {
  const cached = cache?.get(bucket, key);
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(cached ? { IfNoneMatch: cached.etag } : {}) }));
    // A gzip object (the shard index and shards) comes as stored: the SDK does not inflate it.
    const raw = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    const body = (res.ContentEncoding === "gzip" ? gunzipSync(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).toString("utf8");
    const obj = { body, etag: res.ETag ?? "", metadata: res.Metadata ?? {}, lastModified: res.LastModified };
    if (cache && obj.etag) cache.set(bucket, key, obj);
    return obj;
  } catch (err) {
    if (cached && httpStatusOf(err) === 304) {
      if (!options.freshMetadata) return cached;
      // The ETag names the bytes, not the metadata: an object written again with the same
      // bytes and other metadata (a document's next generation) answers 304 too. A HEAD
      // (no body) gives the metadata as it is now.
      const head = await headObject(s3, bucket, key);
      if (!head) {
        cache?.delete(bucket, key);
        return undefined;
      }
      if (head.etag !== cached.etag) {
        cache?.delete(bucket, key);
        return readObject(s3, bucket, key, cache, options);
      }
      return { ...cached, metadata: head.metadata, ...(head.lastModified ? { lastModified: head.lastModified } : {}) };
    }
    if (isNotFound(err)) {
      cache?.delete(bucket, key);
      return undefined;
    }
    throw err;
  }
}

/** HEAD of an object (metadata and ETag only); undefined when it does not exist. */
export async function headObject(s3: S3Client, bucket: string, key: string): Promise<Omit<StoredObject, "body"> | undefined> {
  try {
    const res = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: res.ETag ?? "", metadata: res.Metadata ?? {}, lastModified: res.LastModified };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface PutOptions {
  /** ETag of the version this write replaces; undefined = the object must not exist yet. */
  ifMatch: string | undefined;
  metadata?: Record<string, string>;
  contentType?: string;
  /** The encoding `body` is already compressed with (gzip): sent as Content-Encoding. */
  contentEncoding?: "gzip";
}

/** Writes only if the object is still the version read. Returns the new ETag. */
export async function putConditional(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, options: PutOptions): Promise<string> {
  try {
    const res = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
        ContentType: options.contentType ?? "application/json",
        CacheControl: "no-cache",
        Metadata: options.metadata,
        ...(options.ifMatch ? { IfMatch: options.ifMatch } : { IfNoneMatch: "*" }),
      }),
    );
    return res.ETag ?? "";
  } catch (err) {
    if (awsErrorKind(err) === "conflict") {
      throw new ConflictError(`s3://${bucket}/${key} changed since it was read (${(err as Error)?.name ?? httpStatusOf(err)})`);
    }
    throw new PublishError("s3:PutObject", `writing s3://${bucket}/${key} failed: ${errorLine(err)}`, err);
  }
}
