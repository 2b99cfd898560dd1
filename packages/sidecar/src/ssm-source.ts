// `ssm:/parameter`: the SSM manifest (core's Manifest) and what it points at. Every poll is one
// GetParameter; S3 is read only when the manifest names something newer than what is applied.
// The manifest's top-level fields describe the single document; its optional `index` names
// the sharded publication's index (same bucket), whose generation goes up with every change
// (an event batch writes only the shards and the index). So:
//   - `index` present and index.generation >= manifest.generation: the index is followed,
//     through one index source (index-source.ts) held across polls for that bucket and key,
//     so held shards are kept and only new ones fetched. The index read must be at least the
//     generation the manifest names (a newer one, written after the manifest read, is
//     fine; an older one is `stale_index`), with the manifest's sha256 at that generation;
//     the joined document is then checked against the index's sha256 (README guarantee G10);
//   - otherwise (no index yet, or a single document newer than the index: a crash between
//     the two writes): the single document, checked against the manifest's sha256.
// Either way a generation lower than the applied one is ignored (`stale_manifest`: two
// publishers racing), and the same generation with the same sha256 reads nothing from S3.
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { GetParameterCommandOutput } from "@aws-sdk/client-ssm";
import { sha256Hex, type Manifest, type ManifestIndex, type ShardIndex } from "@scrape-reconciler/core";
import { indexSource, type IndexSource, type IndexSourceOptions } from "./index-source";
import { loadS3, loadSsm } from "./sdk";
import { SourceError, bodyBytes, classifyAwsError, type FetchResult, type S3Like, type Source, type SourceState, type SsmLike } from "./source-base";

/** The manifest fields the sidecar relies on, checked. */
export type CheckedManifest = Pick<Manifest, "generation" | "sha256" | "bucket" | "key"> & Partial<Omit<Manifest, "index">> & { index?: ManifestIndex };

const isGeneration = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isSha256 = (v: unknown): v is string => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);

/** Checks the manifest's `index` field (absent is fine); every problem is one line naming the field. */
function checkIndexField(v: unknown): ManifestIndex | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SourceError("bad_manifest", "manifest field index is not a JSON object");
  const i = v as Partial<ManifestIndex>;
  if (typeof i.key !== "string" || !i.key) throw new SourceError("bad_manifest", "manifest field index.key is not a non-empty string");
  if (!isGeneration(i.generation)) throw new SourceError("bad_manifest", "manifest field index.generation is not a non-negative integer");
  if (!isSha256(i.sha256)) throw new SourceError("bad_manifest", "manifest field index.sha256 is not 64 hex digits");
  if (i.etag !== undefined && typeof i.etag !== "string") throw new SourceError("bad_manifest", "manifest field index.etag is not a string");
  return i as ManifestIndex;
}

/** Checks the fields of the manifest the sidecar relies on (the optional `index` included). */
export function parseManifest(text: string | undefined): CheckedManifest {
  if (!text) throw new SourceError("bad_manifest", "manifest parameter is empty");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SourceError("bad_manifest", `manifest is not JSON: ${(err as Error).message}`);
  }
  const m = v as Partial<Manifest> | null;
  if (typeof m !== "object" || m === null || Array.isArray(m)) throw new SourceError("bad_manifest", "manifest is not a JSON object");
  if (!isGeneration(m.generation)) throw new SourceError("bad_manifest", "manifest has no integer generation");
  if (!isSha256(m.sha256)) throw new SourceError("bad_manifest", "manifest has no sha256 (64 hex digits)");
  if (typeof m.bucket !== "string" || !m.bucket || typeof m.key !== "string" || !m.key) {
    throw new SourceError("bad_manifest", "manifest does not name the document's bucket and key");
  }
  checkIndexField(m.index);
  return m as CheckedManifest;
}

/** The index the manifest says to follow: present and not older than the single document. */
export function followedIndex(m: CheckedManifest): ManifestIndex | undefined {
  return m.index && m.index.generation >= m.generation ? m.index : undefined;
}

/** "unchanged" when `generation`/`sha256` is what is applied, or older; else undefined (fetch). */
function unchangedFor(previous: SourceState, generation: number, sha256: string): FetchResult | undefined {
  if (previous.generation === undefined) return undefined;
  if (generation < previous.generation) return { status: "unchanged", note: "stale_manifest" };
  if (generation === previous.generation && (previous.sha256 === undefined || previous.sha256 === sha256)) {
    return { status: "unchanged", note: "same_generation" };
  }
  return undefined;
}

/** Refuses an index older than the manifest names, or another document at that generation. */
function indexCheck(where: string, named: ManifestIndex): (index: ShardIndex) => void {
  return (index) => {
    if (index.generation < named.generation) {
      throw new SourceError("stale_index", `${where} has generation ${index.generation}, older than the ${named.generation} the manifest names`);
    }
    if (index.generation === named.generation && index.sha256 !== named.sha256) {
      throw new SourceError(
        "sha256_mismatch",
        `${where} generation ${index.generation} has sha256 ${index.sha256.slice(0, 12)}…, the manifest says ${named.sha256.slice(0, 12)}…`,
      );
    }
  };
}

/**
 * `ssm:/parameter`: reads the manifest, then the index it names (held shards kept across
 * polls) or the single document, only when that generation is new (header above).
 * `opts.onShardFetched` counts the shards fetched while following an index.
 */
export function ssmSource(ssm: SsmLike, s3: S3Like, name: string, opts: IndexSourceOptions = {}): Source {
  const description = `ssm:${name}`;
  /** The index source of the index last followed, kept while the manifest names it. */
  let following: { bucket: string; key: string; source: IndexSource } | undefined;

  async function singleDocument(manifest: CheckedManifest, signal?: AbortSignal): Promise<FetchResult> {
    const { GetObjectCommand } = await loadS3();
    const where = `s3://${manifest.bucket}/${manifest.key}`;
    let out: GetObjectCommandOutput;
    try {
      out = await s3.send(new GetObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }), signal ? { abortSignal: signal } : undefined);
    } catch (err) {
      throw classifyAwsError(err, `GetObject ${where}`);
    }
    const body = await bodyBytes(out);
    const sha256 = sha256Hex(body);
    if (sha256 !== manifest.sha256) {
      throw new SourceError(
        "sha256_mismatch",
        `${where} has sha256 ${sha256.slice(0, 12)}…, manifest generation ${manifest.generation} says ${manifest.sha256.slice(0, 12)}…`,
      );
    }
    return { status: "changed", body, generation: manifest.generation, sha256, ...(out.ETag ? { etag: out.ETag } : {}) };
  }

  return {
    description,
    async fetch(previous, signal) {
      const { GetParameterCommand } = await loadSsm();
      let param: GetParameterCommandOutput;
      try {
        param = await ssm.send(new GetParameterCommand({ Name: name }), signal ? { abortSignal: signal } : undefined);
      } catch (err) {
        throw classifyAwsError(err, `GetParameter ${name}`);
      }
      const manifest = parseManifest(param.Parameter?.Value);
      // The index source is kept while the manifest names its index (even while it falls
      // back to a newer single document); dropped, with its shards, once it names another.
      if (!manifest.index || following?.bucket !== manifest.bucket || following.key !== manifest.index.key) following = undefined;
      const named = followedIndex(manifest);
      if (!named) return unchangedFor(previous, manifest.generation, manifest.sha256) ?? singleDocument(manifest, signal);
      const unchanged = unchangedFor(previous, named.generation, named.sha256);
      if (unchanged) return unchanged;
      following ??= { bucket: manifest.bucket, key: named.key, source: indexSource(s3, manifest.bucket, named.key, opts) };
      // Something new is known to be there: no If-None-Match (the applied ETag may be the single document's).
      const state: SourceState = {
        ...(previous.generation !== undefined ? { generation: previous.generation } : {}),
        ...(previous.sha256 !== undefined ? { sha256: previous.sha256 } : {}),
      };
      return following.source.fetch(state, signal, { conditional: false, check: indexCheck(following.source.description, named) });
    },
  };
}
