// Physical names that other tools rely on: the function names (the CLI's
// `invoke --stage S` finds the reconcile function by this convention when
// .sst/outputs.json is absent), the roles a central AMP account trusts (IAM
// names, global to the account, carry the region), and ARN forms. Pure.

export type FunctionRole = "reconcile" | "forward" | "audit";

/** A physical name over its service's limit; the message names the stage to shorten. */
export class NameTooLongError extends Error {
  override name = "NameTooLongError";
  constructor(
    readonly physicalName: string,
    readonly stage: string,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

/** Lambda function name: `<app>-<stage>-<role>` (at most 64 characters). */
export function functionName(app: string, stage: string, role: FunctionRole): string {
  const name = `${app}-${stage}-${role}`;
  if (name.length > 64) {
    throw new NameTooLongError(name, stage, 64, `function name ${name} is longer than 64 characters: use a shorter stage name than "${stage}"`);
  }
  return name;
}

/** IAM's limits on the names of roles and of managed policies. */
export const IAM_ROLE_NAME_MAX = 64;
export const IAM_POLICY_NAME_MAX = 128;

/**
 * IAM names are global to the account while a stage is per account and region, so every
 * IAM name carries the region: the same stage deploys to two regions of one account.
 */
function iamName(kind: "role" | "policy", max: number, app: string, stage: string, region: string, suffix: string): string {
  const name = `${app}-${stage}-${region}-${suffix}`;
  if (name.length > max) {
    const room = max - (name.length - stage.length);
    throw new NameTooLongError(
      name,
      stage,
      max,
      `IAM ${kind} name ${name} is ${name.length} characters, over IAM's ${max}: stage "${stage}" is too long for region ${region} (at most ${room} characters there)`,
    );
  }
  return name;
}

/** IAM role of a function: `<app>-<stage>-<region>-<role>-role` (at most 64 characters),
 * stable so that a central account's trust policy can name it. */
export function roleName(app: string, stage: string, region: string, role: FunctionRole): string {
  return iamName("role", IAM_ROLE_NAME_MAX, app, stage, region, `${role}-role`);
}

/** Customer-managed IAM policy of this stage: `<app>-<stage>-<region>-<purpose>` (at most 128 characters). */
export function policyName(app: string, stage: string, region: string, purpose: string): string {
  return iamName("policy", IAM_POLICY_NAME_MAX, app, stage, region, purpose);
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

/** Where ARNs of this stage's account point. */
export interface ArnAt {
  partition: string;
  region: string;
  account: string;
}

/** The ECS resource types whose Describe calls take resource ARNs (Service Authorization Reference). */
export type EcsResourceKind = "task" | "service" | "container-instance";

/**
 * IAM resource patterns of one ECS resource type: every one of the account in the region
 * (`task/*`, which matches the long `task/CLUSTER/ID` and the short pre-2021 `task/ID`
 * formats), or, given cluster ARNs, those clusters' (`task/CLUSTER/*`, long format only).
 */
export function ecsResourcePatterns(kind: EcsResourceKind, at: ArnAt, clusterArns: readonly string[] = []): string[] {
  if (clusterArns.length === 0) return [`arn:${at.partition}:ecs:${at.region}:${at.account}:${kind}/*`];
  return clusterArns.map((arn) => {
    const m = /^arn:([^:]+):ecs:([^:]+):(\d{12}):cluster\/(.+)$/.exec(arn);
    if (!m) throw new Error(`not an ECS cluster ARN: ${arn}`);
    return `arn:${m[1]}:ecs:${m[2]}:${m[3]}:${kind}/${m[4]}/*`;
  });
}

/** IAM resource pattern of every Cloud Map service or namespace of the account in the region. */
export function cloudMapResourcePattern(kind: "service" | "namespace", at: ArnAt): string {
  return `arn:${at.partition}:servicediscovery:${at.region}:${at.account}:${kind}/*`;
}
