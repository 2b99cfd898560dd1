// Where the e2e tests and benchmarks publish documents for the sidecar to pick up:
// S3 (and an SSM manifest) in the local AWS simulator, written with the real SDK over
// HTTP as the reconciler does; or a local file. SIDECAR_E2E_SOURCE=file|s3|ssm forces one.
// Also the sharded publication (core's shards.ts: shards, then the index) of a fleet of
// Cloud Map services, for the index source's tests.
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
  indexKeyOf,
  indexOf,
  SERVICE_ID_LABEL,
  serializeDocument,
  serializeIndex,
  shardKeys,
  splitDocument,
  type Shard,
  type ShardIndex,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { manifest as manifestJson } from "./fakes";
import { sha256Hex, writeFileAtomic, type SourceSpec, type StartOptions } from "../src/index";

export const BUCKET = "targets-bucket";
export const KEY = "targets/ecs-services.json";
export const PARAMETER = "/scrape-reconciler/test/targets/manifest";
/** The index of the document KEY: `targets/ecs-services.index.json`. */
export const INDEX_KEY = indexKeyOf(KEY);

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

/** The Cloud Map service id of service `n` of a fleet. */
export const serviceId = (n: number) => `srv-${String(n).padStart(4, "0")}fleet`;

/**
 * `services` Cloud Map services of `perService` targets each (one group per target, the
 * publisher's labels); `rev(n)` is service n's task definition revision (a change to it
 * changes that service's groups only).
 */
export function fleet(services: number, perService: number, rev: (n: number) => number = () => 1): TargetDocument {
  const groups = [];
  for (let n = 0; n < services; n++) {
    const service = `svc${n}`;
    for (let t = 0; t < perService; t++) {
      const target = `10.${n}.${t >> 8}.${t & 255}:9100`;
      groups.push({
        targets: [target],
        labels: {
          [SERVICE_ID_LABEL]: serviceId(n),
          __meta_cloudmap_namespace_name: "prod.local",
          __meta_cloudmap_service_name: service,
          __meta_ecs_availability_zone: t % 2 ? "eu-west-1b" : "eu-west-1a",
          __metrics_path__: "/metrics",
          cluster: "main",
          instance: target,
          service,
          taskdefinition: `${service}:${rev(n)}`,
          taskid: `task-${n}-${t}`,
        },
      });
    }
  }
  return groups;
}

/** The sharded publication of a document: its shards, its index, and the single document's bytes. */
export interface ShardedLayout {
  shards: Shard[];
  index: ShardIndex;
  indexText: string;
  /** serializeDocument of the whole document: what the single document's object holds. */
  documentText: string;
}

/** The last index laid out: the next layout keeps the keys of its unchanged shards, as the reconciler does. */
let lastIndex: ShardIndex | undefined;

export function shardedLayout(document: TargetDocument, generation: number, fields: Partial<Pick<ShardIndex, "generatedAt" | "retired">> = {}): ShardedLayout {
  const shards = splitDocument(document);
  const documentText = serializeDocument(document);
  const index = indexOf(KEY, shards, sha256Hex(documentText), {
    generation,
    generatedAt: fields.generatedAt ?? "2026-01-01T00:00:00.000Z",
    stateGeneration: generation,
    keys: shardKeys(KEY, shards, generation, lastIndex),
    ...(fields.retired ? { retired: fields.retired } : {}),
  });
  lastIndex = index;
  return { shards, index, indexText: serializeIndex(index), documentText };
}

/** Writes the shards of a layout (every one, or those `shards` keeps), then its index (or `indexText`), gzip, as the reconciler does. */
export async function putSharded(
  s3: S3Client,
  layout: ShardedLayout,
  opts: { shards?: (s: Shard) => boolean; indexText?: string; bucket?: string } = {},
): Promise<void> {
  const bucket = opts.bucket ?? BUCKET;
  const entries = new Map(layout.index.shards.map((e) => [e.id, e]));
  for (const s of layout.shards.filter(opts.shards ?? (() => true))) {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: entries.get(s.id)!.key, Body: gzipSync(s.text), ContentType: "application/json", ContentEncoding: "gzip" }),
    );
  }
  const indexBody = gzipSync(opts.indexText ?? layout.indexText);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: INDEX_KEY, Body: indexBody, ContentType: "application/json", ContentEncoding: "gzip" }));
}
