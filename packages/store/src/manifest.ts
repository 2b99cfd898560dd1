// The SSM manifest of the published document: its one constructor (manifestOf, the JSON
// field order kept as it always was), its encoding under SSM's 4 KB standard-tier limit,
// its read and write, the check after a write that a slower writer did not leave it
// describing an older document (verifyManifest), and the repair of a manifest missing or
// stale after a crash between the two writes (repairManifest). README guarantee G9.
import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import {
  countTargets,
  errorLine,
  indexKeyOf,
  isNotFound,
  PublishError,
  type BuiltDocument,
  type Manifest,
  type ManifestIndex,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { headObject } from "./s3-object";
import { META, type PublishTarget } from "./target";

/** What the manifest repair needs of the published document. */
export interface PublishedManifestFacts {
  generation: number;
  sha256: string;
  etag: string;
  document: TargetDocument;
  generatedAt?: string;
}

export async function readManifest(ssm: SSMClient, name: string): Promise<Manifest | undefined> {
  try {
    const res = await ssm.send(new GetParameterCommand({ Name: name }));
    return res.Parameter?.Value ? (JSON.parse(res.Parameter.Value) as Manifest) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Keeps the manifest under SSM's 4 KB standard-tier limit whatever the failure list. */
export function encodeManifest(m: Manifest): string {
  let manifest = { ...m, failedServices: m.failedServices.slice(0, 20) };
  let text = JSON.stringify(manifest);
  while (text.length > 4000 && manifest.failedServices.length > 0) {
    manifest = { ...manifest, failedServices: manifest.failedServices.slice(0, -1) };
    text = JSON.stringify(manifest);
  }
  return text;
}

export async function putManifest(t: PublishTarget, m: Manifest): Promise<void> {
  try {
    await t.ssm.send(new PutParameterCommand({ Name: t.manifestParameter, Value: encodeManifest(m), Type: "String", Overwrite: true }));
  } catch (err) {
    throw new PublishError("ssm:PutParameter", `writing the manifest ${t.manifestParameter} failed: ${errorLine(err)}`, err);
  }
}

/**
 * After our manifest write: if the document or the shard index moved on meanwhile (a slower
 * writer's manifest, ours, overwrote a newer writer's), describe the newer ones: the
 * document's fields from its metadata, the `index` pointer from the index's. Both are read
 * with a HEAD (no body). Returns whether the manifest was written again.
 */
export async function verifyManifest(t: PublishTarget, ours: number): Promise<boolean> {
  const [doc, index] = await Promise.all([headObject(t.s3, t.bucket, t.key), headObject(t.s3, t.bucket, indexKeyOf(t.key))]);
  const docGeneration = Number(doc?.metadata[META.generation] ?? 0) || 0;
  const indexGeneration = Number(index?.metadata[META.generation] ?? 0) || 0;
  if (docGeneration <= ours && !index) return false;
  const current = await readManifest(t.ssm, t.manifestParameter);
  const docBehind = doc !== undefined && docGeneration > ours && (!current || current.generation < docGeneration);
  const indexBehind = index !== undefined && indexGeneration > (current?.index?.generation ?? 0);
  if (!docBehind && !indexBehind) return false;
  const base = docBehind && doc ? manifestFromHead(t, doc, current) : (current ?? (doc ? manifestFromHead(t, doc, undefined) : undefined));
  if (!base) return false;
  const pointer =
    indexBehind && index ? { key: indexKeyOf(t.key), generation: indexGeneration, sha256: index.metadata[META.sha256] ?? "", etag: index.etag } : base.index;
  await putManifest(t, { ...base, ...(pointer ? { index: pointer } : {}) });
  return true;
}

/** What a manifest says of the document itself (the rest describes the discovery behind it). */
export interface ManifestDocument {
  generation: number;
  sha256: string;
  etag: string;
  targets: number;
  groups: number;
  generatedAt: string;
}

/** The one constructor of the SSM manifest: the document's facts plus what the discovery reported. */
export function manifestOf(
  t: PublishTarget,
  doc: ManifestDocument,
  discovery: Partial<Pick<Manifest, "services" | "sources" | "failedServices" | "skippedEndpoints" | "index">> | undefined,
  index?: ManifestIndex,
): Manifest {
  const pointer = index ?? discovery?.index;
  // The field order of the JSON in SSM stays as it always was.
  return {
    schemaVersion: 1,
    generation: doc.generation,
    sha256: doc.sha256,
    bucket: t.bucket,
    key: t.key,
    etag: doc.etag,
    targets: doc.targets,
    groups: doc.groups,
    services: discovery?.services ?? 0,
    generatedAt: doc.generatedAt,
    sources: discovery?.sources ?? {},
    failedServices: discovery?.failedServices ?? [],
    skippedEndpoints: discovery?.skippedEndpoints ?? 0,
    ...(pointer ? { index: pointer } : {}),
  };
}

/**
 * Points the manifest at the shard index `index` (an event batch wrote the index and not the
 * single document): the manifest read, or one made from the single document's metadata,
 * with its `index` replaced; nothing when it already points at this index or a newer one.
 * Then, as verifyManifest for the document: when a newer index was written meanwhile and
 * the manifest does not point at it (our slower write overwrote the newer writer's),
 * points it at that one. Returns whether the manifest was written.
 */
export async function pointManifestAtIndex(t: PublishTarget, index: ManifestIndex): Promise<boolean> {
  const current = await readManifest(t.ssm, t.manifestParameter);
  if (current?.index && current.index.generation >= index.generation) return false;
  const base = current ?? (await manifestOfDocumentHead(t));
  await putManifest(t, { ...base, index });
  // Another writer may have written a newer index, or a newer document whose fields our
  // copy of the manifest put back: describe the newest of both.
  await verifyManifest(t, base.generation);
  return true;
}

/** A manifest describing the single document from its metadata (none yet: an empty one of generation 0). */
async function manifestOfDocumentHead(t: PublishTarget): Promise<Manifest> {
  const head = await headObject(t.s3, t.bucket, t.key);
  if (head) return manifestFromHead(t, head, undefined);
  return manifestOf(t, { generation: 0, sha256: "", etag: "", targets: 0, groups: 0, generatedAt: "" }, undefined);
}

function manifestFromHead(t: PublishTarget, head: { etag: string; metadata: Record<string, string> }, base: Manifest | undefined): Manifest {
  const targets = Number(head.metadata[META.targets] ?? 0);
  const doc = {
    generation: Number(head.metadata[META.generation] ?? 0),
    sha256: head.metadata[META.sha256] ?? "",
    etag: head.etag,
    targets,
    // One target group per target: the object metadata carries the target count only.
    groups: targets,
    generatedAt: head.metadata[META.generatedAt] ?? "",
  };
  return manifestOf(t, doc, base);
}

/** An unchanged document whose manifest is missing or stale (a crash between the two writes). */
export async function repairManifest(
  t: PublishTarget,
  previous: PublishedManifestFacts,
  built: BuiltDocument,
  now: () => Date,
  /** The index published now (the manifest must point at it too), when there is one. */
  index?: ManifestIndex,
): Promise<boolean> {
  const current = await readManifest(t.ssm, t.manifestParameter);
  if (current && current.generation >= previous.generation && current.sha256 === previous.sha256 && sameIndex(current.index, index)) return false;
  const doc = {
    generation: previous.generation,
    sha256: previous.sha256,
    etag: previous.etag,
    targets: countTargets(previous.document),
    groups: previous.document.length,
    generatedAt: previous.generatedAt ?? now().toISOString(),
  };
  await putManifest(t, manifestOf(t, doc, built, index ?? current?.index));
  return true;
}

function sameIndex(a: ManifestIndex | undefined, b: ManifestIndex | undefined): boolean {
  return b === undefined || (a !== undefined && a.generation >= b.generation);
}
