// Per-source health for the manifest, from the parts of a discovery that failed: "ok", or
// "partial" with the number of failed calls (the parts they cover keep their last targets).
// "failed" is never written (see SourceHealth in the core).
import type { FailedScope, WrittenSourceHealth } from "@scrape-reconciler/core";

export function sourceHealth(failed: FailedScope[]): Record<string, WrittenSourceHealth> {
  const count = (prefix: string) => failed.filter((f) => f.operation.startsWith(prefix)).length;
  const health = (errors: number): WrittenSourceHealth => ({ status: errors === 0 ? "ok" : "partial", errors });
  return { cloudmap: health(count("servicediscovery:")), ecs: health(count("ecs:") + count("ec2:")) };
}
