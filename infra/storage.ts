// Storage of the published artifacts: one private bucket per stage holding the
// targets document and the functions' state objects, and the name/ARN of the
// SSM manifest parameter.
//
// Readers in other accounts (the stage's `readers`, a central Prometheus): the bucket
// policy grants them s3:GetObject on the document object and nothing else (see
// documentReaderGrants in iam.ts), after SST's TLS-only deny. What keeps that grant
// sufficient: SSE-S3 (a KMS key would need a key-policy grant too, and the AWS managed
// aws/s3 key cannot grant other accounts at all) and BucketOwnerEnforced (ACLs off,
// the bucket owner owns every object, so the bucket policy alone decides).
//
// Removal (the stage's `removal`): with "retain", `sst remove` keeps the bucket
// and every resource that configures it (public access block, TLS-only policy,
// versioning, encryption, ownership, lifecycle), so a retained bucket stays
// private, encrypted and TLS-only; with "remove" all of them go, the bucket
// emptied first.
//
// The manifest parameter is not declared here: the reconcile function creates
// it on its first publish (PutParameter, scoped to that one ARN). Declared in
// the stack it would need a placeholder value, which readers would take for a
// manifest, and `ignoreChanges` to stop every deploy from resetting it. So
// `sst remove` never deletes it, whatever the removal setting (infra/README.md
// says how to delete it).
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import { documentReaderGrants } from "./iam";
import { indexKeyOf, shardPrefixOf } from "../packages/core/src/shards";
import { statePartPrefixOf } from "../packages/core/src/state-shards";
import { s3ObjectArn } from "./naming";

export interface Storage {
  bucket: sst.aws.Bucket;
  bucketName: $util.Output<string>;
  bucketArn: $util.Output<string>;
  documentKey: string;
  stateKey: string;
  forwardStateKey: string;
  documentObjectArn: $util.Output<string>;
  stateObjectArn: $util.Output<string>;
  /** The shard index beside the document and every shard object (core's shards.ts layout). */
  indexKey: string;
  indexObjectArn: $util.Output<string>;
  shardObjectsArn: $util.Output<string>;
  /** The state's part objects (`targets/state.parts/*`). */
  statePartsArn: $util.Output<string>;
  forwardStateObjectArn: $util.Output<string>;
  manifestParameter: string;
  manifestParameterArn: $util.Output<string>;
}

export function createStorage(cfg: StageConfig, ctx: DeployContext): Storage {
  const retain = cfg.removal === "retain";
  const retained = (_args: unknown, opts: $util.CustomResourceOptions): undefined => {
    opts.retainOnDelete = retain;
  };
  const bucket = new sst.aws.Bucket("Targets", {
    versioning: true,
    // Bucket policy: deny every request with aws:SecureTransport = false; then, with
    // readers, their s3:GetObject on the document.
    enforceHttps: true,
    policy: documentReaderGrants(cfg.readers, cfg.document.key),
    cors: false,
    transform: {
      bucket: (args, opts) => {
        args.forceDestroy = !retain;
        opts.retainOnDelete = retain;
      },
      // Block all four kinds of public access (SST relaxes two only for public buckets).
      publicAccessBlock: (args, opts) => {
        args.blockPublicAcls = true;
        args.blockPublicPolicy = true;
        args.ignorePublicAcls = true;
        args.restrictPublicBuckets = true;
        opts.retainOnDelete = retain;
      },
      policy: retained,
      versioning: retained,
    },
  });

  // SSE-S3 rather than KMS: readers (the Prometheus task role, and the `readers` of other
  // accounts) need no key grant.
  new aws.s3.BucketServerSideEncryptionConfiguration(
    "TargetsEncryption",
    {
      bucket: bucket.name,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    },
    { retainOnDelete: retain },
  );
  new aws.s3.BucketOwnershipControls("TargetsOwnership", { bucket: bucket.name, rule: { objectOwnership: "BucketOwnerEnforced" } }, { retainOnDelete: retain });
  // Every publish is a new version: keep old ones long enough to roll back, then expire them.
  new aws.s3.BucketLifecycleConfiguration(
    "TargetsLifecycle",
    {
      bucket: bucket.name,
      rules: [
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: {},
          noncurrentVersionExpiration: { noncurrentDays: cfg.document.noncurrentVersionDays },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ],
    },
    { retainOnDelete: retain },
  );

  const object = (key: string) => bucket.arn.apply((arn) => s3ObjectArn(arn, key));
  return {
    bucket,
    bucketName: bucket.name,
    bucketArn: bucket.arn,
    documentKey: cfg.document.key,
    stateKey: cfg.document.stateKey,
    forwardStateKey: cfg.document.forwardStateKey,
    documentObjectArn: object(cfg.document.key),
    stateObjectArn: object(cfg.document.stateKey),
    indexKey: indexKeyOf(cfg.document.key),
    indexObjectArn: object(indexKeyOf(cfg.document.key)),
    shardObjectsArn: object(`${shardPrefixOf(cfg.document.key)}*`),
    statePartsArn: object(`${statePartPrefixOf(cfg.document.stateKey)}*`),
    forwardStateObjectArn: object(cfg.document.forwardStateKey),
    manifestParameter: cfg.manifestParameter,
    manifestParameterArn: ctx.ssmParameterArn(cfg.manifestParameter),
  };
}
