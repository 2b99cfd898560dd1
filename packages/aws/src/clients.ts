// AWS SDK v3 clients for the reconciler, created once by the caller (handler module scope
// or CLI) and passed in. The default credential and region chain applies, so AWS_REGION,
// AWS_PROFILE, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> work as everywhere.
// With a custom endpoint (the local simulator, a VPC endpoint proxy) two SDK defaults
// would break: Cloud Map's "data-" host prefix and S3's virtual-hosted buckets.
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { SSMClient } from "@aws-sdk/client-ssm";

export interface ReconcilerClients {
  servicediscovery: ServiceDiscoveryClient;
  ecs: ECSClient;
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
}

type Env = Record<string, string | undefined>;

function customEndpoint(env: Env, service: string): boolean {
  return Boolean(env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL);
}

export interface ClientOptions {
  /** Attempts per call including the first (SDK retry with backoff). */
  maxAttempts?: number;
  /** "adaptive" adds client-side rate limiting once AWS throttles (the throttle buckets). */
  retryMode?: "standard" | "adaptive";
}

export function createReconcilerClients(env: Env = process.env, options: ClientOptions = {}): ReconcilerClients {
  const common = { maxAttempts: options.maxAttempts ?? 6, retryMode: options.retryMode ?? "adaptive" };
  return {
    servicediscovery: new ServiceDiscoveryClient({ ...common, disableHostPrefix: customEndpoint(env, "SERVICEDISCOVERY") }),
    ecs: new ECSClient(common),
    ec2: new EC2Client(common),
    s3: new S3Client({ ...common, forcePathStyle: customEndpoint(env, "S3") }),
    ssm: new SSMClient(common),
  };
}
