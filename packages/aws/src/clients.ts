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

function endpointOf(env: Env, service: string): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * Client settings read from the given environment (the SDK would read process.env only):
 * region, endpoint and static keys when they are set; otherwise the SDK's default chain.
 */
export function clientConfig(env: Env, service: string, options: ClientOptions = {}) {
  const endpoint = endpointOf(env, service);
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined;
  return {
    maxAttempts: options.maxAttempts ?? 6,
    retryMode: options.retryMode ?? "adaptive",
    ...(env.AWS_REGION || env.AWS_DEFAULT_REGION ? { region: env.AWS_REGION || env.AWS_DEFAULT_REGION } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

export interface ClientOptions {
  /** Attempts per call including the first (SDK retry with backoff). */
  maxAttempts?: number;
  /** "adaptive" adds client-side rate limiting once AWS throttles (the throttle buckets). */
  retryMode?: "standard" | "adaptive";
}

export function createReconcilerClients(env: Env = process.env, options: ClientOptions = {}): ReconcilerClients {
  return {
    servicediscovery: new ServiceDiscoveryClient({
      ...clientConfig(env, "SERVICEDISCOVERY", options),
      disableHostPrefix: endpointOf(env, "SERVICEDISCOVERY") !== undefined,
    }),
    ecs: new ECSClient(clientConfig(env, "ECS", options)),
    ec2: new EC2Client(clientConfig(env, "EC2", options)),
    s3: new S3Client({ ...clientConfig(env, "S3", options), forcePathStyle: endpointOf(env, "S3") !== undefined }),
    ssm: new SSMClient(clientConfig(env, "SSM", options)),
  };
}
