// What Pulumi's unit-test mocks answer when sst.config.ts runs offline: the output state a
// real provider would add to each resource (names and ARNs derived the way AWS derives
// them) and the provider functions SST calls (region, partition, caller identity, IAM
// policy documents). Shared by the stack's unit tests and the emulation's synth. Pure.

export const MOCK_ACCOUNT = "111122223333";
export const MOCK_REGION = "eu-west-1";

export interface MockAt {
  account: string;
  region: string;
}

/** Output state the real provider would add: names and ARNs derived like AWS does. */
export function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  at: MockAt = { account: MOCK_ACCOUNT, region: MOCK_REGION },
): Record<string, unknown> {
  const base = `arn:aws`;
  const where = `${at.region}:${at.account}`;
  switch (type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = inputs.bucket ?? `${name.toLowerCase()}-mock`;
      return { ...inputs, bucket, arn: `${base}:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` };
    }
    case "aws:sqs/queue:Queue": {
      const qn = inputs.name ?? `${name}-mock`;
      return { ...inputs, name: qn, arn: `${base}:sqs:${where}:${qn}`, url: `https://sqs.${at.region}.amazonaws.com/${at.account}/${qn}` };
    }
    case "aws:lambda/function:Function":
      return { ...inputs, arn: `${base}:lambda:${where}:function:${inputs.name}`, invokeArn: "mock", qualifiedArn: "mock", version: "$LATEST" };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { ...inputs, arn: `${base}:logs:${where}:log-group:${inputs.name}` };
    case "aws:cloudwatch/eventRule:EventRule":
      return { ...inputs, name: inputs.name ?? `${name}-mock`, arn: `${base}:events:${where}:rule/${inputs.name ?? `${name}-mock`}` };
    case "aws:iam/role:Role":
      return { ...inputs, name: inputs.name ?? `${name}-mock`, arn: `${base}:iam::${at.account}:role/${inputs.name ?? `${name}-mock`}` };
    case "aws:iam/policy:Policy":
      return { ...inputs, arn: `${base}:iam::${at.account}:policy/${inputs.name ?? `${name}-mock`}` };
    case "aws:sns/topic:Topic":
      return { ...inputs, arn: `${base}:sns:${where}:${inputs.name ?? `${name}-mock`}` };
    case "aws:ssm/parameter:Parameter":
      return { ...inputs, arn: `${base}:ssm:${where}:parameter/${String(inputs.name ?? name).replace(/^\//, "")}` };
    default:
      return { ...inputs, arn: inputs.arn ?? `${base}:mock:${where}:${type}/${name}`, base64: "bW9jaw==", hex: "6d6f636b" };
  }
}

/** Answers to the provider functions SST and infra/ call; undefined for an unknown one. */
export function mockCall(
  token: string,
  inputs: Record<string, unknown>,
  at: MockAt = { account: MOCK_ACCOUNT, region: MOCK_REGION },
): Record<string, unknown> | undefined {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { name: at.region, region: at.region, id: at.region, endpoint: `ec2.${at.region}.amazonaws.com`, description: at.region };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: at.account, arn: `arn:aws:iam::${at.account}:user/ci`, userId: "AIDACI", id: at.account };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return { ...inputs, json: JSON.stringify(policyJson(inputs)), id: "policy" };
    default:
      return undefined;
  }
}

/** One statement of iam.getPolicyDocument's `statements` input, as Pulumi's aws provider declares it. */
interface PolicyDocumentStatement {
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** What iam.getPolicyDocument returns for the statements it is given. */
export function policyJson(inputs: Record<string, unknown>) {
  const statements = (inputs.statements ?? []) as PolicyDocumentStatement[];
  return {
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: s.effect ?? "Allow",
      Action: s.actions,
      Resource: s.resources,
      ...(s.principals ? { Principal: Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers])) } : {}),
      ...(s.conditions ? { Condition: Object.fromEntries(s.conditions.map((c) => [c.test, { [c.variable]: c.values }])) } : {}),
    })),
  };
}
