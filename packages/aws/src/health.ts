// Per-source health for the manifest, from the parts of a discovery that failed.
import type { FailedScope, SourceHealth } from "@scrape-reconciler/core";

export function sourceHealth(failed: FailedScope[]): Record<string, SourceHealth> {
  const count = (prefix: string) => failed.filter((f) => f.operation.startsWith(prefix)).length;
  const health = (errors: number): SourceHealth => ({ status: errors === 0 ? "ok" : "partial", errors });
  return { cloudmap: health(count("servicediscovery:")), ecs: health(count("ecs:") + count("ec2:")) };
}
