// The metrics forwarder: every minute, reads RDS (PostgreSQL) and ElastiCache
// (Redis) metrics from CloudWatch and remote-writes them to AMP, signed with
// SigV4, directly or through a role in a central monitoring account.
// Deployed only when the stage configures `amp`.
import { ENV } from "../packages/core/src/env-names";
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import type { EventDelivery } from "./delivery";
import { forwardStatements, type AmpAccess } from "./iam";
import { appFunction, type AppFunction } from "./lambda";
import { scheduleFunction } from "./schedule";
import type { Storage } from "./storage";

export function createForwarder(cfg: StageConfig, ctx: DeployContext, storage: Storage, delivery: EventDelivery): AppFunction | undefined {
  const amp = cfg.amp;
  if (!amp) return undefined;
  const at = $util.all([ctx.partition, ctx.region, ctx.account]);
  const rds = cfg.rds;
  const cache = cfg.elastiCache;
  const rdsInstanceArns = rds.enabled ? arns(at, "rds", "db", rds.instances) : [];
  const rdsClusterArns = rds.enabled && rds.auroraClusters ? arns(at, "rds", "cluster", []) : [];
  const cacheArns = cache.enabled ? arns(at, "elasticache", "cluster", cache.clusters) : [];
  const access: AmpAccess<$util.Input<string>> = amp.roleArn
    ? { kind: "assume-role", roleArn: amp.roleArn }
    : {
        kind: "workspace",
        workspaceArn: $interpolate`arn:${ctx.partition}:aps:${amp.region}:${amp.workspaceAccount ?? ctx.account}:workspace/${amp.workspaceId}`,
      };

  const f = appFunction(cfg, ctx, "Forward", {
    role: "forward",
    handler: "functions/forward.handler",
    description: "Forwards RDS and ElastiCache CloudWatch metrics to Amazon Managed Service for Prometheus",
    timeoutSeconds: 50,
    memoryMb: 256,
    // One run at a time: overlapping runs would send out-of-order samples.
    reservedConcurrency: 1,
    environment: {
      [ENV.AMP_REMOTE_WRITE_URL]: amp.remoteWriteUrl,
      [ENV.AMP_REGION]: amp.region,
      ...(amp.roleArn ? { [ENV.AMP_ROLE_ARN]: amp.roleArn } : {}),
      [ENV.TARGETS_BUCKET]: storage.bucketName,
      [ENV.FORWARD_STATE_KEY]: storage.forwardStateKey,
      [ENV.FORWARD_SOURCES]: [rds.enabled ? "rds" : "", cache.enabled ? "elasticache" : ""].filter(Boolean).join(","),
      [ENV.RDS_INSTANCES]: rds.instances.join(","),
      [ENV.RDS_TAG_FILTER]: rds.tag ?? "",
      [ENV.FORWARD_AURORA_CLUSTERS]: String(rds.auroraClusters),
      [ENV.ELASTICACHE_CLUSTERS]: cache.clusters.join(","),
      [ENV.ELASTICACHE_TAG_FILTER]: cache.tag ?? "",
    },
    statements: (logStreamsArn) =>
      forwardStatements<$util.Input<string>>(
        {
          bucketArn: storage.bucketArn,
          forwardStateKey: storage.forwardStateKey,
          forwardStateObjectArn: storage.forwardStateObjectArn,
          amp: access,
          rdsInstanceArns,
          rdsClusterArns,
          elastiCacheArns: cacheArns,
          logStreamsArn,
        },
        "*",
      ),
  });
  scheduleFunction("Forward", cfg.schedules.forward, f.fn, "RDS/ElastiCache metrics -> AMP", delivery);
  return f;
}

/** ARNs of the given ids, or of every resource of the kind when none are given (all, or selected by tag at run time). */
function arns(
  at: $util.Output<[string, string, string]>,
  service: "rds" | "elasticache",
  kind: "db" | "cluster",
  ids: readonly string[],
): $util.Input<string>[] {
  const names = ids.length > 0 ? ids : ["*"];
  return names.map((id) => at.apply(([p, r, a]) => `arn:${p}:${service}:${r}:${a}:${kind}:${id}`));
}
