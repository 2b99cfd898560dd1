// What every source shares (sources.ts, ssm-source.ts, index-source.ts): the Source interface
// and what a fetch returns, the SourceError vocabulary and the mapping of AWS SDK errors onto
// it, the one method of an SDK client the sources call, and an S3 body as bytes. No SDK module
// is loaded here (types only).
import { gunzipSync } from "node:zlib";
import type { GetObjectCommand, GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { GetParameterCommand, GetParameterCommandOutput } from "@aws-sdk/client-ssm";
import { awsErrorKind, type AwsErrorKind, type TargetDocument } from "@scrape-reconciler/core";
import { loadS3 } from "./sdk";

/** What was last applied; sources compare against it. */
export interface SourceState {
  etag?: string;
  generation?: number;
  sha256?: string;
}

/** One shard of an index source, verified against its index entry (its bytes are a file_sd document). */
export interface VerifiedShard {
  id: string;
  sha256: string;
  bytes: Buffer;
}

export type FetchResult =
  | {
      status: "unchanged";
      note?: "stale_manifest" | "same_generation" | "not_modified";
      /** A new ETag of the same document (an index rewritten with the same generation and sha256): remembered for the next conditional GET. */
      etag?: string;
    }
  | {
      status: "changed";
      body: Buffer;
      generation?: number;
      etag?: string;
      sha256?: string;
      /** `body` already parsed and validated by the source (an index source's joined shards): not parsed again. */
      document?: TargetDocument;
      /** An index source's shards, in index order (for --shard-dir). */
      shards?: readonly VerifiedShard[];
      /** An index source: what this fetch moved and reused (logged with the document). */
      fetched?: { shards: number; bytes: number; reused: number };
    };

export interface Source {
  readonly description: string;
  fetch(previous: SourceState, signal?: AbortSignal): Promise<FetchResult>;
}

export class SourceError extends Error {
  override name = "SourceError";
  constructor(
    /** Bounded vocabulary: not_found, access_denied, throttled, unreachable, timeout, bad_manifest, bad_index, stale_index, sha256_mismatch, fetch_error. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The only part of an SDK client the sources use (so tests can pass a fake). */
export interface SendClient<In, Out> {
  send(command: In, options?: { abortSignal?: AbortSignal }): Promise<Out>;
}
export type S3Like = SendClient<GetObjectCommand, GetObjectCommandOutput>;
export type SsmLike = SendClient<GetParameterCommand, GetParameterCommandOutput>;

/** The sidecar's bounded failure reason for each kind of AWS error (core's classifier). */
const REASON: Record<AwsErrorKind, string> = {
  not_modified: "fetch_error",
  credentials_missing: "fetch_error",
  region_missing: "fetch_error",
  credentials_rejected: "access_denied",
  timeout: "timeout",
  not_found: "not_found",
  conflict: "fetch_error",
  access_denied: "access_denied",
  throttled: "throttled",
  unreachable: "unreachable",
  other: "fetch_error",
};

/** Maps an SDK / network error to a SourceError with a bounded reason. */
export function classifyAwsError(err: unknown, what: string): SourceError {
  if (err instanceof SourceError) return err;
  const e = (err ?? {}) as { name?: string; message?: string };
  const msg = `${what}: ${e.name || "Error"}${e.message ? `: ${e.message}` : ""}`;
  return new SourceError(REASON[awsErrorKind(err)], msg, { cause: err });
}

export async function bodyBytes(out: GetObjectCommandOutput): Promise<Buffer> {
  if (!out.Body) return Buffer.alloc(0);
  // A view of the SDK's bytes, not a copy (a 10,000-target document is megabytes).
  const bytes = await out.Body.transformToByteArray();
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The shard index and shards are stored gzip (Content-Encoding), and the SDK does not inflate.
  return out.ContentEncoding === "gzip" ? gunzipSync(view) : view;
}

/**
 * GetObject on the applied ETag (If-None-Match): the object, or "not_modified" for a 304
 * (thrown by the SDK as an error named "Unknown": the status code tells it). Any other
 * failure is a SourceError naming `description`.
 */
export async function conditionalGet(
  client: S3Like,
  bucket: string,
  key: string,
  etag: string | undefined,
  description: string,
  signal?: AbortSignal,
): Promise<GetObjectCommandOutput | "not_modified"> {
  const { GetObjectCommand } = await loadS3();
  try {
    return await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag ? { IfNoneMatch: etag } : {}) }),
      signal ? { abortSignal: signal } : undefined,
    );
  } catch (err) {
    if (awsErrorKind(err) === "not_modified") return "not_modified";
    throw classifyAwsError(err, `GetObject ${description}`);
  }
}
