// The optional CloudTrail trail (stage `trail: true`). Cloud Map has no events of its own:
// a registration reaches EventBridge only as "AWS API Call via CloudTrail", delivered when
// some trail of the account logs management events in this region. Without one, Cloud Map
// changes wait for the scheduled full reconcile. Most accounts have a trail (often the
// organization's); a stage without one creates this one: this region only, management
// write events only (what the Cloud Map rule matches), no data events, no global service
// events. Its log files go to a private bucket of their own (TLS only, written only by this
// trail, SSE-S3, ACLs off), expired after `logRetentionDays`; `removal` applies to it like
// to the targets bucket.
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import { TRAIL_EVENT_SELECTORS, trailArn, trailBucketPolicy, trailName } from "./trail-policy";

export interface Trail {
  trail: aws.cloudtrail.Trail;
  bucket: aws.s3.Bucket;
}

/** The trail and its log bucket, or undefined unless the stage sets `trail: true`. */
export function createTrail(cfg: StageConfig, ctx: DeployContext): Trail | undefined {
  if (!cfg.trail) return undefined;
  const retain = cfg.removal === "retain";
  const name = trailName(cfg);
  const bucket = new aws.s3.Bucket("TrailBucket", { forceDestroy: !retain }, { retainOnDelete: retain });
  const block = new aws.s3.BucketPublicAccessBlock(
    "TrailPublicAccessBlock",
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    { retainOnDelete: retain },
  );
  new aws.s3.BucketOwnershipControls("TrailOwnership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { retainOnDelete: retain });
  new aws.s3.BucketServerSideEncryptionConfiguration(
    "TrailEncryption",
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
    { retainOnDelete: retain },
  );
  new aws.s3.BucketLifecycleConfiguration(
    "TrailLifecycle",
    {
      bucket: bucket.id,
      rules: [{ id: "expire-trail-logs", status: "Enabled", filter: {}, expiration: { days: cfg.logRetentionDays } }],
    },
    { retainOnDelete: retain },
  );
  const policy = new aws.s3.BucketPolicy(
    "TrailPolicy",
    {
      bucket: bucket.id,
      policy: $util
        .all([bucket.arn, ctx.partition, ctx.region, ctx.account])
        .apply(([arn, p, r, a]) => JSON.stringify(trailBucketPolicy(arn, trailArn(p, r, a, name), a))),
    },
    { retainOnDelete: retain, dependsOn: [block] },
  );
  // CloudTrail checks the bucket policy when the trail is created: after the policy.
  const trail = new aws.cloudtrail.Trail(
    "Trail",
    {
      name,
      s3BucketName: bucket.id,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      enableLogging: true,
      enableLogFileValidation: true,
      eventSelectors: TRAIL_EVENT_SELECTORS,
    },
    { dependsOn: [policy] },
  );
  return { trail, bucket };
}
