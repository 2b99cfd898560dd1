// The forwarder's AWS clients (CloudWatch, RDS, ElastiCache, S3) and its remote-write
// client, created once by the caller (the handler's module scope, the CLI) and passed
// in. Region, endpoint and keys come from the given environment like the reconciler's
// clients (AWS_REGION, AWS_ENDPOINT_URL[_<SERVICE>], the default chain otherwise); S3
// uses path-style addressing when a custom endpoint is set.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { RDSClient } from "@aws-sdk/client-rds";
import { S3Client } from "@aws-sdk/client-s3";
import { clientConfig, type ClientOptions } from "@scrape-reconciler/core";
import { createRemoteWriteClient, defaultCredentials, type RemoteWriteClient, type RemoteWriteClientOptions } from "@scrape-reconciler/remote-write";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { ForwardConfig } from "./config";

type Env = Record<string, string | undefined>;

export interface ForwarderClients {
  cloudwatch: CloudWatchClient;
  rds: RDSClient;
  elasticache: ElastiCacheClient;
  s3: S3Client;
}

export function createForwarderClients(env: Env = process.env, options: ClientOptions = {}): ForwarderClients {
  const s3Endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  return {
    cloudwatch: new CloudWatchClient(clientConfig(env, "CLOUDWATCH", options)),
    rds: new RDSClient(clientConfig(env, "RDS", options)),
    elasticache: new ElastiCacheClient(clientConfig(env, "ELASTICACHE", options)),
    s3: new S3Client({ ...clientConfig(env, "S3", options), forcePathStyle: !!s3Endpoint }),
  };
}

/**
 * Credentials of a role assumed with the default chain's credentials, cached until five
 * minutes before they expire (for an AMP workspace in another account).
 */
export function assumeRoleCredentials(roleArn: string, region: string, env: Env = process.env): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  return async () => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > 5 * 60_000) return cached;
    // The STS client is loaded only when a role is configured.
    const { STSClient, AssumeRoleCommand } = await import("@aws-sdk/client-sts");
    const sts = new STSClient({ ...clientConfig(env, "STS"), region });
    const res = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "scrape-reconciler-forwarder", DurationSeconds: 3600 }));
    const c = res.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`sts:AssumeRole ${roleArn} returned no credentials`);
    cached = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    return cached;
  };
}

export function createForwarderRemoteWrite(
  config: ForwardConfig,
  env: Env = process.env,
  extra: Omit<RemoteWriteClientOptions, "url" | "auth"> = {},
): RemoteWriteClient {
  const a = config.remoteWrite.auth;
  const auth: RemoteWriteClientOptions["auth"] =
    a.type === "none"
      ? { type: "none" }
      : {
          type: "sigv4",
          region: a.region,
          service: "aps",
          credentials: a.roleArn ? assumeRoleCredentials(a.roleArn, a.region, env) : (clientConfig(env, "APS").credentials ?? defaultCredentials()),
        };
  return createRemoteWriteClient({ url: config.remoteWrite.url, auth, ...extra });
}
