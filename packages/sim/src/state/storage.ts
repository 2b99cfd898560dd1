// S3 buckets and objects (ETags, metadata, conditional writes) and SSM parameters
// (versions, tiers, value limits). Both throw AwsError with the real services' codes.
import { createHash } from "node:crypto";
import { AwsError } from "../errors";
import type { ObjectRecord, ParameterRecord } from "../model";

export interface PutObjectOptions {
  contentType?: string;
  /** Content-Encoding as sent (e.g. gzip), stored and returned on GET and HEAD. */
  contentEncoding?: string;
  metadata?: Record<string, string>;
  /** `If-Match`: the current ETag (quoted or not), or `*`. */
  ifMatch?: string;
  /** `If-None-Match`: only `*` is supported by S3 on PUT. */
  ifNoneMatch?: string;
  checksumCrc32?: string;
}

const unquote = (etag: string) => etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");

/** True when `header` (a comma-separated list of ETags or `*`) matches `etag`. */
export function etagMatches(header: string, etag: string): boolean {
  return header.split(",").some((e) => e.trim() === "*" || unquote(e) === unquote(etag));
}

export class ObjectStore {
  readonly buckets = new Map<string, { createdAt: Date; objects: Map<string, ObjectRecord> }>();

  constructor(private readonly now: () => Date) {}

  createBucket(name: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
      throw new AwsError("InvalidBucketName", `The specified bucket is not valid: ${name}`);
    }
    if (this.buckets.has(name)) {
      throw new AwsError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409);
    }
    this.buckets.set(name, { createdAt: this.now(), objects: new Map() });
  }

  bucket(name: string): Map<string, ObjectRecord> {
    const b = this.buckets.get(name);
    if (!b) throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404);
    return b.objects;
  }

  put(bucket: string, key: string, body: Buffer, opts: PutObjectOptions = {}): ObjectRecord {
    const objects = this.bucket(bucket);
    const current = objects.get(key);
    if (opts.ifNoneMatch !== undefined && current && etagMatches(opts.ifNoneMatch, current.etag)) {
      throw new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
    }
    if (opts.ifMatch !== undefined) {
      if (!current) throw new AwsError("NoSuchKey", "The specified key does not exist.", 404);
      if (!etagMatches(opts.ifMatch, current.etag)) {
        throw new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
      }
    }
    const rec: ObjectRecord = {
      body,
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
      contentType: opts.contentType ?? "application/octet-stream",
      metadata: { ...(opts.metadata ?? {}) },
      lastModified: new Date(Math.floor(this.now().getTime() / 1000) * 1000),
    };
    if (opts.checksumCrc32 !== undefined) rec.checksumCrc32 = opts.checksumCrc32;
    if (opts.contentEncoding !== undefined) rec.contentEncoding = opts.contentEncoding;
    objects.set(key, rec);
    return rec;
  }

  get(bucket: string, key: string): ObjectRecord {
    const obj = this.bucket(bucket).get(key);
    if (!obj) throw new AwsError("NoSuchKey", "The specified key does not exist.", 404);
    return obj;
  }

  delete(bucket: string, key: string): void {
    this.bucket(bucket).delete(key);
  }
}

export interface PutParameterInput {
  name: string;
  value: string;
  type?: ParameterRecord["type"];
  overwrite?: boolean;
  tier?: ParameterRecord["tier"];
  description?: string;
  dataType?: string;
}

const TIER_LIMIT = { Standard: 4096, Advanced: 8192, "Intelligent-Tiering": 8192 } as const;
const MAX_VERSIONS = 100;

export class ParameterStore {
  readonly parameters = new Map<string, ParameterRecord>();

  constructor(private readonly now: () => Date) {}

  private static validateName(name: string): void {
    if (!name || name.length > 2048 || !/^[a-zA-Z0-9_.\-/]+$/.test(name) || (name.includes("/") && !name.startsWith("/"))) {
      throw new AwsError("ValidationException", `Parameter name is not valid: ${JSON.stringify(name)}`);
    }
    if (/^\/?(aws|ssm)/i.test(name)) {
      throw new AwsError("ValidationException", `No access to reserved parameter name: ${name}.`);
    }
  }

  put(input: PutParameterInput): { version: number; tier: ParameterRecord["tier"] } {
    ParameterStore.validateName(input.name);
    const current = this.parameters.get(input.name);
    if (current && !input.overwrite) {
      throw new AwsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
    }
    const type = input.type ?? current?.type;
    if (!type) throw new AwsError("ValidationException", "A parameter type is required when you create a parameter.");
    let tier = input.tier ?? current?.tier ?? "Standard";
    if (tier === "Intelligent-Tiering") tier = input.value.length > TIER_LIMIT.Standard ? "Advanced" : "Standard";
    if (current?.tier === "Advanced" && tier === "Standard") {
      throw new AwsError(
        "ValidationException",
        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.",
      );
    }
    if (input.value.length === 0) throw new AwsError("ValidationException", "Parameter value must not be empty.");
    if (input.value.length > TIER_LIMIT[tier]) {
      throw new AwsError(
        "ValidationException",
        tier === "Standard"
          ? "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
          : "Advanced tier parameters support a maximum parameter value of 8192 characters.",
      );
    }
    const version = (current?.version ?? 0) + 1;
    const lastModified = this.now();
    const rec: ParameterRecord = {
      name: input.name,
      type,
      value: input.value,
      version,
      tier,
      dataType: input.dataType ?? current?.dataType ?? "text",
      lastModified,
      history: [...(current?.history ?? []), { version, value: input.value, lastModified }].slice(-MAX_VERSIONS),
    };
    const description = input.description ?? current?.description;
    if (description !== undefined) rec.description = description;
    this.parameters.set(input.name, rec);
    return { version, tier };
  }

  /** `name`, `name:VERSION` or a parameter ARN. */
  get(ref: string): ParameterRecord {
    let spec = ref;
    let fromArn = false;
    const arn = /^arn:aws[^:]*:ssm:[^:]*:\d+:parameter(\/.*)$/.exec(ref);
    if (arn) {
      spec = arn[1]!;
      fromArn = true;
    }
    let version: number | undefined;
    const sel = /^(.*):(\d+)$/.exec(spec);
    if (sel) {
      spec = sel[1]!;
      version = Number(sel[2]);
    }
    // An ARN's resource is `parameter/NAME` for `NAME` and `parameter/a/b` for `/a/b`.
    const rec = this.parameters.get(spec) ?? (fromArn ? this.parameters.get(spec.slice(1)) : undefined);
    if (!rec) throw new AwsError("ParameterNotFound", `Parameter ${spec} not found.`);
    if (version === undefined || version === rec.version) return rec;
    const old = rec.history.find((h) => h.version === version);
    if (!old) throw new AwsError("ParameterVersionNotFound", `Systems Manager could not find version ${version} of ${spec}.`);
    return { ...rec, value: old.value, version: old.version, lastModified: old.lastModified };
  }
}
