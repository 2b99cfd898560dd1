// AWS SDK v3 clients for the reconciler, created once by the caller (handler module scope
// or CLI) and passed in; settings from core's clientConfig. With a custom endpoint (the
// local simulator, a VPC endpoint proxy) two SDK defaults would break: Cloud Map's "data-"
// host prefix and S3's virtual-hosted buckets.
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { SSMClient } from "@aws-sdk/client-ssm";
import { clientConfig, endpointOf, type ClientOptions } from "@scrape-reconciler/core";

export interface ReconcilerClients {
  servicediscovery: ServiceDiscoveryClient;
  ecs: ECSClient;
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
}

type Env = Record<string, string | undefined>;

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
