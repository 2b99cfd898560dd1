// Read-only access for the sidecar beside each Prometheus: a managed policy
// with s3:GetObject on the document, its shard index and shards, ssm:GetParameter on the manifest (and
// s3:ListBucket, so a not-yet-published document reads as 404). Attached to
// the Prometheus task role when the stage names it; exported either way. Its name
// carries the region, as IAM names are global to the account.
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import { policyCondition, prometheusReadStatements } from "./iam";
import { policyName } from "./naming";
import type { Storage } from "./storage";

export function createSidecarAccess(cfg: StageConfig, ctx: DeployContext, storage: Storage) {
  const statements = prometheusReadStatements<$util.Input<string>>({
    bucketArn: storage.bucketArn,
    documentKey: storage.documentKey,
    documentObjectArn: storage.documentObjectArn,
    indexKey: storage.indexKey,
    indexObjectArn: storage.indexObjectArn,
    shardObjectsArn: storage.shardObjectsArn,
    manifestParameterArn: storage.manifestParameterArn,
  });
  const policy = new aws.iam.Policy("PrometheusRead", {
    name: ctx.region.apply((region) => policyName(cfg.app, cfg.stage, region, "prometheus-read")),
    description: `Read the ${cfg.app} ${cfg.stage} targets document and manifest`,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: statements.map((s) => ({ Effect: "Allow", Action: s.actions, Resource: s.resources, ...policyCondition(s.conditions) })),
    }),
  });
  if (cfg.prometheusTaskRoleName) {
    new aws.iam.RolePolicyAttachment("PrometheusReadAttachment", {
      role: cfg.prometheusTaskRoleName,
      policyArn: policy.arn,
    });
  }
  return { policy };
}
