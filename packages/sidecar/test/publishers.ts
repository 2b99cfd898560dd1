// Where the e2e tests and benchmarks publish documents for the sidecar to pick up:
// S3 (and an SSM manifest) in the local AWS simulator, written with the real SDK over
// HTTP as the reconciler does; or a local file. SIDECAR_E2E_SOURCE=file|s3|ssm forces one.
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { manifest as manifestJson } from "./fakes";
import { sha256Hex, writeFileAtomic, type SourceSpec, type StartOptions } from "../src/index";

export const BUCKET = "targets-bucket";
export const KEY = "targets/ecs-services.json";
export const PARAMETER = "/scrape-reconciler/test/targets/manifest";

export interface PublishOptions {
  /** SSM: the generation written in the manifest (default: one more than the last). */
  generation?: number;
  /** SSM: the sha256 written in the manifest (default: the document's). */
  sha256?: string;
  /** SSM: update only the manifest, not the S3 object. */
  manifestOnly?: boolean;
}

export interface Publisher {
  kind: "file" | "s3" | "ssm";
  spec: SourceSpec;
  /** Extra startSidecar options (SDK client config for the simulator). */
  startOptions: Partial<StartOptions>;
  /** Environment for a sidecar child process (endpoints, region, credentials). */
  env: Record<string, string>;
  sim?: Simulator;
  publish(body: string, opts?: PublishOptions): Promise<void>;
  close(): Promise<void>;
}

export async function filePublisher(dir: string): Promise<Publisher> {
  const path = join(dir, "published.json");
  return {
    kind: "file",
    spec: { kind: "file", path },
    startOptions: {},
    env: {},
    publish: async (body) => {
      await writeFileAtomic(path, body, { skipUnchanged: false });
    },
    close: async () => {},
  };
}

/** The simulator with a bucket (and the manifest parameter for "ssm"); real SDK clients publish. */
export async function simPublisher(kind: "s3" | "ssm"): Promise<Publisher> {
  const sim = await startSimulator({ scenario: { buckets: [BUCKET] } });
  const config = simClientConfig(sim);
  const s3 = new S3Client(config);
  const ssm = new SSMClient(config);
  let generation = 0;
  let closed = false;
  return {
    kind,
    sim,
    spec: kind === "s3" ? { kind: "s3", bucket: BUCKET, key: KEY } : { kind: "ssm", name: PARAMETER },
    startOptions: { s3Config: config, ssmConfig: config },
    env: sim.endpointEnv(),
    publish: async (body, opts = {}) => {
      generation = opts.generation ?? generation + 1;
      if (!opts.manifestOnly) {
        await s3.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: KEY,
            Body: body,
            ContentType: "application/json",
            Metadata: { generation: String(generation), sha256: sha256Hex(Buffer.from(body)) },
          }),
        );
      }
      if (kind === "ssm") {
        const manifest = manifestJson(generation, body, { bucket: BUCKET, key: KEY, ...(opts.sha256 ? { sha256: opts.sha256 } : {}) });
        await ssm.send(new PutParameterCommand({ Name: PARAMETER, Value: manifest, Type: "String", Overwrite: true }));
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      s3.destroy();
      ssm.destroy();
      await sim.close();
    },
  };
}

/** The publisher the e2e tests use: S3 in the simulator unless SIDECAR_E2E_SOURCE says otherwise. */
export async function openPublisher(dir: string, fallback: "s3" | "ssm" = "s3"): Promise<Publisher> {
  const kind = process.env.SIDECAR_E2E_SOURCE ?? fallback;
  if (kind === "file") return filePublisher(dir);
  if (kind === "s3" || kind === "ssm") return simPublisher(kind);
  throw new Error(`SIDECAR_E2E_SOURCE must be file, s3 or ssm, not ${JSON.stringify(kind)}`);
}
