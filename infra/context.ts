// Where this stage deploys: partition, region and account of the AWS provider,
// as Pulumi outputs, plus ARN builders on top of them.
import { ecsClusterArn, ssmParameterArn } from "./naming";

export interface DeployContext {
  partition: $util.Output<string>;
  region: $util.Output<string>;
  account: $util.Output<string>;
  ssmParameterArn(name: string): $util.Output<string>;
  ecsClusterArns(refs: readonly string[]): $util.Output<string[]>;
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
  };
}
