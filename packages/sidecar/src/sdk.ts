// The AWS SDK client modules, each loaded once, on first use (a dynamic import; in the
// esbuild bundle a module that is evaluated only then): S3 for s3: and ssm: sources, SSM
// only for an ssm: source, STS only for a source with a role, none for file: sources. A
// sidecar that never needs SSM or STS never pays their memory (issue "Footprint",
// bench/sidecar-footprint.ts).
let s3Sdk: Promise<typeof import("@aws-sdk/client-s3")> | undefined;
let ssmSdk: Promise<typeof import("@aws-sdk/client-ssm")> | undefined;
let stsSdk: Promise<typeof import("@aws-sdk/client-sts")> | undefined;

export const loadS3 = () => (s3Sdk ??= import("@aws-sdk/client-s3"));
export const loadSsm = () => (ssmSdk ??= import("@aws-sdk/client-ssm"));
export const loadSts = () => (stsSdk ??= import("@aws-sdk/client-sts"));
