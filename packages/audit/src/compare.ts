// The audit's comparison, pure: the published document against the document a fresh
// discovery gives, restricted to the parts of the account that were discovered
// successfully. Stale = published but no longer running or registered; missing = running,
// registered and opted in but not published. A target whose service or namespace failed
// discovery is left out on both sides: an AWS error is an error, never "all missing".
import { diffDocuments, NAMESPACE_ID_LABEL, SERVICE_ID_LABEL, type FailedScope, type TargetDocument, type TargetGroup } from "@scrape-reconciler/core";

export interface AuditTarget {
  /** `scheme://ip:port/path`, the diff's key. */
  key: string;
  namespace: string;
  service: string;
  taskid?: string;
}

export interface AffectedService {
  namespace: string;
  service: string;
  stale: number;
  missing: number;
}

export interface Comparison {
  stale: AuditTarget[];
  missing: AuditTarget[];
  /** Same target, other labels (e.g. a new task on a reused address). */
  changed: number;
  /** Published targets that were compared (the failed parts left out). */
  compared: number;
  /** Published targets left out because their service or namespace failed discovery. */
  excluded: number;
  /** Services with stale or missing targets, most affected first. */
  services: AffectedService[];
}

/** Cloud Map names when the labels carry them (they always do in our documents), else the compatibility labels. */
function owner(labels: Record<string, string>): { namespace: string; service: string } {
  return {
    namespace: labels.__meta_cloudmap_namespace_name ?? labels.namespace ?? "",
    service: labels.__meta_cloudmap_service_name ?? labels.service ?? "",
  };
}

function splitByFailure(doc: TargetDocument, failed: readonly FailedScope[]): { kept: TargetGroup[]; excluded: number } {
  const services = new Set(failed.filter((f) => f.scope === "service").map((f) => f.id));
  const namespaces = new Set(failed.filter((f) => f.scope === "namespace").map((f) => f.id));
  const kept: TargetGroup[] = [];
  let excluded = 0;
  for (const g of doc) {
    const hit = services.has(g.labels[SERVICE_ID_LABEL] ?? "") || namespaces.has(g.labels[NAMESPACE_ID_LABEL] ?? "");
    if (hit) excluded += g.targets.length;
    else kept.push(g);
  }
  return { kept, excluded };
}

export function compareTargets(published: TargetDocument, discovered: TargetDocument, failed: readonly FailedScope[]): Comparison {
  const pub = splitByFailure(published, failed);
  const now = splitByFailure(discovered, failed);
  const diff = diffDocuments(pub.kept, now.kept);
  const toTarget = (r: { key: string; labels: Record<string, string> }): AuditTarget => ({
    key: r.key,
    ...owner(r.labels),
    ...(r.labels.taskid ? { taskid: r.labels.taskid } : {}),
  });
  const stale = diff.removed.map(toTarget);
  const missing = diff.added.map(toTarget);
  const byService = new Map<string, AffectedService>();
  const count = (t: AuditTarget, field: "stale" | "missing") => {
    const id = `${t.namespace}/${t.service}`;
    let s = byService.get(id);
    if (!s) {
      s = { namespace: t.namespace, service: t.service, stale: 0, missing: 0 };
      byService.set(id, s);
    }
    s[field] += 1;
  };
  for (const t of stale) count(t, "stale");
  for (const t of missing) count(t, "missing");
  const services = [...byService.values()].sort(
    (a, b) => b.stale + b.missing - (a.stale + a.missing) || `${a.namespace}/${a.service}`.localeCompare(`${b.namespace}/${b.service}`),
  );
  return { stale, missing, changed: diff.changed.length, compared: diff.before, excluded: pub.excluded, services };
}
