// Storage of the published artifacts: one private bucket per stage holding the
// targets document and the functions' state objects, and the name/ARN of the
// SSM manifest parameter.
//
// The manifest parameter is not declared here: the reconcile function creates
// it on its first publish (PutParameter, scoped to that one ARN). Declared in
// the stack it would need a placeholder value, which readers would take for a
// manifest, and `ignoreChanges` to stop every deploy from resetting it. The
// cost: `sst remove` leaves it behind (infra/README.md says how to delete it).
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
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
  forwardStateObjectArn: $util.Output<string>;
  manifestParameter: string;
  manifestParameterArn: $util.Output<string>;
}

export function createStorage(cfg: StageConfig, ctx: DeployContext): Storage {
  const bucket = new sst.aws.Bucket("Targets", {
    versioning: true,
    // Bucket policy: deny every request with aws:SecureTransport = false.
    enforceHttps: true,
    cors: false,
    transform: {
      bucket: (args) => {
        args.forceDestroy = $app.removal !== "retain";
      },
      // Block all four kinds of public access (SST relaxes two only for public buckets).
      publicAccessBlock: {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    },
  });

  // SSE-S3 rather than KMS: readers (the Prometheus task role) need no key grant.
  new aws.s3.BucketServerSideEncryptionConfiguration("TargetsEncryption", {
    bucket: bucket.name,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
  });
  new aws.s3.BucketOwnershipControls("TargetsOwnership", {
    bucket: bucket.name,
    rule: { objectOwnership: "BucketOwnerEnforced" },
  });
  // Every publish is a new version: keep old ones long enough to roll back, then expire them.
  new aws.s3.BucketLifecycleConfiguration("TargetsLifecycle", {
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
  });

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
    forwardStateObjectArn: object(cfg.document.forwardStateKey),
    manifestParameter: cfg.manifestParameter,
    manifestParameterArn: ctx.ssmParameterArn(cfg.manifestParameter),
  };
}
