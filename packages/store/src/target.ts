// Where a targets document is published (bucket and key in S3, the manifest parameter in
// SSM) and the metadata written on the document object: what the manifest repair, the
// state-generation floor and the sidecars read back without the body.
import type { S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { ObjectCache } from "./object-cache";

export interface PublishTarget {
  s3: S3Client;
  ssm: SSMClient;
  bucket: string;
  key: string;
  manifestParameter: string;
  /** A warm process' copies of the objects it read or wrote (reads become conditional GETs). */
  cache?: ObjectCache;
}

/** The document object's metadata names (x-amz-meta-*). */
export const META = {
  generation: "generation",
  sha256: "sha256",
  targets: "target-count",
  generatedAt: "generated-at",
  stateGeneration: "state-generation",
} as const;
