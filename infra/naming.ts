// Physical names that other tools rely on: the function names (the CLI's
// `invoke --stage S` finds the reconcile function by this convention when
// .sst/outputs.json is absent), the roles a central AMP account trusts, and
// ARN forms. Pure.

export type FunctionRole = "reconcile" | "forward" | "audit";

/** Lambda function name: `<app>-<stage>-<role>` (at most 64 characters). */
export function functionName(app: string, stage: string, role: FunctionRole): string {
  const name = `${app}-${stage}-${role}`;
  if (name.length > 64) throw new Error(`function name ${name} is longer than 64 characters: use a shorter stage name`);
  return name;
}

/** IAM role of a function: `<function name>-role` (at most 64 characters), stable so that a
 * central account's trust policy can name it. */
export function roleName(app: string, stage: string, role: FunctionRole): string {
  const name = `${functionName(app, stage, role)}-role`;
  if (name.length > 64) throw new Error(`role name ${name} is longer than 64 characters: use a shorter stage name`);
  return name;
}

/** ARN of an SSM parameter; `name` starts with "/" and the ARN keeps no double slash. */
export function ssmParameterArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:ssm:${region}:${account}:parameter/${name.replace(/^\//, "")}`;
}

/** ARN of an S3 object. */
export function s3ObjectArn(bucketArn: string, key: string): string {
  return `${bucketArn}/${key}`;
}

/** An ECS cluster ARN from a name (an ARN is returned unchanged). */
export function ecsClusterArn(ref: string, at: { partition: string; region: string; account: string }): string {
  if (ref.startsWith("arn:")) return ref;
  return `arn:${at.partition}:ecs:${at.region}:${at.account}:cluster/${ref}`;
}
