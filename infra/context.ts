// Where this stage deploys: partition, region and account of the AWS provider,
// as Pulumi outputs, plus ARN builders on top of them.
import { checkDeployTarget, type StageConfig } from "./config";
import { cloudMapResourcePattern, ecsClusterArn, ecsResourcePatterns, ssmParameterArn, type EcsResourceKind } from "./naming";

export interface DeployContext {
  partition: $util.Output<string>;
  region: $util.Output<string>;
  account: $util.Output<string>;
  ssmParameterArn(name: string): $util.Output<string>;
  ecsClusterArns(refs: readonly string[]): $util.Output<string[]>;
  /** IAM patterns of one ECS resource type: the account's, or those of the given clusters (names or ARNs). */
  ecsResourcePatterns(kind: EcsResourceKind, clusterRefs?: readonly string[]): $util.Output<string>[];
  /** IAM pattern of every Cloud Map service or namespace of the account in the region. */
  cloudMapResourcePattern(kind: "service" | "namespace"): $util.Output<string>;
}

/**
 * Stops the deploy, before any resource is declared, when the credentials are of another
 * account than the stage's `account` or the provider's region is not its `region`
 * (checkDeployTarget: one line naming the field).
 */
export async function assertDeployTarget(cfg: StageConfig): Promise<void> {
  if (cfg.account === undefined && cfg.region === undefined) return;
  const [caller, region] = await Promise.all([aws.getCallerIdentity({}), aws.getRegion({})]);
  checkDeployTarget(cfg, { account: caller.accountId, region: region.region, callerArn: caller.arn });
}

export function deployContext(): DeployContext {
  const partition = aws.getPartitionOutput({}).partition;
  const region = aws.getRegionOutput({}).region;
  const account = aws.getCallerIdentityOutput({}).accountId;
  const at = $util.all([partition, region, account]);
  return {
    partition,
    region,
    account,
    ssmParameterArn: (name) => at.apply(([p, r, a]) => ssmParameterArn(p, r, a, name)),
    ecsClusterArns: (refs) => at.apply(([p, r, a]) => refs.map((ref) => ecsClusterArn(ref, { partition: p, region: r, account: a }))),
    ecsResourcePatterns: (kind, refs = []) => {
      const patterns = (p: string, r: string, a: string) => {
        const at = { partition: p, region: r, account: a };
        return ecsResourcePatterns(
          kind,
          at,
          refs.map((ref) => ecsClusterArn(ref, at)),
        );
      };
      // One output per pattern (their number is known now), so each is one policy resource.
      return Array.from({ length: Math.max(1, refs.length) }, (_, i) => at.apply(([p, r, a]) => patterns(p, r, a)[i]!));
    },
    cloudMapResourcePattern: (kind) => at.apply(([p, r, a]) => cloudMapResourcePattern(kind, { partition: p, region: r, account: a })),
  };
}
