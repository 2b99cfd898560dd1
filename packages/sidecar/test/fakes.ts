// Fakes for the sources' SDK clients: an in-memory S3 (ETags, If-None-Match -> a 304
// thrown the way SDK v3 throws it) and SSM parameter store, recording every call.
import { createHash } from "node:crypto";
import type { GetObjectCommand, GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { GetParameterCommand, GetParameterCommandOutput } from "@aws-sdk/client-ssm";
import type { S3Like, SsmLike } from "../src/index";

export interface FakeS3 extends S3Like {
  put(bucket: string, key: string, body: string, metadata?: Record<string, string>): string;
  calls: { bucket: string; key: string; ifNoneMatch?: string; status: number }[];
  fail?: (err: unknown) => void;
  nextError?: unknown;
}

export function fakeS3(): FakeS3 {
  const objects = new Map<string, { body: Buffer; etag: string; metadata: Record<string, string> }>();
  const s3: FakeS3 = {
    calls: [],
    put(bucket, key, body, metadata = {}) {
      const buf = Buffer.from(body);
      const etag = `"${createHash("md5").update(buf).digest("hex")}"`;
      objects.set(`${bucket}/${key}`, { body: buf, etag, metadata });
      return etag;
    },
    async send(cmd: GetObjectCommand): Promise<GetObjectCommandOutput> {
      const { Bucket, Key, IfNoneMatch } = cmd.input;
      if (s3.nextError) {
        const e = s3.nextError;
        s3.nextError = undefined;
        s3.calls.push({ bucket: Bucket!, key: Key!, status: 0 });
        throw e;
      }
      const obj = objects.get(`${Bucket}/${Key}`);
      if (!obj) {
        s3.calls.push({ bucket: Bucket!, key: Key!, status: 404 });
        throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
      }
      if (IfNoneMatch && IfNoneMatch === obj.etag) {
        s3.calls.push({ bucket: Bucket!, key: Key!, ifNoneMatch: IfNoneMatch, status: 304 });
        throw Object.assign(new Error("UnknownError"), { name: "Unknown", $metadata: { httpStatusCode: 304 } });
      }
      s3.calls.push({ bucket: Bucket!, key: Key!, ...(IfNoneMatch ? { ifNoneMatch: IfNoneMatch } : {}), status: 200 });
      const bytes = new Uint8Array(obj.body);
      return {
        $metadata: { httpStatusCode: 200 },
        ETag: obj.etag,
        Metadata: obj.metadata,
        Body: { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput["Body"],
      };
    },
  };
  return s3;
}

export interface FakeSsm extends SsmLike {
  set(name: string, value: string): void;
  calls: string[];
}

export function fakeSsm(): FakeSsm {
  const params = new Map<string, string>();
  const ssm: FakeSsm = {
    calls: [],
    set: (name, value) => void params.set(name, value),
    async send(cmd: GetParameterCommand): Promise<GetParameterCommandOutput> {
      const name = cmd.input.Name!;
      ssm.calls.push(name);
      const value = params.get(name);
      if (value === undefined) {
        throw Object.assign(new Error("parameter not found"), { name: "ParameterNotFound", $metadata: { httpStatusCode: 400 } });
      }
      return { $metadata: { httpStatusCode: 200 }, Parameter: { Name: name, Value: value, Type: "String" } };
    },
  };
  return ssm;
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export function manifest(generation: number, body: string, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1,
    generation,
    sha256: sha256(body),
    bucket: "bkt",
    key: "targets/ecs-services.json",
    etag: "",
    targets: 0,
    groups: 0,
    services: 0,
    generatedAt: new Date().toISOString(),
    sources: {},
    failedServices: [],
    skippedEndpoints: 0,
    ...over,
  });
}
