// The SSM manifest of the published document: its one constructor (manifestOf, the JSON
// field order kept as it always was), its encoding under SSM's 4 KB standard-tier limit,
// its read and write, the check after a write that a slower writer did not leave it
// describing an older document (verifyManifest), and the repair of a manifest missing or
// stale after a crash between the two writes (repairManifest). README guarantee G9.
import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { countTargets, errorLine, isNotFound, PublishError, type BuiltDocument, type Manifest, type TargetDocument } from "@scrape-reconciler/core";
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

/** After our manifest write: if the document moved on meanwhile, describe the newer one. */
export async function verifyManifest(t: PublishTarget, ours: number): Promise<boolean> {
  const head = await headObject(t.s3, t.bucket, t.key);
  const generation = Number(head?.metadata[META.generation] ?? 0);
  if (!head || generation <= ours) return false;
  const current = await readManifest(t.ssm, t.manifestParameter);
  if (current && current.generation >= generation) return false;
  await putManifest(t, manifestFromHead(t, head, current));
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
  discovery: Partial<Pick<Manifest, "services" | "sources" | "failedServices" | "skippedEndpoints">> | undefined,
): Manifest {
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
  };
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
export async function repairManifest(t: PublishTarget, previous: PublishedManifestFacts, built: BuiltDocument, now: () => Date): Promise<boolean> {
  const current = await readManifest(t.ssm, t.manifestParameter);
  if (current && current.generation >= previous.generation && current.sha256 === previous.sha256) return false;
  const doc = {
    generation: previous.generation,
    sha256: previous.sha256,
    etag: previous.etag,
    targets: countTargets(previous.document),
    groups: previous.document.length,
    generatedAt: previous.generatedAt ?? now().toISOString(),
  };
  await putManifest(t, manifestOf(t, doc, built));
  return true;
}
