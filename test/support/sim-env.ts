// Test helpers: a simulator with a targets bucket and reconciler clients/config pointed at it.
import type { ClientOptions } from "@scrape-reconciler/core";
import { createReconcilerClients, parseReconcileConfig, type ReconcileConfig, type ReconcilerClients } from "@scrape-reconciler/reconcile";
import { startSimulator, type Simulator, type SimulatorOptions } from "@scrape-reconciler/sim";

export const BUCKET = "targets-test";

export interface SimEnv {
  sim: Simulator;
  env: Record<string, string>;
  clients: ReconcilerClients;
  config: ReconcileConfig;
  /** Fresh clients with other retry settings (e.g. fewer attempts to see failures). */
  clientsWith(options: ClientOptions): ReconcilerClients;
}

export async function startSimEnv(options: SimulatorOptions, extraEnv: Record<string, string> = {}): Promise<SimEnv> {
  const sim = await startSimulator(options);
  await createBucket(sim);
  const env = { ...sim.endpointEnv(), TARGETS_BUCKET: BUCKET, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...extraEnv };
  return {
    sim,
    env,
    clients: createReconcilerClients(env),
    config: parseReconcileConfig(env),
    clientsWith: (o) => createReconcilerClients(env, o),
  };
}

async function createBucket(sim: Simulator): Promise<void> {
  const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const { simClientConfig } = await import("@scrape-reconciler/sim");
  const s3 = new S3Client(simClientConfig(sim));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((err: Error) => {
    if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
  });
}
