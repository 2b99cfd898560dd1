// The audit's AWS side: reads the published targets (the single document, or the shard
// index and its shards when event batches moved the index past it), the reconciler state and the
// manifest, runs a full discovery with the reconciler's own settings, and hands both to
// the pure comparison. It never writes anything. Every AWS error becomes an entry of
// `errors` (with the operation and the service named) instead of a finding about targets:
// a failed listing of namespaces or an unreadable document means "not compared", and a
// failed service or namespace is left out of the comparison.
// The audit reads no container instance (its role has neither DescribeContainerInstances
// nor DescribeInstances): __meta_ecs_ec2_instance_type is state-derived, so its expected
// document takes it from the state's container-instance cache, as the reconciler's does,
// and the label is compared like any other.
import { discover, TaskDefinitionCache } from "@scrape-reconciler/discovery";
import type { ReconcileConfig, ReconcilerClients } from "@scrape-reconciler/reconcile";
import { type PublishedTargets, readManifest, readPublishedTargets, readState, type StoredState } from "@scrape-reconciler/store";
import {
  buildDocument,
  countTargets,
  DiscoveryError,
  errorLine,
  indexKeyOf,
  withContainerInstances,
  type Discovery,
  type Manifest,
} from "@scrape-reconciler/core";
import { computeAges } from "./ages";
import { compareTargets, type Comparison } from "./compare";
import type { AuditError, AuditReport } from "./report";

export interface AuditDeps {
  clients: Pick<ReconcilerClients, "servicediscovery" | "ecs" | "s3" | "ssm">;
  config: ReconcileConfig;
  now: () => Date;
  /** Shared across audits of one process (task definitions are immutable). */
  taskDefinitions?: TaskDefinitionCache;
}

/** Runs `read`; on an AWS error records it and yields null (undefined still means "absent"). */
async function attempt<T>(errors: AuditError[], where: Omit<AuditError, "error">, read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    errors.push({ ...where, error: errorLine(err) });
    return null;
  }
}

export async function audit(deps: AuditDeps): Promise<AuditReport> {
  const { clients, config } = deps;
  const now = deps.now();
  const errors: AuditError[] = [];
  const s3 = { s3: clients.s3, bucket: config.bucket };
  const [published, stored, manifest] = await Promise.all([
    attempt<PublishedTargets | undefined>(errors, { scope: "document", operation: "s3:GetObject" }, () => readPublishedTargets({ ...s3, key: config.key })),
    attempt<StoredState>(errors, { scope: "state", operation: "s3:GetObject" }, () => readState({ ...s3, stateKey: config.stateKey }, now)),
    attempt<Manifest | undefined>(errors, { scope: "manifest", operation: "ssm:GetParameter" }, () => readManifest(clients.ssm, config.manifestParameter)),
  ]);

  const taskDefinitions = deps.taskDefinitions ?? new TaskDefinitionCache();
  for (const [arn, mode] of Object.entries(stored?.state.taskDefinitions ?? {})) taskDefinitions.prime(arn, mode);
  let discovery: Discovery | undefined;
  try {
    discovery = await discover(clients, {
      tagNames: config.tagNames,
      namespaces: config.namespaces,
      clusters: config.clusters,
      concurrency: config.concurrency,
      taskDefinitions,
    });
  } catch (err) {
    if (!(err instanceof DiscoveryError)) throw err;
    errors.push({ scope: "listing", operation: err.operation, error: err.message });
  }
  for (const f of discovery?.failed ?? []) {
    errors.push({
      scope: f.scope,
      operation: f.operation,
      ...(f.namespaceName ? { namespace: f.namespaceName } : {}),
      ...(f.scope === "service" ? { service: f.name } : {}),
      error: f.error,
    });
  }

  // undefined: no document yet (everything running is missing); null: unreadable.
  const usable = published !== null && !published?.invalid;
  const expected = discovery
    ? buildDocument(withContainerInstances(discovery, stored?.state.containerInstances ?? {}), undefined, { tagNames: config.tagNames }).document
    : [];
  const comparison: Comparison | undefined = discovery && usable ? compareTargets(published?.document ?? [], expected, discovery.failed) : undefined;
  if (published?.documentInvalid) {
    // The index is compared; a reader of the single document alone gets this.
    errors.push({ scope: "document", operation: "parse", error: `s3://${config.bucket}/${config.key} is not a valid document: ${published.documentInvalid}` });
  }
  if (published?.invalid) {
    const key = published.source === "index" ? indexKeyOf(config.key) : config.key;
    errors.push({ scope: "document", operation: "parse", error: `s3://${config.bucket}/${key} is not a valid document: ${published.invalid}` });
  }

  const lastFullReconcileAt = stored?.state.lastFullReconcileAt;
  const ages = computeAges({ now, documentGeneratedAt: published?.generatedAt, lastFullReconcileAt, documentPresent: usable && published !== undefined });
  return {
    auditedAt: now.toISOString(),
    compared: comparison !== undefined,
    document: {
      present: Boolean(published),
      generation: published?.generation ?? 0,
      ...(published?.generatedAt ? { generatedAt: published.generatedAt } : {}),
      targets: published ? countTargets(published.document) : 0,
      ...(published?.invalid ? { invalid: published.invalid } : {}),
    },
    ...(manifest
      ? {
          manifest: {
            generation: manifest.generation,
            // The manifest's pointer to what is published: the index's when event batches moved it past the single document.
            matchesDocument: Boolean(published) && matches(published?.source === "index" ? manifest.index : manifest, published),
          },
        }
      : {}),
    ...(lastFullReconcileAt ? { lastFullReconcileAt } : {}),
    ...ages,
    discovered: {
      namespaces: discovery?.namespacesSeen ?? 0,
      services: discovery?.services.length ?? 0,
      targets: countTargets(expected),
    },
    stale: comparison?.stale ?? [],
    missing: comparison?.missing ?? [],
    changed: comparison?.changed ?? 0,
    excluded: comparison?.excluded ?? 0,
    services: comparison?.services ?? [],
    errors,
  };
}

function matches(pointer: { generation: number; sha256: string } | undefined, published: PublishedTargets | null | undefined): boolean {
  return (
    pointer !== undefined && published !== null && published !== undefined && pointer.generation === published.generation && pointer.sha256 === published.sha256
  );
}
