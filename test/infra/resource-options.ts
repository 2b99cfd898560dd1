// Records the resource options that Pulumi's mocks do not pass to `newResource`:
// retainOnDelete, protect and the resources each one depends on (dependsOn,
// explicit or through a component). It wraps the mock monitor's registerResource,
// so it must be installed before `runStack` in the same process.
import { join } from "node:path";
import { PLATFORM } from "./sst-harness";

/** The targets bucket and every resource that configures it (infra/storage.ts), as `type::name`. */
export const TARGETS_BUCKET_RESOURCES = [
  "aws:s3/bucket:Bucket::TargetsBucket",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::TargetsPublicAccessBlock",
  "aws:s3/bucketPolicy:BucketPolicy::TargetsPolicy",
  "aws:s3/bucketVersioning:BucketVersioning::TargetsVersioning",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::TargetsEncryption",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls::TargetsOwnership",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::TargetsLifecycle",
];

export interface RegisteredOptions {
  type: string;
  name: string;
  retainOnDelete: boolean;
  protect: boolean;
  /** The resources this one depends on, as `type::name`. */
  dependsOn: string[];
}

export interface OptionsLog {
  all(): RegisteredOptions[];
  /** The options of the one resource of `type` named `name`; throws when there is not exactly one. */
  of(type: string, name: string | RegExp): RegisteredOptions;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getRetainondelete(): boolean | undefined;
  getProtect(): boolean | undefined;
  getDependenciesList(): string[];
}

/** `urn:pulumi:stack::project::parent$type::name` -> `type::name`. */
export function urnKey(urn: string): string {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  const type = parts[2]!.split("$").pop()!;
  return `${type}::${name}`;
}

export async function recordResourceOptions(): Promise<OptionsLog> {
  const mocks = await import(join(PLATFORM, "node_modules/@pulumi/pulumi/runtime/mocks.js"));
  const proto = mocks.MockMonitor.prototype as { registerResource(req: RegisterRequest, cb: unknown): Promise<void> };
  const log: RegisteredOptions[] = [];
  const original = proto.registerResource;
  proto.registerResource = function (this: unknown, req: RegisterRequest, cb: unknown) {
    log.push({
      type: req.getType(),
      name: req.getName(),
      retainOnDelete: req.getRetainondelete() === true,
      protect: req.getProtect() === true,
      dependsOn: req.getDependenciesList().map(urnKey),
    });
    return original.call(this, req, cb);
  };
  return {
    all: () => [...log],
    of(type, name) {
      const found = log.filter((r) => r.type === type && (typeof name === "string" ? r.name === name : name.test(r.name)));
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.map((r) => r.name).join(", ") || "none"}`);
      return found[0]!;
    },
  };
}
