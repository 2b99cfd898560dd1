// What a failed part of a discovery means for everything built from it: which services and
// namespaces failed (their last targets are kept: README guarantee G1), how a failed part is
// named in the manifest, and the per-source health the manifest reports ("ok", or "partial"
// with the number of failed calls; "failed" is never written, see SourceHealth).
import { NAMESPACE_ID_LABEL, SERVICE_ID_LABEL } from "./labels";
import type { FailedScope, TargetGroup, WrittenSourceHealth } from "./types";

export interface FailedParts {
  services: Set<string>;
  namespaces: Set<string>;
  /** Whether a target group belongs to a failed service or namespace. */
  covers(group: TargetGroup): boolean;
}

export function failedParts(failed: readonly FailedScope[]): FailedParts {
  const services = new Set(failed.filter((f) => f.scope === "service").map((f) => f.id));
  const namespaces = new Set(failed.filter((f) => f.scope === "namespace").map((f) => f.id));
  return {
    services,
    namespaces,
    covers: (g) => services.has(g.labels[SERVICE_ID_LABEL] ?? "") || namespaces.has(g.labels[NAMESPACE_ID_LABEL] ?? ""),
  };
}

/** "namespace/service" for a failed service, the bare name otherwise (the manifest's failedServices). */
export function failedScopeName(f: FailedScope): string {
  return f.scope === "service" && f.namespaceName ? `${f.namespaceName}/${f.name}` : f.name;
}

/** The manifest's per-source health from the failed calls of a discovery. */
export function sourceHealth(failed: readonly FailedScope[]): Record<string, WrittenSourceHealth> {
  const count = (prefix: string) => failed.filter((f) => f.operation.startsWith(prefix)).length;
  const health = (errors: number): WrittenSourceHealth => ({ status: errors === 0 ? "ok" : "partial", errors });
  return { cloudmap: health(count("servicediscovery:")), ecs: health(count("ecs:") + count("ec2:")) };
}
