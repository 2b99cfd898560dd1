// AWS SDK v3 clients for the reconciler, created once by the caller (handler module scope
// or CLI) and passed in; settings from core's clientConfig. With a custom endpoint (the
// local simulator, a VPC endpoint proxy) two SDK defaults would break: Cloud Map's "data-"
// host prefix and S3's virtual-hosted buckets. The EC2 client, needed only to read a new
// container instance, is created on its first call from a dynamic import of the EC2 SDK
// (its own chunk in the function bundle, loaded only then). Beside them, the process'
// object cache: a warm function reads the state and the document it wrote with a
// conditional GET (304, no body, nothing parsed again).
import type { EC2Client, EC2ClientConfig } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { SSMClient } from "@aws-sdk/client-ssm";
import { clientConfig, endpointOf, type ClientOptions } from "@scrape-reconciler/core";
import { ObjectCache } from "@scrape-reconciler/store";

export interface ReconcilerClients {
  servicediscovery: ServiceDiscoveryClient;
  ecs: ECSClient;
  /** EC2Client's `send`, loading the EC2 SDK on its first call. */
  ec2: LazyEc2Client;
  s3: S3Client;
  ssm: SSMClient;
  /** The state and document as this process last read or wrote them (conditional GETs). */
  objects?: ObjectCache;
}

type Env = Record<string, string | undefined>;

export type LazyEc2Client = Pick<EC2Client, "send" | "destroy">;

/** An EC2 client created, with its SDK module, on the first `send`. */
export function lazyEc2Client(config: EC2ClientConfig): LazyEc2Client {
  let client: Promise<EC2Client> | undefined;
  const load = () => (client ??= import("@aws-sdk/client-ec2").then(({ EC2Client }) => new EC2Client(config)));
  const send = (...args: Parameters<EC2Client["send"]>) => load().then((c) => (c.send as (...a: unknown[]) => unknown)(...args));
  return {
    send: send as EC2Client["send"],
    destroy: () => {
      void client?.then((c) => c.destroy());
    },
  };
}

export function createReconcilerClients(env: Env = process.env, options: ClientOptions = {}): ReconcilerClients {
  return {
    servicediscovery: new ServiceDiscoveryClient({
      ...clientConfig(env, "SERVICEDISCOVERY", options),
      disableHostPrefix: endpointOf(env, "SERVICEDISCOVERY") !== undefined,
    }),
    ecs: new ECSClient(clientConfig(env, "ECS", options)),
    ec2: lazyEc2Client(clientConfig(env, "EC2", options)),
    s3: new S3Client({ ...clientConfig(env, "S3", options), forcePathStyle: endpointOf(env, "S3") !== undefined }),
    ssm: new SSMClient(clientConfig(env, "SSM", options)),
    objects: new ObjectCache(),
  };
}
